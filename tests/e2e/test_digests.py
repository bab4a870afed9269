"""Daily digests end to end: real services and database, Slack and Hugging Face fakes, `now`
injected. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.bootstrap import paper_catalog
from bot.catalog import Catalog
from bot.core.window import feed_days
from bot.digests import DigestService
from bot.slack.pacing import Pacer
from bot.slack.poster import Poster
from bot.sources.arxiv import ArxivClient
from bot.sources.hf import HuggingFaceClient
from bot.storage.database import create_database_engine
from bot.storage.papers import PaperStore
from bot.storage.repositories import Store
from bot.storage.schema import PostRow
from bot.subscriptions import SubscriptionService
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # Thursday 09:00 in Berlin


@dataclass
class World:
    slack: FakeSlack
    hf: FakeHuggingFace
    store: Store
    channels: SubscriptionService
    make_digests: Any
    clock: dict[str, datetime]
    arxiv: FakeArxiv

    def digests(self, per_channel: float = 0.0) -> DigestService:
        return self.make_digests(per_channel)  # type: ignore[no-any-return]

    def papers_posted(self, channel: str = "C0001") -> list[str]:
        ids = []
        for message in self.slack.posted_messages(channel):
            for block in message.get("blocks") or []:
                if block.get("type") == "actions":
                    ids.append(block["block_id"].removeprefix("paper:"))
        return ids

    def headers_posted(self, channel: str = "C0001") -> list[str]:
        return [m["text"] for m in self.slack.posted_messages(channel)
                if m["text"].startswith("Top ")]  # fmt: skip


@pytest.fixture
def world(
    slack: FakeSlack, hf: FakeHuggingFace, arxiv: FakeArxiv, database_url: str
) -> Iterator[World]:
    hf.clear_days()
    hf.serve_days(feed_days(NOW, 7))
    slack.add_user("U0001", tz="Europe/Berlin")
    engine = create_database_engine(database_url)
    http = httpx.Client(timeout=5)
    store = Store(engine)
    clock = {"now": NOW}  # what the paper catalog takes for now (tests move it on)
    client = WebClient(token="xoxb-test", base_url=slack.api_url)

    def catalog() -> Catalog:
        """A process's view of the shared paper store (its own memo and clients)."""
        return paper_catalog(
            PaperStore(engine), HuggingFaceClient(http, hf.url),
            ArxivClient(http, arxiv.url, min_interval=0), store,
            clock=lambda: clock["now"],
        )[0]  # fmt: skip

    channels = SubscriptionService(store, catalog(), lambda team, user: "Europe/Berlin")

    def make(per_channel: float) -> DigestService:
        """A worker as a process of its own would be: its own catalog and database pool."""
        pacer = Pacer(per_channel=per_channel, per_workspace=0.0)
        return DigestService(Store(engine), catalog(), Poster(lambda team: client), pacer,
                             grace=timedelta(minutes=120), transient_wait=0.01)  # fmt: skip

    yield World(slack, hf, store, channels, make, clock, arxiv)
    http.close()
    engine.dispose()


def subscribe(world: World, topic: str, channel: str = "C0001") -> None:
    result = world.channels.subscribe("T0001", channel, "U0001", topic, NOW - timedelta(hours=1))
    assert result.ok, result


def test_the_digest_goes_out_at_local_time_once_header_first(world: World) -> None:
    subscribe(world, "")
    digests = world.digests()
    assert digests.send_due_digests(NOW - timedelta(minutes=1)).posted == 0
    report = digests.send_due_digests(NOW)
    assert report.posted == 5
    messages = world.slack.posted_messages("C0001")
    assert messages[0]["text"] == "Top trending papers, Thu 26 Nov"
    assert len(messages) == 6
    ids = world.papers_posted()
    assert len(set(ids)) == 5
    # every paper message is recorded for reactions: (team, channel, ts) -> paper
    for message, arxiv_id in zip(messages[1:], ids, strict=True):
        ts = world.slack.api_calls("chat.postMessage")[messages.index(message)].response["ts"]
        assert world.store.paper_of_message("T0001", "C0001", ts) == arxiv_id
    assert digests.send_due_digests(NOW + timedelta(minutes=1)).posted == 0
    assert len(world.slack.posted_messages("C0001")) == 6


