"""Upstream traffic for one day of operation, and arXiv feed parse throughput.

    .venv/bin/python -m bench.sources [--channels 500] [--combos 50] [--commands 1000]

Part 1 simulates one US-Eastern day (Thursday 11 Dec 2025, 05:00 UTC to 05:00 UTC) against
loopback fakes of Hugging Face and arXiv, on SQLite, with `now` injected:
  - the refresh job runs every 5 minutes (as the worker does);
  - `--channels` channels follow `--combos` distinct topic combinations (10 arXiv categories x
    5 topics, e.g. `cat:cs.CL value alignment`), each channel's digest is planned at its own
    hour (the papers it would get are gathered and ranked);
  - `--commands` `/papers` commands spread over the day;
  - Hugging Face's upvotes for today move every 2 hours.
It prints requests and bytes per upstream, then the same day with a tenth of the channels:
requests should follow distinct feeds, not channels.

Part 2 times `parse_feed` on a 1,000-item arXiv RSS feed, and the topic analysis of its papers.
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from bot.bootstrap import paper_catalog
from bot.core.digest import digest_days, select
from bot.core.models import ChannelDigest
from bot.core.query import parse_topic
from bot.core.schedule import Schedule
from bot.core.topics import analyse
from bot.core.window import feed_days
from bot.services import PaperService, gather
from bot.sources.arxiv import ArxivClient, parse_feed
from bot.sources.hf import HuggingFaceClient
from bot.storage.database import create_database_engine
from bot.storage.migrate import upgrade
from bot.storage.papers import PaperStore
from bot.storage.repositories import Store
from tests.fakes.arxiv import FakeArxiv, render_feed
from tests.fakes.hf import FakeHuggingFace, load_corpus

START = datetime(2025, 12, 11, 5, 0, tzinfo=UTC)  # midnight in New York
CATEGORIES = ["cs.CL", "cs.LG", "cs.AI", "stat.ML", "cs.CV", "cs.RO", "cs.IR", "math.OC",
              "cs.NE", "q-bio.NC"]  # fmt: skip
TOPICS = ["value alignment", "diffusion models", "reinforcement learning", "agents",
          "quantization"]  # fmt: skip
TICK = timedelta(minutes=5)


@dataclass
class Day:
    hf_requests: int
    hf_bytes: int
    arxiv_requests: int
    arxiv_bytes: int
    arxiv_waits: int
    digests: int
    commands: int
    seconds: float


def one_day(channels: int, combos: int, commands: int, seed: int = 7) -> Day:
    rng = random.Random(seed)
    with (tempfile.TemporaryDirectory() as tmp, FakeHuggingFace(load_corpus()) as hf,
          FakeArxiv() as arxiv, httpx.Client(timeout=10) as http):  # fmt: skip
        hf.serve_days(feed_days(START, 7))
        engine = create_database_engine(f"sqlite:///{Path(tmp) / 'day.db'}")
        upgrade(engine)
        store, papers_store = Store(engine), PaperStore(engine)
        names = [f"cat:{CATEGORIES[i % len(CATEGORIES)]} {TOPICS[i // len(CATEGORIES) % 5]}"
                 for i in range(combos)]  # fmt: skip
        for i in range(channels):
            hour = i % 24
            channel = ChannelDigest("T001", f"C{i:05d}", Schedule(hour, 0, "UTC"), 5, "active",
                                    "U1", START)  # fmt: skip
            name = names[i % combos]
            store.subscribe("T001", channel.channel_id, name, parse_topic(name).key, "U1",
                            channel, START, 25)  # fmt: skip
        clock = {"now": START}
        waits: list[float] = []
        arxiv_client = ArxivClient(http, arxiv.url, sleep=waits.append)
        catalog, refresher = paper_catalog(
            papers_store, HuggingFaceClient(http, hf.url), arxiv_client, store,
            clock=lambda: clock["now"],
        )  # fmt: skip
        service = PaperService(catalog, HuggingFaceClient(http, hf.url))
        command_times = sorted(START + timedelta(seconds=rng.randrange(86_400))
                               for _ in range(commands))  # fmt: skip
        today = feed_days(START, 1)[0]
        started = time.perf_counter()
        digests = done_commands = 0
        now = START
        while now < START + timedelta(days=1):
            clock["now"] = now
            if now.minute == 0 and now.hour % 2 == 0:  # upvotes move during the day
                items = copy.deepcopy(hf.items_for(today))
                for item in items:
                    item["paper"]["upvotes"] = item["paper"].get("upvotes", 0) + rng.randrange(9)
                hf.serve(today, items, rewrite_dates=False)
            refresher.run(now)
            if now.minute == 0:
                for i in range(now.hour, channels, 24):
                    topic = parse_topic(names[i % combos])
                    got = gather(catalog, digest_days(now, 7), [topic])
                    select(got.papers, [topic], set(), now, 5)
                    digests += 1
            while command_times and command_times[0] < now + TICK:
                service.trending(names[rng.randrange(combos)], 5, command_times.pop(0))
                done_commands += 1
            now += TICK
        seconds = time.perf_counter() - started
        traffic = papers_store.traffic()
        engine.dispose()
        return Day(
            hf_requests=len(hf.calls_to("/api/daily_papers")), hf_bytes=traffic["hf"][1],
            arxiv_requests=arxiv.requests, arxiv_bytes=arxiv.bytes_served,
            arxiv_waits=len(waits), digests=digests, commands=done_commands, seconds=seconds,
        )  # fmt: skip


def parse_throughput(size: int = 1000, rounds: int = 5) -> tuple[float, float, int]:
    """(items/s parsed, items/s analysed for topics, body bytes) for a `size`-item feed."""
    fake = FakeArxiv()
    base = fake.served_items()
    items = []
    for i in range(size):
        item = copy.deepcopy(base[i % len(base)])
        item["id"] = f"2512.{10000 + i}"
        item["kind"] = "new"
        items.append(item)
    entries = [("new", item) for item in items]
    body = render_feed(["cs.LG"], date(2025, 12, 11), entries)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = parse_feed(body)
        times.append(time.perf_counter() - start)
    assert len(result.papers) == size, len(result.papers)
    start = time.perf_counter()
    for paper in result.papers:
        analyse(replace(paper, abstract=paper.abstract + " "))  # not memoised before
    analysed = time.perf_counter() - start
    return size / statistics.median(times), size / analysed, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--combos", type=int, default=50)
    parser.add_argument("--commands", type=int, default=1000)
    args = parser.parse_args()
    print("one day of operation (refresh every 5 min, digests at each channel's hour, "
          f"{args.commands} /papers commands)")  # fmt: skip
    print(f"{'channels':>8} {'combos':>6} {'HF req':>7} {'HF KiB':>7} {'arXiv req':>9} "
          f"{'arXiv KiB':>9} {'digests':>7} {'wall s':>7}")  # fmt: skip
    for channels in (args.channels // 10, args.channels):
        day = one_day(channels, min(args.combos, channels), args.commands)
        print(f"{channels:>8} {min(args.combos, channels):>6} {day.hf_requests:>7} "
              f"{day.hf_bytes / 1024:>7.0f} {day.arxiv_requests:>9} "
              f"{day.arxiv_bytes / 1024:>9.0f} {day.digests:>7} {day.seconds:>7.1f}")  # fmt: skip
    print("distinct feeds: 7 Hugging Face days (today refreshed every 30 min), "
          f"{len(CATEGORIES)} arXiv categories (once per announcement)")
    parsed, analysed, size = parse_throughput()
    print(f"\narXiv feed of 1,000 items ({size / 1024:.0f} KiB): parse {parsed:,.0f} items/s, "
          f"topic analysis {analysed:,.0f} items/s")


if __name__ == "__main__":
    main()
