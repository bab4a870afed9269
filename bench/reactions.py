"""A burst of reaction events: 1,000 `reaction_added` from 200 people in 10 s.

Run from the repository root:  .venv/bin/python -m bench.reactions
`papers-bot serve` (gunicorn, as operators run it) on SQLite, the fakes in their own process.
Prints the ack latency, the saves stored and the time until every confirmation was sent.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.common import (
    SECRET,
    Upstreams,
    bot_env,
    bot_server,
    burst,
    fakes,
    free_port,
    percentile,
    summary,
)  # fmt: skip
from bot.core.models import Paper
from bot.storage.database import create_database_engine
from bot.storage.migrate import upgrade
from bot.storage.repositories import Store
from bot.storage.schema import SaveRow
from tests.fakes.slack_requests import JSON_CONTENT_TYPE, event_body, post_signed
from tests.fakes.slack_requests import reaction_added_event as reaction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--papers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    total = args.users * args.papers
    with tempfile.TemporaryDirectory() as tmp, fakes() as up:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = create_database_engine(url)
        upgrade(engine)
        store, now = Store(engine), datetime.now(UTC)
        messages = [f"1764250000.{i:06d}" for i in range(args.papers)]
        for i, ts in enumerate(messages):  # papers the bot posted in C0001
            store.record_shared("T0001", "C0001", Paper(f"2511.{i:05d}", f"Paper {i}"), ts, now)
        env = {**bot_env(up), "DATABASE_URL": url}
        with bot_server(env, free_port()) as bot, httpx.Client(timeout=30) as http:
            events = [(f"U{u:04d}", messages[p]) for u in range(args.users)
                      for p in range(args.papers)]  # fmt: skip
            start = time.monotonic()

            def send(i: int) -> float:
                user, ts = events[i]
                time.sleep(max(0.0, start + i * args.seconds / total - time.monotonic()))
                body = event_body(reaction(user, "C0001", ts), event_id=f"Ev{i}")
                began = time.perf_counter()
                answer = post_signed(http, bot + "/slack/events", body, SECRET,
                                     content_type=JSON_CONTENT_TYPE)  # fmt: skip
                if answer.status_code != 200:
                    raise RuntimeError(f"HTTP {answer.status_code}")
                return time.perf_counter() - began

            acks = burst(32, total, send)
            sent = time.monotonic() - start
            confirmed = _wait_for(up, total, timeout=120)
            with engine.connect() as c:
                saves = c.scalar(select(func.count()).select_from(SaveRow))
                distinct = c.scalar(
                    select(func.count(func.distinct(SaveRow.user_id + SaveRow.arxiv_id)))
                )
        engine.dispose()
    last = max(confirmed) - start if confirmed else float("nan")
    print(f"reaction burst: {total} reaction_added events from {args.users} people over "
          f"{args.seconds:.0f} s (sent in {sent:.1f} s)")  # fmt: skip
    print("  " + summary("ack latency", acks))
    print(f"  ack p99 {percentile([a * 1000 for a in acks], 99):.1f} ms (Slack's limit: 3,000 ms)")
    print(f"  saves stored      {saves} rows, {distinct} distinct (target: exactly {total})")
    print(f"  confirmations     {len(confirmed)} sent; the last {last:.1f} s after the first event")


def _wait_for(up: Upstreams, count: int, timeout: float) -> list[float]:
    """Arrival times of the confirmations (chat.postEphemeral) once `count` arrived."""
    deadline = time.monotonic() + timeout
    calls: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        calls = up.calls(up.slack_url, "/api/chat.postEphemeral")
        if len(calls) >= count:
            break
        time.sleep(0.2)
    return [float(c["at"]) for c in calls]


if __name__ == "__main__":
    main()