def test_the_next_day_brings_only_papers_not_yet_posted(world: World) -> None:
    subscribe(world, "")
    digests = world.digests()
    digests.send_due_digests(NOW)
    first = world.papers_posted()
    digests.send_due_digests(NOW + timedelta(days=1))
    second = world.papers_posted()[len(first) :]
    assert second
    assert not set(first) & set(second)
    assert world.headers_posted() == ["Top trending papers, Thu 26 Nov",
                                      "Top trending papers, Fri 27 Nov"]  # fmt: skip


def test_only_relevant_papers_and_no_empty_digest(world: World) -> None:
    subscribe(world, "diffusion models")
    world.digests().send_due_digests(NOW)
    ids = world.papers_posted()
    assert ids
    for arxiv_id in ids:
        paper = world.store.paper(arxiv_id)
        assert paper is not None
        assert "diffusion" in (paper.title + paper.abstract + " ".join(paper.keywords)).lower()
    before = len(world.slack.posted_messages("C0001"))
    # a topic nothing matches: no header, no post at all
    world.channels.unsubscribe("T0001", "C0001", None)
    subscribe(world, "zymurgy kinetics")
    world.digests().send_due_digests(NOW + timedelta(days=1))
    assert len(world.slack.posted_messages("C0001")) == before


def test_a_quiet_day_note_when_asked_for(world: World) -> None:
    subscribe(world, "zymurgy kinetics")
    world.channels.set_note("T0001", "C0001", True)
    world.digests().send_due_digests(NOW)
    (message,) = world.slack.posted_messages("C0001")
    assert "nothing new" in message["text"]


def test_down_at_nine_back_at_nine_twenty_posts_once_late(world: World) -> None:
    subscribe(world, "")
    digests = world.digests()
    assert digests.send_due_digests(NOW + timedelta(minutes=20)).posted == 5
    assert digests.send_due_digests(NOW + timedelta(minutes=21)).posted == 0


def test_too_late_is_skipped_and_the_next_day_is_normal(world: World) -> None:
    subscribe(world, "")
    digests = world.digests()
    report = digests.send_due_digests(NOW + timedelta(hours=3))
    assert report.skipped_late == 1
    assert world.slack.posted_messages("C0001") == []
    assert digests.send_due_digests(NOW + timedelta(days=1)).posted == 5


