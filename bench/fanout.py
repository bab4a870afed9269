"""Digest fan-out: thousands of subscribed channels across workspaces, against a Slack fake that
enforces 1 message/s per channel and 20 messages/s per workspace.

Run from the repository root:
    .venv/bin/python -m bench.fanout                       # SQLite, 20 workspaces x 100 channels
    .venv/bin/python -m bench.fanout --database postgresql # the local PostgreSQL, database test
Prints total time against the floor the limits imply, 429s, duplicates, missing posts, upstream
requests and peak memory. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from slack_sdk import WebClient
from sqlalchemy import create_engine, text

from bench.common import fakes
from bot.bootstrap import paper_catalog
from bot.core.models import ChannelDigest
from bot.core.schedule import Schedule
from bot.digests import DigestService
from bot.slack.pacing import Pacer
from bot.slack.poster import Poster
from bot.sources.arxiv import ArxivClient
from bot.sources.hf import HuggingFaceClient
from bot.storage.database import create_database_engine
from bot.storage.migrate import upgrade
from bot.storage.papers import PaperStore
from bot.storage.repositories import Store

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def database(kind: str, workdir: Path) -> tuple[str, str | None]:
    """A fresh database URL (and the PostgreSQL schema to drop afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'fanout.db'}", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with create_engine(POSTGRES, isolation_level="AUTOCOMMIT").connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def drop(schema: str | None) -> None:
    if schema:
        with create_engine(POSTGRES, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def subscribe_all(store: Store, teams: int, channels: int, size: int) -> None:
    for team in range(1, teams + 1):
        for channel in range(channels):
            team_id, channel_id = f"T{team:03d}", f"C{team:03d}{channel:04d}"
            defaults = ChannelDigest(team_id, channel_id, Schedule(9, 0, "Europe/Berlin"), size,
                                     "active", "U0001", NOW)  # fmt: skip
            store.subscribe(team_id, channel_id, "", "", "U0001", defaults, NOW, 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--channels", type=int, default=100, help="per workspace")
    parser.add_argument("--papers", type=int, default=5)
    parser.add_argument("--channel-rate", type=float, default=1.0)
    parser.add_argument("--workspace-rate", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    options = ["--teams", str(args.teams), "--channels", str(args.channels), "--channel-rate",
               str(args.channel_rate), "--workspace-rate", str(args.workspace_rate),
               "--now", NOW.isoformat()]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, fakes(*options) as up:
        url, schema = database(args.database, Path(tmp))
        engine = create_database_engine(url)
        try:
            upgrade(engine)
            store = Store(engine)
            started = time.perf_counter()
            subscribe_all(store, args.teams, args.channels, args.papers)
            setup = time.perf_counter() - started
            clients = {f"T{t:03d}": WebClient(token=f"xoxb-T{t:03d}", base_url=up.slack_api_url)
                       for t in range(1, args.teams + 1)}  # fmt: skip
            http = httpx.Client(timeout=30)
            cache, _ = paper_catalog(
                PaperStore(engine), HuggingFaceClient(http, up.hf_url),
                ArxivClient(http, "http://127.0.0.1:9", min_interval=0), store,
                clock=lambda: NOW,
            )  # fmt: skip
            # a little under the enforced limits, so network jitter does not earn 429s
            pacer = Pacer(per_channel=1.02 / args.channel_rate,
                          per_workspace=1.05 / args.workspace_rate)  # fmt: skip
            service = DigestService(store, cache, Poster(clients.__getitem__), pacer,
                                    threads=args.threads)  # fmt: skip
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            fake_cpu, bot_cpu = up.cpu_seconds(), time.process_time()
            started = time.perf_counter()
            report = service.send_due_digests(NOW)
            elapsed = time.perf_counter() - started
            cpu = (time.process_time() - bot_cpu, up.cpu_seconds() - fake_cpu)
            rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            log = up.post_log()
            fetches = len(up.calls(up.hf_url, "/api/daily_papers"))
            http.close()
        finally:
            engine.dispose()
            drop(schema)
    print_report(args, report.line(), log, elapsed, setup, fetches, rss_before, rss_peak)
    print(f"  CPU time          bot {cpu[0]:.1f} s, Slack and HF fakes {cpu[1]:.1f} s "
          f"(this machine has {os.cpu_count()} cores)")  # fmt: skip


def print_report(args: argparse.Namespace, line: str, log: list[dict[str, object]],
                 elapsed: float, setup: float, fetches: int, rss_before: int,
                 rss_peak: int) -> None:  # fmt: skip
    channels = args.teams * args.channels
    per_channel = args.papers + 1
    expected = channels * per_channel
    ok = [p for p in log if p["ok"]]
    limited = sum(p["status"] == 429 for p in log)
    papers = Counter((p["team"], p["channel"], p["paper"]) for p in ok if p["paper"])
    duplicates = sum(n - 1 for n in papers.values() if n > 1)
    floor = max(args.channels * per_channel / args.workspace_rate,
                (per_channel - 1) / args.channel_rate)  # fmt: skip
    print(f"fan-out on {args.database}: {args.teams} workspaces x {args.channels} channels = "
          f"{channels} channels, {args.papers} papers + header each")  # fmt: skip
    print(f"  {line}")
    print(f"  subscribing {channels} channels took {setup:.1f} s (setup, not timed below)")
    print(f"  total time        {elapsed:7.1f} s   floor {floor:.1f} s   "
          f"ratio {elapsed / floor:.2f} (target <= 1.25)")  # fmt: skip
    print(f"  posts delivered   {len(ok)} of {expected} expected   missing {expected - len(ok)}")
    print(f"  429 answers       {limited} of {len(log)} calls "
          f"({100 * limited / max(1, len(log)):.2f}%, target < 1%)")  # fmt: skip
    print(f"  duplicate papers  {duplicates}")
    print(f"  upstream requests {fetches} (Hugging Face daily lists; 7 feed days)")
    print(f"  peak memory       {rss_peak / 1024:.0f} MiB (bench process; "
          f"{rss_before / 1024:.0f} MiB before the digests)")  # fmt: skip


if __name__ == "__main__":
    main()
