"""Scale-out as the Procfile runs it, with real processes on one database (SQLite and
PostgreSQL): the release step migrates once, two `web` processes answer Slack, and a worker
process posts digests with each workspace's own token from the installation store."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine

from bot.storage.repositories import Store
from tests.e2e.test_cli import CLI, clean_env, free_port
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import post_signed, slash_command_body

SECRET = "scale-secret"
CLIENT_ID, CLIENT_SECRET = "42.42", "scale-oauth-secret"


@contextmanager
def web(env: dict[str, str], cwd: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([*CLI, "serve", "--no-scheduler", "--port", str(port)], env=env,
                            cwd=cwd)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "web process did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        assert proc.wait(15) == 0


def install(url: str, slack: FakeSlack, team: str, user: str) -> None:
    page = httpx.get(url + "/slack/install")
    state = re.search(r"state=([\w-]+)", page.text)
    assert state, page.text
    code = slack.approve_install(team, user)
    done = httpx.get(url + "/slack/oauth_redirect", params={"code": code, "state": state[1]},
                     headers={"Cookie": f"slack-app-oauth-state={state[1]}"})  # fmt: skip
    assert done.status_code == 200, done.text


def test_two_web_processes_and_a_worker_share_installations_and_data(
    slack: FakeSlack, hf: FakeHuggingFace, database_url: str, tmp_path: Path
) -> None:
    slack.add_oauth_app(CLIENT_ID, CLIENT_SECRET)
    slack.add_user("U0100", team_id="T0100")
    slack.add_channel("C0100", name="research", members=["UBT0100"], team_id="T0100")
    env = clean_env(
        SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET, SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url, HF_BASE_URL=hf.url, LOG_LEVEL="WARNING",
        DATABASE_URL=database_url,
    )  # fmt: skip
    release = subprocess.run([*CLI, "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=60, check=False)  # fmt: skip
    assert release.returncode == 0, release.stderr
    with web(env, tmp_path) as first, web(env, tmp_path) as second:
        install(first, slack, "T0100", "U0100")
        body = slash_command_body("subscribe", team_id="T0100", channel_id="C0100",
                                  response_url=slack.response_url("s"))  # fmt: skip
        ack = post_signed(httpx.Client(), second + "/slack/events", body, SECRET,
                          content_type="application/x-www-form-urlencoded")  # fmt: skip
        assert ack.status_code == 200
        store = Store(create_engine(database_url))
        deadline = time.monotonic() + 10
        while store.channel("T0100", "C0100") is None:
            assert time.monotonic() < deadline, "the second web process did not subscribe"
            time.sleep(0.1)
        assert httpx.get(second + "/healthz").json()["scheduler"] == "off"
    channel = store.channel("T0100", "C0100")
    assert channel is not None
    worker = subprocess.run(
        [*CLI, "send-digests", "--now", channel.next_due_at.isoformat()], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert worker.returncode == 0, worker.stderr
    posts = [c for c in slack.api_calls("chat.postMessage")
             if c.params.get("channel") == "C0100" and c.status == 200]  # fmt: skip
    tokens = {c.token for c in posts}
    assert len(posts) >= 2 and len(tokens) == 1 and next(iter(tokens)).startswith("xoxb-T0100")


def test_sqlite_is_migrated_at_start_but_a_shared_database_never_is(
    slack: FakeSlack, hf: FakeHuggingFace, database_url: str, tmp_path: Path
) -> None:
    from alembic import command as alembic

    from bot.storage.migrate import alembic_config, current, head

    engine = create_engine(database_url)
    alembic.downgrade(alembic_config(engine), "0004")
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url,
        HF_BASE_URL=hf.url, DATABASE_URL=database_url,
    )  # fmt: skip
    if engine.dialect.name == "sqlite":  # one process: it migrates its own file at start
        once = [*CLI, "send-digests", "--now", "2026-11-27T08:00:00Z"]
        result = subprocess.run(once, env=env, cwd=tmp_path, capture_output=True, text=True,
                                timeout=60, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert current(engine) == head()
        return
    for command in (["worker"], ["serve", "--no-scheduler"]):
        result = subprocess.run([*CLI, *command], env=env, cwd=tmp_path, capture_output=True,
                                text=True, timeout=60, check=False)  # fmt: skip
        assert result.returncode == 2, (command, result.stderr)
        assert "papers-bot db upgrade" in result.stderr
    assert current(engine) == "0004"