def test_two_workers_at_the_same_moment_post_every_paper_once(world: World) -> None:
    for i in range(6):
        world.slack.add_channel(f"C10{i}", name=f"c{i}")
        subscribe(world, "", channel=f"C10{i}")
    workers = [world.digests(), world.digests()]
    barrier = threading.Barrier(2)

    def tick(worker: DigestService) -> None:
        barrier.wait()
        worker.send_due_digests(NOW)

    threads = [threading.Thread(target=tick, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(6):
        ids = world.papers_posted(f"C10{i}")
        assert len(ids) == 5
        assert len(set(ids)) == 5
        assert len(world.headers_posted(f"C10{i}")) == 1


def test_a_failing_channel_never_stops_the_others(world: World) -> None:
    world.slack.add_channel("C0002", name="archived-soon")
    world.slack.add_channel("C0003", name="kicked")
    for channel in ("C0001", "C0002", "C0003"):
        subscribe(world, "", channel=channel)
    world.slack.fail_channel("C0002", "is_archived")
    world.slack.fail_channel("C0003", "not_in_channel")
    report = world.digests().send_due_digests(NOW)
    assert len(world.papers_posted("C0001")) == 5
    assert sorted(report.channels_stopped) == ["C0002", "C0003"]
    assert world.store.channel("T0001", "C0002").status == "inactive"  # type: ignore[union-attr]
    paused = world.store.channel("T0001", "C0003")
    assert paused is not None
    assert (paused.status, paused.status_reason) == ("paused", "not_in_channel")
    dms = [m for m in world.slack.api_calls("chat.postMessage") if m.params["channel"] == "U0001"]
    assert len(dms) == 2
    assert "/papers resume" in dms[1].params["text"]


def test_a_revoked_token_marks_the_workspace_inactive(world: World) -> None:
    subscribe(world, "")
    world.slack.fail_channel("C0001", "token_revoked")
    world.digests().send_due_digests(NOW)
    assert world.store.due_channels(NOW + timedelta(days=1)) == []


def test_transient_slack_errors_are_retried_later_not_lost(world: World) -> None:
    subscribe(world, "")
    digests = world.digests()
    world.slack.fail("chat.postMessage", "service_unavailable", times=20)
    digests.send_due_digests(NOW)
    assert len(world.papers_posted()) < 5
    world.slack.reset()
    for minute in range(1, 4):
        digests.send_due_digests(NOW + timedelta(minutes=minute))
    ids = world.papers_posted()
    assert len(ids) == 5
    assert len(set(ids)) == 5
    assert len(world.headers_posted()) == 1


def test_slack_rate_limits_are_honoured(world: World) -> None:
    subscribe(world, "")
    world.slack.enforce_post_rate(1.0, burst=2)
    world.digests(per_channel=0.2).send_due_digests(NOW)
    assert len(world.papers_posted()) == 5
    limited = [c for c in world.slack.api_calls("chat.postMessage") if c.status == 429]
    assert limited  # the fake did push back, and every paper still went out once


def test_no_paper_data_waits_and_posts_once_data_returns(world: World) -> None:
    subscribe(world, "")
    world.hf.fail(503, times=1000)
    digests = world.digests()
    assert digests.send_due_digests(NOW).posted == 0
    world.hf.clear_faults()
    world.hf.reset()
    fresh = world.digests()  # a restarted worker: the backoff state is in the database
    world.clock["now"] = NOW + timedelta(minutes=5)
    assert fresh.send_due_digests(NOW + timedelta(minutes=5)).posted == 5


def test_each_feed_day_is_fetched_once_however_many_channels(world: World) -> None:
    for i in range(20):
        world.slack.add_channel(f"C2{i:02d}", name=f"x{i}")
        subscribe(world, "", channel=f"C2{i:02d}")
    world.digests().send_due_digests(NOW)
    days = Counter(c.query["date"] for c in world.hf.calls_to("/api/daily_papers"))
    assert set(days.values()) == {1}


def test_posts_survive_in_the_database_as_sent(world: World) -> None:
    subscribe(world, "")
    world.digests().send_due_digests(NOW)
    with world.store._tx() as session:
        states = Counter(session.scalars(select(PostRow.state)))
    assert states == {"sent": 5}


# -- arXiv categories and outages ------------------------------------------------------------
def header_notes(world: World, channel: str = "C0001") -> str:
    header = world.slack.posted_messages(channel)[0]
    return " ".join(str(b) for b in header["blocks"])


def test_a_category_topic_draws_on_arxiv_and_a_shared_paper_comes_once(world: World) -> None:
    subscribe(world, "cat:cs.LG")
    subscribe(world, "alignment")  # KTO (2402.01306) is on HF and in the arXiv cs.LG listing
    world.digests().send_due_digests(NOW)
    ids = world.papers_posted()
    assert len(ids) == len(set(ids)) == 5
    assert "arXiv cs.LG" in header_notes(world)
    assert world.arxiv.requests == 1


def test_hugging_face_down_the_digest_goes_out_from_arxiv_saying_so(world: World) -> None:
    world.hf.fail(503, times=1000)
    subscribe(world, "cat:cs.LG")
    report = world.digests().send_due_digests(NOW)
    assert report.posted == 5
    assert "Hugging Face is not answering" in header_notes(world)


def test_arxiv_down_the_digest_goes_out_from_hugging_face_saying_so(world: World) -> None:
    world.arxiv.fail(503, times=1000)
    subscribe(world, "cat:cs.CL")
    subscribe(world, "diffusion")
    report = world.digests().send_due_digests(NOW)
    assert report.posted > 0
    assert "arXiv is not answering" in header_notes(world)


def test_both_down_with_nothing_stored_waits_then_posts_once(world: World) -> None:
    world.hf.fail(503, times=1000)
    world.arxiv.fail(503, times=1000)
    subscribe(world, "cat:cs.LG")
    assert world.digests().send_due_digests(NOW).posted == 0
    assert world.slack.posted_messages("C0001") == []
    world.hf.clear_faults()
    world.arxiv.clear_faults()
    later = NOW + timedelta(minutes=10)
    world.clock["now"] = later
    assert world.digests().send_due_digests(later).posted == 5
    world.clock["now"] = later + timedelta(minutes=10)
    assert world.digests().send_due_digests(later + timedelta(minutes=10)).posted == 0
    assert len(world.papers_posted()) == 5


def test_everything_plus_a_category_draws_on_both_sources(world: World) -> None:
    subscribe(world, "")
    subscribe(world, "cat:cs.LG")
    world.digests().send_due_digests(NOW)
    assert "arXiv cs.LG" in header_notes(world)
    assert world.arxiv.requests == 1
