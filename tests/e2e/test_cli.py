"""The command-line contract, run as real processes: serve, socket, preview."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import post_signed, slash_command_body

SECRET = "cli-secret"
CLI = [str(Path(sys.executable).with_name("papers-bot"))]


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HF_", "PORT"))}
    return {**env, **values}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        CLI + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("args", "missing"),
    [
        (["serve"], "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"),
        (["socket"], "SLACK_BOT_TOKEN, SLACK_APP_TOKEN"),
    ],
)
def test_missing_settings_exit_2_with_one_clear_message(
    args: list[str], missing: str, tmp_path: Path
) -> None:
    result = run(args, clean_env(), tmp_path)
    assert result.returncode == 2
    assert f"Missing required settings: {missing}" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_settings_exit_2_naming_them(tmp_path: Path) -> None:
    result = run(["preview"], clean_env(PORT="http", HF_BASE_URL="ftp://x"), tmp_path)
    assert result.returncode == 2
    assert "PORT" in result.stderr
    assert "HF_BASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_preview_prints_the_ranked_answer_with_links(hf: FakeHuggingFace, tmp_path: Path) -> None:
    result = run(["preview", '"value alignment"', "--limit", "3"],
                 clean_env(HF_BASE_URL=hf.url), tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 'Trending papers: "value alignment"' in out
    assert "What are human values, and how do we align AI to them?" in out
    assert "matched: “value alignment” in" in " ".join(out.split())
    assert "https://huggingface.co/papers/2404.10636" in out
    assert "https://arxiv.org/pdf/2404.10636" in out


def test_preview_with_hugging_face_down_says_so_and_exits_1(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    result = run(["preview"], clean_env(HF_BASE_URL=f"http://127.0.0.1:{port}"), tmp_path)
    assert result.returncode == 1
    assert "Hugging Face is not answering" in result.stdout
    assert "Traceback" not in result.stderr


@contextmanager
def serving(env: dict[str, str], cwd: Path, *args: str) -> Iterator[tuple[str, int]]:
    """`papers-bot serve` as a real process until /healthz answers: (url, pid); on leaving,
    SIGTERM and a clean exit."""
    port = free_port()
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port), *args], env=env, cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url, proc.pid
    finally:
        proc.terminate()
        assert proc.wait(15) == 0


@pytest.fixture
def served(
    slack: FakeSlack, hf: FakeHuggingFace, tmp_path: Path
) -> Iterator[tuple[str, FakeSlack, FakeHuggingFace]]:
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url,
        HF_BASE_URL=hf.url, LOG_LEVEL="WARNING", DATABASE_URL=f"sqlite:///{tmp_path}/bot.db",
    )  # fmt: skip
    with serving(env, tmp_path) as (url, _):
        yield url, slack, hf


def test_serve_answers_health_and_a_signed_command(
    served: tuple[str, FakeSlack, FakeHuggingFace],
) -> None:
    url, slack, hf = served
    health = httpx.get(url + "/healthz").json()
    assert health["scheduler"] == "running"
    hf.wait_for("/api/daily_papers", count=7)  # the scheduler warms the window at start
    body = slash_command_body("diffusion models", response_url=slack.response_url("cli"))
    ack = post_signed(httpx.Client(), url + "/slack/events", body, SECRET,
                      content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert ack.status_code == 200
    answer = slack.wait_for_response("cli", timeout=10)[-1]
    assert "Trending papers: diffusion models" in str(answer["blocks"])
    assert len(hf.calls_to("/api/daily_papers")) == 7  # answered from the warm cache


def test_stats_reports_what_operators_need(tmp_path: Path) -> None:
    import json

    from sqlalchemy import create_engine

    from bot.core.models import ChannelDigest
    from bot.core.schedule import Schedule
    from bot.storage.migrate import upgrade
    from bot.storage.repositories import Store

    url = f"sqlite:///{tmp_path}/stats.db"
    engine = create_engine(url)
    upgrade(engine)
    now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    defaults = ChannelDigest("T1", "C1", Schedule(9, 0, "UTC"), 5, "active", "U1", now)
    Store(engine).subscribe("T1", "C1", "diffusion", "diffus", "U1", defaults, now, 25)
    engine.dispose()
    result = run(["stats", "--json"], clean_env(DATABASE_URL=url), tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["subscriptions"] == 1
    assert report["channels"] == {"active": 1}
    assert set(report) >= {"workspaces", "saves", "posts per day", "sources", "installations"}
    text = run(["stats"], clean_env(DATABASE_URL=url), tmp_path)
    assert "subscriptions  1" in text.stdout
