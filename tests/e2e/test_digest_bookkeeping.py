"""Digest bookkeeping under database errors: connections killed mid-tick (PostgreSQL) or a
driver that raises (SQLite), while several channels post to the Slack fake.

What must hold: nothing is posted twice; no run is done while a post of it is `sending`
without its message ts; marks written once the database is back keep the ts (so reactions on
those messages save); the tick counts the lost work and `send-digests` exits 1.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, NullPool, create_engine, event, select, text

from bot.core.window import feed_days
from bot.digests import TickReport
from bot.storage.database import create_database_engine
from bot.storage.schema import DigestRunRow, PostRow
from tests.e2e import test_digests
from tests.e2e.test_digest_processes import CLI, env_for, subscribe_all
from tests.e2e.test_digests import NOW, World, subscribe
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack

MARKS = ("UPDATE posts SET state", "message_ts")  # a batch of sent marks
CLAIMS = ("INSERT INTO posts",)
FINISHES = ("UPDATE digest_runs SET status",)
ROOT = Path(__file__).resolve().parents[2]
world = test_digests.world  # the fixture: real services and database, Slack and HF fakes


class DatabaseFaults:
    """Fails the statements containing every part of `parts`, as a database whose connections
    are killed does: on PostgreSQL the connection's server process is terminated just before
    the statement (a real dead connection), on SQLite the driver raises OperationalError."""

    def __init__(self, target: Engine | type[Engine]) -> None:
        self._rules: list[tuple[tuple[str, ...], list[int]]] = []  # parts, [skip, times]
        self._lock = threading.Lock()
        self.failures = 0
        event.listen(target, "before_cursor_execute", self._before)

    def fail(self, parts: tuple[str, ...], times: int = 1_000_000, after: int = 0) -> None:
        with self._lock:
            self._rules.append((parts, [after, times]))

    def heal(self) -> None:
        with self._lock:
            self._rules.clear()

    def _before(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if not self._due(statement):
            return
        if conn.dialect.name != "postgresql":
            raise conn.dialect.loaded_dbapi.OperationalError("disk I/O error (injected)")
        pid = conn.connection.dbapi_connection.info.backend_pid
        admin = create_engine(conn.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as killer:
            killer.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        admin.dispose()  # the statement now goes to a connection the server has closed

    def _due(self, statement: str) -> bool:
        with self._lock:
            for parts, left in self._rules:
                if all(part in statement for part in parts) and left[1] > 0:
                    if left[0] > 0:
                        left[0] -= 1
                        return False
                    left[1] -= 1
                    self.failures += 1
                    return True
        return False


@pytest.fixture
def faults(world: World) -> DatabaseFaults:
    return DatabaseFaults(world.store._engine)


def paper_messages(world: World, channel: str) -> list[tuple[str, str]]:
    """(paper, message ts) of every paper message in the channel, in order."""
    out = []
    for call in world.slack.api_calls("chat.postMessage"):
        if call.ok and call.params["channel"] == channel:
            for block in call.params.get("blocks") or []:
                if block.get("type") == "actions":
                    out.append((block["block_id"].removeprefix("paper:"), call.response["ts"]))
    return out


def rows(world: World) -> list[tuple[str, str, str | None, str]]:
    """(channel, state, message ts, run status) of every post."""
    run = DigestRunRow
    with world.store._tx() as s:
        return [tuple(r) for r in s.execute(  # type: ignore[misc]
            select(PostRow.channel_id, PostRow.state, PostRow.message_ts, run.status).join(run, (
                (run.team_id == PostRow.team_id) & (run.channel_id == PostRow.channel_id)
                & (run.digest_date == PostRow.digest_date)
            ))
        )]  # fmt: skip


def assert_settled(world: World, channels: list[str]) -> None:
    """Each channel got its digest once, and every message is saved for reactions."""
    for channel in channels:
        messages = paper_messages(world, channel)
        assert len(messages) == 5
        assert len({paper for paper, _ in messages}) == 5  # nothing posted twice
        assert len(world.headers_posted(channel)) == 1
        for paper, ts in messages:
            assert world.store.paper_of_message("T0001", channel, ts) == paper
    assert {(state, status) for _, state, _, status in rows(world)} == {("sent", "done")}


def assert_no_done_run_waits_for_a_ts(world: World) -> None:
    for channel, state, ts, status in rows(world):
        assert not (status == "done" and state == "sending"), channel
        assert state != "sent" or ts, channel


def several_channels(world: World, count: int = 4) -> list[str]:
    channels = [f"C40{i}" for i in range(count)]
    for channel in channels:
        world.slack.add_channel(channel, name=channel.lower())
        subscribe(world, "", channel=channel)
    return channels


def test_one_failed_batch_of_sent_marks_is_retried_and_every_ts_kept(
    world: World, faults: DatabaseFaults
) -> None:
    channels = several_channels(world)
    faults.fail(MARKS, times=1)
    report = world.digests(per_channel=0.1).send_due_digests(NOW)
    faults.heal()
    assert faults.failures == 1
    assert report.posted == 20
    assert (report.errors, report.lost) == (0, 0)
    assert_settled(world, channels)


def test_marks_the_database_refuses_wait_in_memory_and_keep_their_ts(
    world: World, faults: DatabaseFaults, caplog: pytest.LogCaptureFixture
) -> None:
    channels = several_channels(world, 3)
    digests = world.digests(per_channel=0.05)
    faults.fail(MARKS)  # down for marks: every batch, every retry, every run's finish
    with caplog.at_level(logging.ERROR, logger="bot.digests"):
        report = digests.send_due_digests(NOW)
    faults.heal()
    assert report.posted == 15
    assert report.errors == 3  # each run given back, not finished
    assert report.lost == 18  # 15 papers and 3 headers: their ts only in memory
    assert report.lost_work
    assert "3 runs given back on database errors, 18 sent marks unsaved" in report.line()
    assert report.line() in caplog.messages
    assert_no_done_run_waits_for_a_ts(world)
    assert {status for *_, status in rows(world)} == {"open"}
    again = digests.send_due_digests(NOW + timedelta(minutes=1))  # the database is back
    assert (again.posted, again.errors, again.lost) == (0, 0, 0)
    assert_settled(world, channels)


def test_a_run_whose_finish_fails_is_given_back_and_finished_later_without_repeats(
    world: World, faults: DatabaseFaults
) -> None:
    channels = several_channels(world, 2)
    digests = world.digests()
    faults.fail(FINISHES)
    report = digests.send_due_digests(NOW)
    faults.heal()
    assert (report.posted, report.errors) == (10, 2)
    assert report.lost == 0  # the marks went out with the tick's last flush
    assert_no_done_run_waits_for_a_ts(world)
    again = digests.send_due_digests(NOW + timedelta(minutes=1))
    assert (again.posted, again.errors, again.lost) == (0, 0, 0)
    assert_settled(world, channels)


def test_a_database_error_in_one_run_never_stops_the_other_channels(
    world: World, faults: DatabaseFaults
) -> None:
    channels = several_channels(world, 3)
    digests = world.digests(per_channel=0.05)
    faults.fail(CLAIMS, times=1, after=4)  # one claim, somewhere in the middle
    report = digests.send_due_digests(NOW)
    faults.heal()
    assert report.errors == 1
    assert report.lost == 0
    done = [c for c in channels if len(paper_messages(world, c)) == 5]
    assert len(done) == 2  # the other channels posted all of theirs
    assert_no_done_run_waits_for_a_ts(world)
    digests.send_due_digests(NOW + timedelta(minutes=1))  # the given-back run goes on
    assert_settled(world, channels)


def test_a_run_given_back_is_finished_elsewhere_and_the_late_marks_keep_their_ts(
    world: World, faults: DatabaseFaults
) -> None:
    channels = several_channels(world, 2)
    first = world.digests()
    faults.fail(MARKS)
    assert first.send_due_digests(NOW).lost == 12
    faults.heal()
    other = world.digests()  # another worker takes the given-back runs
    assert other.send_due_digests(NOW + timedelta(minutes=1)).posted == 0
    states = Counter((state, status) for _, state, _, status in rows(world))
    assert states == {("unknown", "done"): 10}  # their fate unknown there: never sent again
    assert first.send_due_digests(NOW + timedelta(minutes=2)).lost == 0  # its marks, late
    assert_settled(world, channels)


# -- the command line ------------------------------------------------------------------------
def test_send_digests_exits_1_when_database_errors_lost_work_and_the_next_posts_nothing_twice(
    slack: FakeSlack, hf: FakeHuggingFace, database_url: str, tmp_path: Path
) -> None:
    hf.clear_days()
    hf.serve_days(feed_days(NOW, 7))
    channels = ["C501", "C502"]
    for channel in channels:
        slack.add_channel(channel, name=channel.lower())
    subscribe_all(database_url, channels, NOW)
    env = {**env_for(slack, hf, database_url), "PYTHONPATH": str(ROOT)}
    faulty = subprocess.run(
        [sys.executable, "-m", "tests.e2e.test_digest_bookkeeping", "send-digests",
         "--now", NOW.isoformat()], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert faulty.returncode == 1, faulty.stderr
    assert "2 runs given back on database errors, 12 sent marks unsaved" in faulty.stdout
    assert "database errors" in faulty.stderr
    later = (NOW + timedelta(minutes=1)).isoformat()
    plain = subprocess.run([CLI, "send-digests", "--now", later], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert "0 runs given back on database errors, 0 sent marks unsaved" in plain.stdout
    engine = create_database_engine(database_url)
    with engine.connect() as connection:
        states = Counter(connection.execute(select(PostRow.state)).scalars())
        runs = set(connection.execute(select(DigestRunRow.status)).scalars())
    engine.dispose()
    assert states == {"unknown": 10}  # the first process died with their ts: never resent
    assert runs == {"done"}
    for channel in channels:
        posts = [b["block_id"] for m in slack.posted_messages(channel)
                 for b in m.get("blocks") or [] if b.get("type") == "actions"]  # fmt: skip
        assert len(posts) == len(set(posts)) == 5


def test_a_tick_without_database_errors_reports_no_lost_work() -> None:
    assert not TickReport(posted=5, failed=2).lost_work


def _faulty_cli() -> int:
    """`papers-bot` with every batch of sent marks failing (as the CLI test's process)."""
    DatabaseFaults(Engine).fail(MARKS)
    from bot.__main__ import main

    return main(sys.argv[1:])


if __name__ == "__main__":
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.exit(_faulty_cli())
