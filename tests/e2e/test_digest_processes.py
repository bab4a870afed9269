"""Digests by real processes: `papers-bot send-digests --now`, two at once, a kill -9 mid-digest
and a restart, and `papers-bot worker`. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.core.models import ChannelDigest
from bot.core.schedule import Schedule
from bot.core.window import feed_days
from bot.storage.database import create_database_engine
from bot.storage.repositories import Store
from bot.storage.schema import PostRow
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack

CLI = str(Path(sys.executable).with_name("papers-bot"))
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def env_for(slack: FakeSlack, hf: FakeHuggingFace, database_url: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HF_"))}
    return {
        **keep, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.api_url,
        "HF_BASE_URL": hf.url, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING",
    }  # fmt: skip


def subscribe_all(database_url: str, channels: list[str], due: datetime) -> None:
    engine = create_database_engine(database_url)
    store = Store(engine)
    for channel in channels:
        defaults = ChannelDigest("T0001", channel, Schedule(9, 0, "Europe/Berlin"), 5, "active",
                                 "U0001", due)  # fmt: skip
        store.subscribe("T0001", channel, "", "", "U0001", defaults, due, 25)
    engine.dispose()


def paper_posts(slack: FakeSlack, channel: str) -> list[str]:
    return [b["block_id"] for m in slack.posted_messages(channel) for b in m.get("blocks") or []
            if b.get("type") == "actions"]  # fmt: skip


def headers(slack: FakeSlack, channel: str) -> int:
    return sum(m["text"].startswith("Top ") for m in slack.posted_messages(channel))


def send_digests(env: dict[str, str], now: datetime, tmp: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([CLI, "send-digests", "--now", now.isoformat()], env=env, cwd=tmp)


def test_two_worker_processes_post_every_paper_once(
    slack: FakeSlack, hf: FakeHuggingFace, database_url: str, tmp_path: Path
) -> None:
    hf.clear_days()
    hf.serve_days(feed_days(NOW, 7))
    channels = [f"C30{i}" for i in range(4)]
    for channel in channels:
        slack.add_channel(channel, name=channel.lower())
    subscribe_all(database_url, channels, NOW)
    env = env_for(slack, hf, database_url)
    procs = [send_digests(env, NOW, tmp_path) for _ in range(2)]
    assert [p.wait(120) for p in procs] == [0, 0]
    for channel in channels:
        posts = paper_posts(slack, channel)
        assert len(posts) == 5
        assert len(set(posts)) == 5
        assert headers(slack, channel) == 1


def test_a_worker_killed_mid_digest_is_finished_by_the_next_without_repeats(
    slack: FakeSlack, hf: FakeHuggingFace, database_url: str, tmp_path: Path
) -> None:
    hf.clear_days()
    hf.serve_days(feed_days(NOW, 7))
    subscribe_all(database_url, ["C0001"], NOW)
    env = env_for(slack, hf, database_url)
    first = send_digests(env, NOW, tmp_path)
    slack.wait_for_posts("C0001", count=3, timeout=60)  # header + 2 papers, 1 s apart
    first.kill()  # SIGKILL: no clean-up at all
    first.wait(10)
    done_before = len(paper_posts(slack, "C0001"))
    assert done_before < 5
    restart = send_digests(env, NOW + timedelta(minutes=11), tmp_path)  # the lease ran out
    assert restart.wait(120) == 0
    posts = paper_posts(slack, "C0001")
    assert len(posts) == len(set(posts))  # nothing posted twice
    assert headers(slack, "C0001") == 1
    engine = create_database_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(PostRow.arxiv_id, PostRow.state)).all()
    engine.dispose()
    states = Counter(state for _, state in rows)
    # five papers, each claimed once: sent, or (killed around its send) of unknown fate and
    # never repeated
    assert sum(states.values()) == 5
    assert set(states) <= {"sent", "unknown"}
    assert {p.removeprefix("paper:") for p in posts} <= {arxiv_id for arxiv_id, _ in rows}
    assert len(posts) >= states["sent"]


def test_the_worker_process_sends_due_digests_on_its_own(
    slack: FakeSlack, hf: FakeHuggingFace, sqlite_url: str, tmp_path: Path
) -> None:
    subscribe_all(sqlite_url, ["C0001"], datetime.now(UTC) - timedelta(minutes=1))
    worker = subprocess.Popen([CLI, "worker"], env=env_for(slack, hf, sqlite_url), cwd=tmp_path)
    try:
        slack.wait_for_posts("C0001", count=2, timeout=60)
    finally:
        worker.terminate()
        worker.wait(15)
    assert headers(slack, "C0001") == 1


def test_send_digests_rejects_a_bad_now(tmp_path: Path) -> None:
    result = subprocess.run([CLI, "send-digests", "--now", "yesterday"], cwd=tmp_path,
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 2
    assert "ISO 8601" in result.stderr
