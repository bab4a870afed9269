"""ArxivClient against FakeArxiv on 127.0.0.1: conditional requests, the 3-second rule, faults."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

import bot.sources.arxiv as arxiv_module
from bot.core.freshness import BACKOFF_MAX
from bot.sources import SourceUnavailable
from bot.sources.arxiv import ArxivClient, FeedFetch, FeedResult
from tests.fakes.arxiv import (
    FakeArxiv,
    entity_expansion_feed,
    feed_of,
    load_fixture,
    render_feed,
    select,
)
from tests.fakes.hf import load_corpus
from tests.fakes.server import Reply


class FakeClock:
    """A monotonic clock that only moves when slept on (or advanced), recording every sleep."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake() -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(fake: FakeArxiv, http: httpx.Client, clock: FakeClock) -> ArxivClient:
    return ArxivClient(http, fake.url, clock=clock, sleep=clock.sleep)


def ok(fetch: FeedFetch) -> FeedResult:
    assert fetch.status == "ok"
    assert fetch.result is not None
    return fetch.result


def expected_ids(*categories: str) -> list[str]:
    """What the fixture announces as new or cross in these categories, in feed order."""
    pairs = select(load_fixture().items, categories)
    return [item["id"] for kind, item in pairs if kind in ("new", "cross")]


def unavailable(client: ArxivClient, *categories: str) -> SourceUnavailable:
    with pytest.raises(SourceUnavailable) as caught:
        client.feed(list(categories) or ["cs.CL"])
    assert caught.value.source == "arXiv"
    return caught.value


# -- content -------------------------------------------------------------------------------
def test_one_category_feed_has_its_new_and_cross_listed_papers(
    client: ArxivClient, fake: FakeArxiv
) -> None:
    result = ok(client.feed(["cs.CL"]))
    ids = [p.arxiv_id for p in result.papers]
    assert ids == expected_ids("cs.CL")
    assert len(ids) == 17
    assert result.replaced == 4  # 2 replace + 2 replace-cross
    assert result.skipped == 0
    assert result.announce_type("2512.08811") == "new"
    assert result.announce_type("2512.08903") == "cross"  # primary cs.LG
    assert [c.path for c in fake.calls_to("/rss/")] == ["/rss/cs.CL"]


def test_combined_feed_is_the_union_without_duplicates(
    client: ArxivClient, clock: FakeClock
) -> None:
    cl = {p.arxiv_id for p in ok(client.feed(["cs.CL"])).papers}
    lg = {p.arxiv_id for p in ok(client.feed(["cs.LG"])).papers}
    both = ok(client.feed(["cs.CL", "cs.LG"]))
    ids = [p.arxiv_id for p in both.papers]
    assert len(ids) == len(set(ids))
    assert set(ids) == cl | lg
    assert ids == expected_ids("cs.CL", "cs.LG")
    assert len(cl & lg) >= 5  # cross-lists shared between the two
    # cross is relative to the request: primary cs.LG is 'new' once cs.LG is asked for
    assert both.announce_type("2512.08903") == "new"
    assert both.announce_type("2512.09004") == "cross"  # primary cs.AI
    assert clock.sleeps == [3.0, 3.0]


def test_category_names_are_canonical_in_the_request(client: ArxivClient, fake: FakeArxiv) -> None:
    client.feed(["cs.cl", " STAT.ml ", "cs.CL"])
    assert [c.path for c in fake.calls_to("/rss/")] == ["/rss/cs.CL+stat.ML"]


def test_special_fixture_items_survive_the_round_trip(client: ArxivClient) -> None:
    papers = {p.arxiv_id: p for p in ok(client.feed(["cs.CL", "cs.LG"])).papers}
    tex = papers["2512.08871"]
    assert "for any summarizer & any loss bounded in $[0, 1]$" in tex.abstract
    assert "Even when $a<b$ and $c>d$ hold only approximately" in tex.abstract
    assert "<i>" not in tex.abstract
    assert papers["2512.08880"].authors == ()
    assert papers["2512.08889"].authors == ("Priya Raman", "Tomás Ortega", "Lina Haddad")
    assert papers["2512.08811"].categories == ("cs.CL", "cs.LG")


