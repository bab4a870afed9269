"""The refresh job and the catalog against the Hugging Face and arXiv fakes, on SQLite and
PostgreSQL: freshness with `now` injected, conditional requests, backoff that survives a
restart, merging the two sources, and outages."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine

from bot.catalog import Catalog
from bot.core.freshness import BACKOFF_MAX
from bot.core.models import ChannelDigest
from bot.core.query import parse_topic
from bot.core.schedule import Schedule
from bot.core.window import feed_days
from bot.refresh import Refresher
from bot.services import gather
from bot.sources.arxiv import ArxivClient
from bot.sources.hf import DailyFetch, HuggingFaceClient
from bot.storage.papers import PaperStore
from bot.storage.repositories import Store
from tests.fakes.arxiv import FakeArxiv, entity_expansion_feed, feed_of
from tests.fakes.hf import FakeHuggingFace, load_corpus

# Thursday 11 Dec 2025, 15:00 UTC (10:00 in New York): the arXiv fixture's announcement day
NOW = datetime(2025, 12, 11, 15, 0, tzinfo=UTC)
TODAY = date(2025, 12, 11)
SHARED = "2501.12948"  # listed by both the HF corpus and the arXiv fixture (cs.CL)


@pytest.fixture
def hf() -> Iterator[FakeHuggingFace]:
    fake = FakeHuggingFace(load_corpus())
    fake.start()
    fake.serve_days(feed_days(NOW, 7))
    yield fake
    fake.stop()


class World:
    def __init__(self, engine: Engine, hf: FakeHuggingFace, arxiv: FakeArxiv) -> None:
        self.engine, self.hf, self.arxiv = engine, hf, arxiv
        self.http = httpx.Client(timeout=2)
        self.store = PaperStore(engine)
        self.channels = Store(engine)
        self.now = NOW
        self.sleeps: list[float] = []
        self.categories: set[str] = set()
        self.refresher = self.restart()

    def restart(self) -> Refresher:
        """A new process: nothing in memory, everything from the database."""
        arxiv = ArxivClient(self.http, self.arxiv.url, sleep=self.sleeps.append)
        self.refresher = Refresher(
            self.store, HuggingFaceClient(self.http, self.hf.url), arxiv, window_days=3,
            hf_every=timedelta(minutes=30), categories=lambda: self.categories,
        )  # fmt: skip
        return self.refresher

    def catalog(self) -> Catalog:
        return Catalog(self.store, self.refresher, clock=lambda: self.now, memo_seconds=0)

    def hf_calls(self, day: date) -> int:
        return sum(c.query.get("date") == day.isoformat() for c in self.hf.calls_to("/api/daily"))


@pytest.fixture
def world(engine: Engine, hf: FakeHuggingFace, arxiv: FakeArxiv) -> Iterator[World]:
    w = World(engine, hf, arxiv)
    yield w
    w.http.close()


def test_first_run_fetches_the_window_then_nothing_until_due(world: World) -> None:
    report = world.refresher.run(NOW)
    assert sorted(o.feed for o in report.outcomes) == ["2025-12-09", "2025-12-10", "2025-12-11"]
    assert all(o.status == "fetched" for o in report.outcomes)
    assert world.refresher.run(NOW + timedelta(minutes=10)).outcomes == []
    # today's list again after 30 minutes; yesterday's once more after it settled (it has)
    later = world.refresher.run(NOW + timedelta(minutes=31))
    assert [o.feed for o in later.outcomes] == ["2025-12-11"]


def test_todays_upvotes_are_updated_and_a_settled_day_is_left_alone(world: World) -> None:
    world.refresher.run(NOW)
    items = world.hf.items_for(TODAY)
    top = items[0]["paper"]["id"]
    changed = copy.deepcopy(items)
    changed[0]["paper"]["upvotes"] += 500
    world.hf.serve(TODAY, changed)
    world.refresher.run(NOW + timedelta(minutes=31))
    assert world.store.papers([top])[top].upvotes == items[0]["paper"]["upvotes"] + 500
    calls = world.hf_calls(date(2025, 12, 10))
    world.refresher.run(NOW + timedelta(days=1))  # the 10th was already fetched after settling
    world.refresher.run(NOW + timedelta(days=1, hours=1))
    assert world.hf_calls(date(2025, 12, 10)) == calls


def test_an_unsettled_past_day_is_fetched_once_more_after_it_settles(world: World) -> None:
    early = datetime(2025, 12, 11, 4, 30, tzinfo=UTC)  # still the 10th in New York
    world.refresher.run(early)
    assert world.hf_calls(date(2025, 12, 10)) == 1
    world.refresher.run(early + timedelta(hours=2))  # after midnight in New York: settled
    assert world.hf_calls(date(2025, 12, 10)) == 2
    world.refresher.run(early + timedelta(hours=6))
    assert world.hf_calls(date(2025, 12, 10)) == 2


def test_conditional_requests_get_304s_and_keep_the_data(world: World) -> None:
    world.refresher.run(NOW)
    before = world.store.listed("hf", [TODAY.isoformat()], [TODAY])
    world.refresher.run(NOW + timedelta(minutes=31))
    last = [c for c in world.hf.calls_to("/api/daily") if c.query.get("date") == "2025-12-11"][-1]
    assert last.headers.get("if-none-match")
    assert world.store.listed("hf", [TODAY.isoformat()], [TODAY]) == before
    state = world.store.feed_state("hf", TODAY.isoformat())
    assert state is not None and state.etag and state.failures == 0


def test_failures_back_off_and_the_backoff_survives_a_restart(world: World) -> None:
    world.hf.fail(503, times=1000)
    first = world.refresher.run(NOW)
    assert {o.status for o in first.outcomes} == {"failed"}
    calls = len(world.hf.calls_to("/api/daily"))
    world.restart()
    assert world.refresher.run(NOW + timedelta(seconds=30)).outcomes == []  # backing off
    assert len(world.hf.calls_to("/api/daily")) == calls
    second = world.refresher.run(NOW + timedelta(minutes=1, seconds=1))
    assert {o.status for o in second.outcomes} == {"failed"}
    state = world.store.feed_state("hf", TODAY.isoformat())
    assert state is not None and state.failures == 2
    assert state.retry_at == NOW + timedelta(minutes=1, seconds=1) + timedelta(minutes=2)
    world.hf.clear_faults()
    third = world.refresher.run(NOW + timedelta(minutes=4))
    assert {o.status for o in third.outcomes} == {"fetched"}


def test_retry_after_is_honoured(world: World) -> None:
    world.hf.rate_limit(retry_after=600, times=1000)
    world.refresher.run(NOW)
    state = world.store.feed_state("hf", TODAY.isoformat())
    assert state is not None and state.retry_at == NOW + timedelta(seconds=600)


def test_a_slow_feed_times_out_and_the_others_continue(world: World) -> None:
    world.hf.slow(3.0, times=1)  # the client gives up after 2 s
    report = world.refresher.run(NOW)
    statuses = sorted(o.status for o in report.outcomes)
    assert statuses == ["failed", "fetched", "fetched"]


def test_arxiv_categories_once_per_cycle_with_the_three_second_rule(world: World) -> None:
    world.categories = {"cs.CL", "cs.LG"}
    report = world.refresher.run(NOW)
    arxiv = [o for o in report.outcomes if o.source == "arxiv"]
    assert [(o.feed, o.status) for o in arxiv] == [("cs.CL", "fetched"), ("cs.LG", "fetched")]
    assert world.sleeps and all(0 < s <= 3.0 for s in world.sleeps)
    assert not [o for o in world.refresher.run(NOW + timedelta(hours=3)).outcomes
                if o.source == "arxiv"]  # fmt: skip
    # the next announcement cycle (after midnight in New York): asked again, conditionally
    next_cycle = world.refresher.run(NOW + timedelta(days=1))
    assert {o.status for o in next_cycle.outcomes if o.source == "arxiv"} == {"unchanged"}
    assert world.arxiv.calls_to("/rss/")[-1].headers.get("if-none-match")


def test_a_weekend_feed_keeps_the_last_announcement(world: World) -> None:
    world.categories = {"cs.CL"}
    world.refresher.run(NOW)
    catalog = world.catalog()
    before = catalog.categories(["cs.CL"]).papers
    assert before
    world.arxiv.weekend()
    world.now = NOW + timedelta(days=2)
    outcome = world.refresher.arxiv_category("cs.CL", world.now)
    assert outcome.status == "empty"
    assert catalog.categories(["cs.CL"]).papers == before


def test_the_same_paper_from_both_sources_is_one_paper_with_the_best_of_both(
    world: World,
) -> None:
    world.refresher.run(NOW)
    world.hf.serve(TODAY, [_hf_item_for(SHARED)])
    world.refresher.run(NOW + timedelta(minutes=31))
    world.refresher.arxiv_category("cs.CL", NOW)
    merged = world.store.papers([SHARED])[SHARED]
    assert merged.upvotes > 0 and merged.ai_summary  # from Hugging Face
    assert "cs.CL" in merged.categories  # from arXiv
    topic = parse_topic("cat:cs.CL")
    got = gather(world.catalog(), feed_days(NOW, 3), [topic])
    assert [p.arxiv_id for p in got.papers].count(SHARED) == 1


def _hf_item_for(arxiv_id: str) -> dict[str, object]:
    for item in load_corpus().search + [i for day in load_corpus().days for i in day]:
        if item.get("paper", {}).get("id") == arxiv_id:
            return copy.deepcopy(item)
    raise KeyError(arxiv_id)


def test_a_missing_window_is_filled_on_read_once(world: World) -> None:
    catalog = world.catalog()
    got = catalog.window(feed_days(NOW, 3))
    assert got.papers and got.complete
    calls = len(world.hf.calls_to("/api/daily"))
    catalog.window(feed_days(NOW, 3))
    assert len(world.hf.calls_to("/api/daily")) == calls  # answered from the store


def test_outages_are_reported_and_nothing_is_lost(world: World) -> None:
    world.categories = {"cs.CL"}
    world.refresher.run(NOW)
    world.hf.fail(503, times=1000)
    world.arxiv.fail(503, times=1000)
    later = NOW + timedelta(minutes=31)
    world.now = later
    world.refresher.run(later)
    got = gather(world.catalog(), feed_days(later, 3), [parse_topic("cat:cs.CL")])
    assert got.papers  # stored data still answers
    assert not got.missing


def test_both_down_with_nothing_stored_is_missing(world: World) -> None:
    world.hf.fail(503, times=1000)
    world.arxiv.fail(503, times=1000)
    got = gather(world.catalog(), feed_days(NOW, 3), [parse_topic("cat:cs.CL diffusion")])
    assert got.missing
    assert any("Hugging Face is not answering" in n for n in got.notes)
    assert any("arXiv is not answering" in n for n in got.notes)


def test_followed_categories_come_from_active_channels(world: World) -> None:
    from bot.bootstrap import followed_categories

    defaults = ChannelDigest("T1", "C1", Schedule(9, 0, "UTC"), 5, "active", "U1", NOW)
    world.channels.subscribe("T1", "C1", "cat:cs.CL value alignment", "k1", "U1", defaults,
                             NOW, 25)  # fmt: skip
    world.channels.subscribe("T1", "C1", "diffusion", "k2", "U1", defaults, NOW, 25)
    assert followed_categories(world.channels) == {"cs.CL"}


def test_a_200_with_the_same_etag_counts_as_unchanged(world: World) -> None:
    from tests.fakes.server import Reply

    world.refresher.run(NOW)
    state = world.store.feed_state("hf", TODAY.isoformat())
    assert state is not None and state.etag
    world.hf.inject("/api/daily_papers", Reply(200, b"[]", headers={"ETag": state.etag}))
    outcome = world.refresher.hf_day(TODAY, NOW + timedelta(minutes=31))
    assert outcome.status == "unchanged"
    assert world.store.listed("hf", [TODAY.isoformat()], [TODAY])  # the list was not emptied


def test_a_bad_body_is_a_failure_and_keeps_the_stored_list(world: World) -> None:
    world.refresher.run(NOW)
    world.hf.bad_json(times=1)
    outcome = world.refresher.hf_day(TODAY, NOW + timedelta(minutes=31))
    assert outcome.status == "failed"
    assert world.store.listed("hf", [TODAY.isoformat()], [TODAY])
    world.refresher.arxiv_category("cs.CL", NOW)
    for fault in (world.arxiv.malformed, world.arxiv.truncate):
        fault()
        failed = world.refresher.arxiv_category("cs.CL", NOW + timedelta(days=1, minutes=5))
        assert failed.status == "failed", failed
        assert world.catalog().categories(["cs.CL"]).papers
        state = world.store.feed_state("arxiv", "cs.CL")
        assert state is not None
        world.store.save_feed_state(replace(state, retry_at=None, etag=None, last_modified=None))


# -- hostile upstreams: stored paper data is never destroyed ------------------------------------
def _listed(world: World, day: date = TODAY) -> list[str]:
    return [p.arxiv_id for p in world.store.listed("hf", [day.isoformat()], [day])]


def _refused_and_kept(world: World, before: list[str], day: date = TODAY) -> None:
    """The answer was a failure with backoff, the listing stayed, the validators went."""
    assert _listed(world, day) == before
    state = world.store.feed_state("hf", day.isoformat())
    assert state is not None and state.failures == 1 and state.retry_at is not None
    assert state.error and state.etag is None and state.last_modified is None
    from bot.bootstrap import source_health

    assert source_health(world.store)["hf"]["failing"] == 1


@pytest.mark.parametrize(
    "garbage",
    [
        [],
        [{"paper": {"id": None, "title": None}}] * 30,
        [{"paper": {"id": 12, "title": ["x"]}}, "junk", None, 3],
        {"papers": []},
        None,
    ],
    ids=["empty-list", "null-ids", "wrong-types", "object", "null"],
)
def test_well_formed_garbage_never_replaces_a_stored_day(world: World, garbage: object) -> None:
    world.refresher.run(NOW)
    before = _listed(world)
    assert before
    world.hf.garbage(garbage, times=1)
    outcome = world.refresher.hf_day(TODAY, NOW + timedelta(minutes=31))
    assert outcome.status == "failed", outcome
    _refused_and_kept(world, before)
    got = world.catalog().window(feed_days(NOW, 3))
    assert TODAY in got.stale  # /papers says the list may be out of date, and shows it
    retry = world.store.feed_state("hf", TODAY.isoformat())
    assert retry is not None and retry.retry_at is not None
    assert world.refresher.hf_day(TODAY, retry.retry_at).status == "fetched"
    last = [c for c in world.hf.calls_to("/api/daily") if c.query.get("date") == "2025-12-11"][-1]
    assert "if-none-match" not in last.headers  # a full fetch after the refusal


def test_an_answer_far_shorter_than_the_stored_day_is_refused(world: World) -> None:
    items = world.hf.items_for(TODAY)
    many = [copy.deepcopy(items[i % len(items)]) for i in range(24)]
    for n, item in enumerate(many):
        item["paper"]["id"] = f"2512.{n:05d}"
    world.hf.serve(TODAY, many)
    world.refresher.hf_day(TODAY, NOW)
    before = _listed(world)
    assert len(before) == 24
    world.hf.serve(TODAY, many[:11])  # fewer than half of 24
    assert world.refresher.hf_day(TODAY, NOW + timedelta(minutes=31)).status == "failed"
    _refused_and_kept(world, before)
    world.hf.serve(TODAY, many[:12])  # half is still a listing
    assert world.refresher.hf_day(TODAY, NOW + timedelta(hours=2)).status == "fetched"
    assert len(_listed(world)) == 12


def test_a_refused_past_day_is_not_settled_and_is_fetched_again(world: World) -> None:
    early = datetime(2025, 12, 11, 4, 30, tzinfo=UTC)  # still the 10th in New York
    yesterday = date(2025, 12, 10)
    world.refresher.run(early)
    before = _listed(world, yesterday)
    world.hf.garbage([], times=1)  # the settling fetch of the 10th answers nothing
    later = early + timedelta(hours=2)
    outcome = world.refresher.hf_day(yesterday, later)
    assert outcome.status == "failed"
    _refused_and_kept(world, before, yesterday)
    state = world.store.feed_state("hf", yesterday.isoformat())
    assert state is not None and not state.settled
    assert world.refresher.hf_day(yesterday, later + timedelta(minutes=2)).status == "fetched"
    state = world.store.feed_state("hf", yesterday.isoformat())
    assert state is not None and state.settled


def test_an_empty_day_with_nothing_stored_is_empty_and_never_settles(world: World) -> None:
    yesterday = date(2025, 12, 10)
    world.hf.serve(TODAY, [])
    world.hf.serve(yesterday, [])
    report = world.refresher.run(NOW)
    statuses = {o.feed: o.status for o in report.outcomes}
    assert statuses["2025-12-11"] == statuses["2025-12-10"] == "empty"
    state = world.store.feed_state("hf", yesterday.isoformat())
    assert state is not None and not state.settled and state.failures == 0
    assert not world.catalog().window(feed_days(NOW, 3)).failed  # empty is not an outage
    # Hugging Face publishes the 10th late: the empty past day is asked again, then settles
    world.hf.serve_days(feed_days(NOW, 3)[1:])
    later = world.refresher.run(NOW + timedelta(minutes=31))
    assert {o.feed: o.status for o in later.outcomes}["2025-12-10"] == "fetched"
    assert _listed(world, yesterday)
    state = world.store.feed_state("hf", yesterday.isoformat())
    assert state is not None and state.settled


def test_a_json_object_for_a_list_is_one_feeds_failure_and_the_pass_goes_on(
    world: World,
) -> None:
    world.categories = {"cs.CL"}
    world.hf.garbage({"error": "not a list"}, times=1)
    report = world.refresher.run(NOW)
    statuses = sorted(o.status for o in report.outcomes)
    assert statuses == ["failed", "fetched", "fetched", "fetched"]
    failed = next(o for o in report.outcomes if o.status == "failed")
    assert failed.error == "unusable answer (expected a JSON list of papers, got an object)"
    state = world.store.feed_state("hf", failed.feed)
    assert state is not None and state.failures == 1 and state.retry_at is not None


class ExplodingFeed:
    """A DailyFeed port that raises what no client should (a bug, a library surprise)."""

    def __init__(self, real: HuggingFaceClient, day: date) -> None:
        self.real, self.day = real, day

    def daily_fetch(self, day: date, etag: str | None = None) -> DailyFetch:
        if day == self.day:
            raise RuntimeError("surprise")
        return self.real.daily_fetch(day, etag)


def test_an_unexpected_exception_in_one_feed_is_its_failure_with_backoff(world: World) -> None:
    refresher = Refresher(
        world.store, ExplodingFeed(HuggingFaceClient(world.http, world.hf.url), TODAY),
        ArxivClient(world.http, world.arxiv.url, sleep=world.sleeps.append), window_days=3,
        hf_every=timedelta(minutes=30), categories=lambda: {"cs.CL"},
    )  # fmt: skip
    report = refresher.run(NOW)
    assert sorted(o.status for o in report.outcomes) == ["failed", "fetched", "fetched", "fetched"]
    state = world.store.feed_state("hf", TODAY.isoformat())
    assert state is not None and state.error == "unexpected RuntimeError: surprise"
    assert state.retry_at == NOW + timedelta(minutes=1)


@pytest.mark.parametrize("header", ["315360000", "9" * 400, "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_huge_retry_after_backs_off_at_most_the_backoff_maximum(
    world: World, header: str
) -> None:
    from tests.fakes.server import Reply

    reply = Reply(429, {"error": "slow down"}, headers={"Retry-After": header})
    world.hf.inject("/api/daily_papers", reply, times=3)
    report = world.refresher.run(NOW)  # no OverflowError, every day failed with backoff
    assert [o.status for o in report.outcomes] == ["failed"] * 3
    state = world.store.feed_state("hf", TODAY.isoformat())
    assert state is not None and state.retry_at == NOW + BACKOFF_MAX


def test_a_huge_ratelimit_reset_backs_off_at_most_the_backoff_maximum(world: World) -> None:
    from tests.fakes.server import Reply

    reset = '"api";r=0;t=' + "9" * 400
    world.hf.inject("/api/daily_papers", Reply(429, {"error": "no"}, headers={"RateLimit": reset}))
    assert world.refresher.hf_day(TODAY, NOW).status == "failed"
    state = world.store.feed_state("hf", TODAY.isoformat())
    assert state is not None and state.retry_at == NOW + BACKOFF_MAX


def test_a_trickling_answer_is_cut_at_the_deadline_and_the_others_continue(
    world: World,
) -> None:
    world.hf.trickle(piece=1, every=0.1)  # never a read timeout; the client's deadline is 2 s
    started = time.monotonic()
    report = world.refresher.run(NOW)
    assert time.monotonic() - started < 4.5
    assert sorted(o.status for o in report.outcomes) == ["failed", "fetched", "fetched"]
    failed = next(o for o in report.outcomes if o.status == "failed")
    assert failed.error == "timed out (no full answer in 2 s)"


def test_a_day_of_70000_items_is_refused_and_not_stored(world: World) -> None:
    world.refresher.run(NOW)
    before = _listed(world)
    world.hf.garbage([{"paper": {"id": f"2512.{n % 99999:05d}", "title": "t"}}
                      for n in range(70_000)])  # fmt: skip
    outcome = world.refresher.hf_day(TODAY, NOW + timedelta(minutes=31))
    assert outcome.error == "unusable answer (70000 items, over 2000)"
    _refused_and_kept(world, before)


def test_an_oversize_answer_is_refused_and_not_stored(world: World) -> None:
    world.refresher.run(NOW)
    before = _listed(world)
    world.hf.oversize(11 * 1024 * 1024)
    outcome = world.refresher.hf_day(TODAY, NOW + timedelta(minutes=31))
    assert outcome.status == "failed" and outcome.error
    assert outcome.error.startswith("body too large")
    _refused_and_kept(world, before)


@pytest.mark.parametrize("hostile", ["entity-expansion", "45000-items", "5001-items", "flagged"])
def test_a_bad_arxiv_feed_keeps_the_listing_and_the_next_fetch_is_a_full_one(
    world: World, hostile: str
) -> None:
    world.refresher.arxiv_category("cs.CL", NOW)
    before = world.catalog().categories(["cs.CL"]).papers
    assert before
    good = world.arxiv.feed_body("cs.CL")
    bodies = {
        "entity-expansion": entity_expansion_feed(),
        "45000-items": feed_of(45_000),
        "5001-items": feed_of(5001),
        "flagged": good.replace(b"<title>", b"<title>Q & A ", 1),
    }
    world.arxiv.hostile(bodies[hostile])
    next_cycle = NOW + timedelta(days=1)
    outcome = world.refresher.arxiv_category("cs.CL", next_cycle)
    assert outcome.status == "failed", outcome
    assert world.catalog().categories(["cs.CL"]).papers == before
    state = world.store.feed_state("arxiv", "cs.CL")
    assert state is not None and state.failures == 1 and state.error
    assert (state.etag, state.last_modified) == (None, None)
    from bot.bootstrap import source_health

    assert source_health(world.store)["arxiv"]["failing"] == 1
    assert state.retry_at is not None
    assert world.refresher.arxiv_category("cs.CL", state.retry_at).status == "fetched"
    last = world.arxiv.calls_to("/rss/")[-1]
    assert "if-none-match" not in last.headers and "if-modified-since" not in last.headers


def test_an_arxiv_refetch_of_the_same_cycle_never_halves_its_listing(world: World) -> None:
    world.refresher.arxiv_category("cs.CL", NOW)
    before = world.catalog().categories(["cs.CL"]).papers
    assert len(before) >= 10
    world.arxiv.hostile(feed_of(3))  # the same cycle, three papers where 17 are stored
    state = world.store.feed_state("arxiv", "cs.CL")
    assert state is not None
    world.store.save_feed_state(replace(state, fetched_at=None, etag=None, last_modified=None))
    outcome = world.refresher.arxiv_category("cs.CL", NOW + timedelta(hours=1))
    assert outcome.status == "failed"
    assert outcome.error == f"answer lists 3 papers where {len(before)} are stored (kept them)"
    assert world.catalog().categories(["cs.CL"]).papers == before