def test_papers_shared_with_the_hugging_face_corpus_keep_their_metadata(
    client: ArxivClient,
) -> None:
    hf = {item["paper"]["id"]: item["paper"] for item in load_corpus().all_items()}
    result = ok(client.feed(["cs.CL", "cs.LG"]))
    shared = {p.arxiv_id: p for p in result.papers if p.arxiv_id in hf}
    assert set(shared) == {"2501.12948", "2402.01306"}  # 2410.05258 is a replacement
    kto = shared["2402.01306"]
    assert kto.title == hf["2402.01306"]["title"]
    assert kto.authors == tuple(a["name"] for a in hf["2402.01306"]["authors"])
    assert kto.abstract.startswith("Kahneman & Tversky's prospect theory")


def test_fixture_is_large_and_varied() -> None:
    items = load_fixture().items
    assert len(items) >= 40
    primaries = {item["categories"][0] for item in items}
    assert {"cs.CL", "cs.LG", "cs.AI", "stat.ML"} <= primaries
    assert sum(item["kind"] == "replace" for item in items) >= 5
    assert any(item["authors"] is None for item in items)


def test_archive_feed_covers_its_categories(client: ArxivClient) -> None:
    ids = {p.arxiv_id for p in ok(client.feed(["stat"])).papers}
    assert ids == set(expected_ids("stat"))
    assert "2512.09066" in ids  # primary stat.ML
    assert "2512.08962" in ids  # cs.LG cross-listed to stat.ML


def test_weekend_feed_is_empty_not_an_error(client: ArxivClient, fake: FakeArxiv) -> None:
    fake.weekend(date(2025, 12, 13))
    result = ok(client.feed(["cs.CL", "cs.LG"]))
    assert result.papers == ()
    assert not result.malformed
    assert result.replaced == 0


def test_unknown_category_fails_with_arxivs_message(client: ArxivClient, fake: FakeArxiv) -> None:
    error = unavailable(client, "cs.XX")
    assert error.reason.startswith("HTTP 400: Bad subject class 'XX'. Valid subject classes")
    assert "cs.CL" in error.reason
    assert unavailable(client, "nope").reason.startswith("HTTP 400: Bad archive 'nope'")
    assert fake.requests == 2


def test_no_categories_is_a_programming_error(client: ArxivClient, fake: FakeArxiv) -> None:
    with pytest.raises(ValueError, match="category"):
        client.feed([" "])
    assert fake.requests == 0


# -- conditional requests --------------------------------------------------------------------
def test_etag_round_trip_is_not_modified(client: ArxivClient, fake: FakeArxiv) -> None:
    first = client.feed(["cs.CL", "cs.LG"])
    assert first.etag and first.etag.startswith('"')
    assert first.last_modified == "Thu, 11 Dec 2025 05:00:00 GMT"
    assert first.bytes == len(fake.feed_body("cs.CL+cs.LG"))
    again = client.feed(["cs.CL", "cs.LG"], etag=first.etag)
    assert again == FeedFetch("not_modified", None, first.etag, first.last_modified, 0)
    second_call = fake.calls_to("/rss/")[1]
    assert second_call.headers["if-none-match"] == first.etag
    assert fake.requests == 2
    assert fake.bytes_served == first.bytes  # the 304 had no body


def test_if_modified_since_alone_gives_not_modified(client: ArxivClient, fake: FakeArxiv) -> None:
    first = client.feed(["cs.AI"])
    again = client.feed(["cs.AI"], modified=first.last_modified)
    assert (again.status, again.result, again.bytes) == ("not_modified", None, 0)
    assert fake.calls_to("/rss/")[1].headers["if-modified-since"] == first.last_modified
    assert "if-none-match" not in fake.calls_to("/rss/")[1].headers


def test_new_content_answers_the_old_etag_with_fresh_papers(
    client: ArxivClient, fake: FakeArxiv
) -> None:
    first = client.feed(["cs.CL"])
    fixture = load_fixture()
    fake.serve(fixture.items[:3], announced=date(2025, 12, 12))
    second = client.feed(["cs.CL"], etag=first.etag, modified=first.last_modified)
    result = ok(second)
    assert second.etag != first.etag
    assert second.last_modified == "Fri, 12 Dec 2025 05:00:00 GMT"
    assert [p.arxiv_id for p in result.papers] == ["2512.08811", "2512.08817", "2512.08826"]


def test_a_200_with_the_etag_we_sent_is_not_parsed_again(
    client: ArxivClient, fake: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.feed(["cs.CL"])
    fake.honor_conditional = False  # a proxy that ignores If-None-Match

    def must_not_parse(body: bytes | str) -> FeedResult:
        raise AssertionError("parsed an unchanged body")

    monkeypatch.setattr(arxiv_module, "parse_feed", must_not_parse)
    again = client.feed(["cs.CL"], etag=first.etag)
    assert again.status == "not_modified"
    assert again.result is None
    assert again.etag == first.etag
    assert again.bytes == first.bytes  # the body did come, only parsing was skipped


# -- the 3-second rule -----------------------------------------------------------------------
def test_the_first_request_does_not_wait_and_the_next_waits_three_seconds(
    client: ArxivClient, clock: FakeClock, fake: FakeArxiv
) -> None:
    client.feed(["cs.CL"])
    assert clock.sleeps == []
    client.feed(["cs.LG"])
    assert clock.sleeps == [3.0]
    calls = fake.calls_to("/rss/")
    assert len(calls) == 2


def test_only_the_rest_of_the_interval_is_waited(client: ArxivClient, clock: FakeClock) -> None:
    client.feed(["cs.CL"])
    clock.advance(1.25)
    client.feed(["cs.CL"])
    assert clock.sleeps == [pytest.approx(1.75)]
    clock.advance(10.0)
    client.feed(["cs.CL"])
    assert clock.sleeps == [pytest.approx(1.75)]


def test_failed_requests_count_towards_the_interval(
    client: ArxivClient, clock: FakeClock, fake: FakeArxiv
) -> None:
    fake.fail(500)
    unavailable(client)
    ok(client.feed(["cs.CL"]))
    assert clock.sleeps == [3.0]


def test_threads_share_one_interval_and_one_connection_at_a_time(
    fake: FakeArxiv, http: httpx.Client, clock: FakeClock
) -> None:
    client = ArxivClient(http, fake.url, min_interval=3.0, clock=clock, sleep=clock.sleep)
    fake.slow(0.05, times=4)  # overlapping requests would show up as overlapping calls
    results: list[FeedFetch] = []
    start = threading.Barrier(4)

    def fetch() -> None:
        start.wait()
        results.append(client.feed(["cs.AI"]))

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(results) == 4
    assert all(r.status == "ok" for r in results)
    assert clock.sleeps == [3.0, 3.0, 3.0]
    arrivals = [c.at for c in fake.calls_to("/rss/")]
    assert all(b - a >= 0.04 for a, b in itertools.pairwise(arrivals))


def test_a_custom_interval_is_honoured(
    fake: FakeArxiv, http: httpx.Client, clock: FakeClock
) -> None:
    client = ArxivClient(http, fake.url + "/", min_interval=10.0, clock=clock, sleep=clock.sleep)
    client.feed(["cs.CL"])
    client.feed(["cs.CL"])
    assert clock.sleeps == [10.0]
    assert [c.path for c in fake.calls_to("/rss/")] == ["/rss/cs.CL", "/rss/cs.CL"]


# -- faults ----------------------------------------------------------------------------------
def test_server_error_is_unavailable(client: ArxivClient, fake: FakeArxiv) -> None:
    fake.fail(500)
    error = unavailable(client)
    assert (error.reason, error.retry_after) == ("HTTP 500", None)
    assert ok(client.feed(["cs.CL"])).papers  # one fault only


def test_503_with_retry_after_passes_the_wait_on(client: ArxivClient, fake: FakeArxiv) -> None:
    fake.fail(503, retry_after=120)
    error = unavailable(client)
    assert (error.reason, error.retry_after) == ("HTTP 503", 120.0)


def test_rate_limit_carries_retry_after(client: ArxivClient, fake: FakeArxiv) -> None:
    fake.rate_limit(retry_after=7)
    error = unavailable(client)
    assert (error.reason, error.retry_after) == ("rate limited (HTTP 429)", 7.0)


def test_retry_after_as_an_http_date(client: ArxivClient, fake: FakeArxiv) -> None:
    # measured against the response's Date header, which the fake's server sets to now
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    fake.inject("/rss/", Reply(429, b"Too Many Requests", headers={"Retry-After": later}))
    retry_after = unavailable(client).retry_after
    assert retry_after is not None
    assert 85.0 <= retry_after <= 90.0


def test_other_client_errors_are_unavailable(client: ArxivClient, fake: FakeArxiv) -> None:
    fake.fail(403)
    assert unavailable(client).reason == "HTTP 403"


def test_malformed_body_is_unavailable(client: ArxivClient, fake: FakeArxiv) -> None:
    fake.malformed()
    assert unavailable(client).reason.startswith("malformed feed (SAXParseException")


def test_html_instead_of_a_feed_is_unavailable(client: ArxivClient, fake: FakeArxiv) -> None:
    fake.malformed(b"<html><body><p>Down for maintenance</p></body></html>")
    assert unavailable(client).reason == "malformed feed (not an RSS or Atom feed)"


def test_empty_200_is_unavailable(client: ArxivClient, fake: FakeArxiv) -> None:
    fake.malformed(b"")
    assert unavailable(client).reason == "empty body"


def test_connection_cut_mid_body_is_unavailable(client: ArxivClient, fake: FakeArxiv) -> None:
    fake.truncate()
    error = unavailable(client)
    assert error.reason.startswith("incomplete response")
    full = len(fake.feed_body("cs.CL"))
    assert fake.bytes_served == full // 2


def test_short_document_sent_as_complete_is_unavailable(
    client: ArxivClient, fake: FakeArxiv
) -> None:
    body = fake.feed_body("cs.CL")
    cut = body.index(b"</item>", len(body) // 2) + len(b"</item>") + 20  # inside the next item
    fake.truncate(at=cut, declared=False)
    error = unavailable(client)
    assert error.reason == f"truncated body ({cut} bytes)"


def test_slow_server_times_out(fake: FakeArxiv, clock: FakeClock) -> None:
    fake.slow(1.0)
    with httpx.Client(timeout=0.2) as impatient:
        client = ArxivClient(impatient, fake.url, clock=clock, sleep=clock.sleep)
        error = unavailable(client)
    assert error.reason == "timed out (ReadTimeout)"


def test_nobody_listening_is_unavailable(http: httpx.Client, clock: FakeClock) -> None:
    with FakeArxiv() as gone:
        url = gone.url
    client = ArxivClient(http, url, clock=clock, sleep=clock.sleep)
    assert unavailable(client).reason.startswith("ConnectError")


def test_fake_counts_requests_and_bytes(client: ArxivClient, fake: FakeArxiv) -> None:
    first = client.feed(["cs.CL"])
    client.feed(["cs.CL"], etag=first.etag)
    fake.fail(500)
    unavailable(client)
    assert fake.requests == 3
    error_page = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
    assert fake.bytes_served == first.bytes + len(error_page)
    fake.reset()
    assert (fake.requests, fake.bytes_served) == (0, 0)


# -- hostile answers ---------------------------------------------------------------------------
def test_a_flagged_feed_is_unavailable_even_when_items_were_recovered(
    client: ArxivClient, fake: FakeArxiv
) -> None:
    body = fake.feed_body("cs.CL").replace(b"<title>", b"<title>Q & A ", 1)  # a bare '&'
    fake.hostile(body)
    assert unavailable(client).reason.startswith("not well-formed (SAXParseException")


def test_an_entity_expansion_feed_is_unavailable_at_once(
    client: ArxivClient, fake: FakeArxiv
) -> None:
    fake.hostile(entity_expansion_feed())
    reason = unavailable(client).reason
    assert reason == "malformed feed (refused a document type declaration (DTD, entities))"


def test_a_feed_of_45000_items_is_unavailable(client: ArxivClient, fake: FakeArxiv) -> None:
    fake.hostile(feed_of(45_000))  # 19 MB: over the byte cap before the item cap
    assert unavailable(client).reason.startswith("body too large")
    fake.hostile(feed_of(5001))
    assert unavailable(client).reason == "malformed feed (5001 items, over 5000)"


def test_items_none_of_which_is_usable_are_unavailable(
    client: ArxivClient, fake: FakeArxiv
) -> None:
    junk = [{"id": f"junk-{n}", "title": f"T{n}", "categories": ["cs.CL"]} for n in range(6)]
    fake.hostile(render_feed(["cs.CL"], fake.announced, [("new", item) for item in junk]))
    assert unavailable(client).reason == "no usable paper in 6 items"


@pytest.mark.parametrize(
    "header",
    ["315360000", "9" * 400, "99999999999999999999", "1e400", "³", "-5", "Fri, 31 Dec 9999 "
     "23:59:59 GMT", "Mon, 99 Foo 2036 99:99:99 GMT", "nan"],
)  # fmt: skip
def test_any_retry_after_is_read_without_error_and_capped_at_the_backoff_maximum(
    client: ArxivClient, fake: FakeArxiv, header: str
) -> None:
    fake.inject("/rss/", Reply(429, b"Too Many Requests", headers={"Retry-After": header}))
    retry_after = unavailable(client).retry_after
    assert retry_after is None or 0 <= retry_after <= BACKOFF_MAX.total_seconds()
    if header in ("315360000", "9" * 400, "Fri, 31 Dec 9999 23:59:59 GMT"):
        assert retry_after == BACKOFF_MAX.total_seconds()


def test_a_trickling_body_is_cut_off_at_the_overall_deadline(
    fake: FakeArxiv, clock: FakeClock
) -> None:
    fake.trickle(piece=1, every=0.05)  # a byte every 50 ms: no read ever times out
    with httpx.Client(timeout=1.0) as http:
        client = ArxivClient(http, fake.url, clock=clock, sleep=clock.sleep)
        started = time.monotonic()
        error = unavailable(client)
        took = time.monotonic() - started
    assert error.reason == "timed out (no full answer in 1 s)"
    assert 0.9 <= took < 1.5


def test_an_unsized_body_stops_being_read_past_the_byte_cap(
    fake: FakeArxiv, http: httpx.Client, clock: FakeClock
) -> None:
    small = ArxivClient(http, fake.url, clock=clock, sleep=clock.sleep, max_bytes=4096)
    fake.trickle(piece=1024, every=0.0, unsized=True)  # no Content-Length to refuse up front
    assert unavailable(small).reason == "body too large (over 4096 bytes)"
    assert fake.calls_to("/rss/")  # it was asked, and answered, and cut
    fake.trickle(piece=1024, every=0.0, unsized=True)
    roomy = ArxivClient(http, fake.url, clock=clock, sleep=clock.sleep)
    assert ok(roomy.feed(["cs.CL"])).papers  # an unsized body under the cap is fine
