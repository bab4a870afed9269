"""Quick checks that the Hugging Face fake and its corpus behave like the real API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from tests.fakes.hf import FakeHuggingFace, Item, load_corpus
from tests.fakes.server import Reply

DAYS = [
    date(2025, 12, 12),
    date(2025, 12, 11),
    date(2025, 12, 10),
    date(2025, 12, 9),
    date(2025, 12, 8),
    date(2025, 12, 5),
    date(2025, 12, 4),
]

ALIGNMENT_IDS = {"2305.18290", "2402.01306", "2404.10636", "2212.08073", "2402.05070"}
VALUE_FUNCTION_IDS = {"2403.03950", "2309.10150", "2110.06169", "2006.04779"}
HOSTILE_ID = "2211.17192"


@pytest.fixture
def hf() -> Iterator[FakeHuggingFace]:
    fake = FakeHuggingFace()
    fake.start()
    fake.serve_days(DAYS)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def client(hf: FakeHuggingFace) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hf.url, timeout=5.0) as c:
        yield c


# ------------------------------------------------------------------ corpus
def _text(item: Item) -> str:
    paper = item["paper"]
    return f"{paper['title']} {paper['summary']}".lower()


def test_corpus_shape_and_counts() -> None:
    corpus = load_corpus()
    assert len(corpus.days) >= 7
    day_items = corpus.day_items()
    assert len(day_items) >= 55
    assert all(7 <= len(day) <= 10 for day in corpus.days)
    ids = corpus.ids()
    assert len(ids) == len(set(ids)), "paper ids must be unique"
    for day in corpus.days:
        ups = [item["paper"]["upvotes"] for item in day]
        assert ups == sorted(ups, reverse=True)
    for item in corpus.all_items():
        paper = item["paper"]
        assert re.fullmatch(r"\d{4}\.\d{4,5}", paper["id"])
        assert item["title"] == paper["title"] and item["summary"] == paper["summary"]
        assert item["thumbnail"].endswith(f"/{paper['id']}.png")
        assert all({"_id", "name", "hidden"} <= set(a) for a in paper["authors"])
        assert re.fullmatch(r"[0-9a-f]{24}", paper["discussionId"])
    for item in day_items:
        assert "submittedOnDailyAt" in item["paper"] and "submittedBy" in item
    assert 10 <= len(corpus.search) <= 15
    for item in corpus.search:
        assert not any(k.startswith("submittedOnDaily") for k in item["paper"])
    # optional fields are really optional
    assert 0.2 <= sum("ai_summary" not in i["paper"] for i in day_items) / len(day_items) <= 0.45
    assert 0.35 <= sum("githubRepo" not in i["paper"] for i in day_items) / len(day_items) <= 0.6


def test_corpus_topic_mix() -> None:
    corpus = load_corpus()
    day_items = corpus.day_items()

    def count(*needles: str) -> int:
        return sum(any(n in _text(i) for n in needles) for i in day_items)

    assert count("diffusion model", "video diffusion", "image diffusion") >= 3
    assert count("attention") >= 3
    assert count("agent") >= 3
    # alignment papers: on distinct days, and the strongest is not its day's top paper
    days_of = {pid: corpus.day_of(pid) for pid in ALIGNMENT_IDS}
    assert None not in days_of.values() and len(set(days_of.values())) == len(ALIGNMENT_IDS)
    for pid in ALIGNMENT_IDS:
        assert any(
            w in _text(corpus.item(pid)) for w in ("align", "preference", "values", "ai feedback")
        )
    strongest = corpus.item("2404.10636")
    strongest_day = days_of["2404.10636"]
    assert strongest_day is not None
    assert corpus.days[strongest_day][0]["paper"]["id"] != "2404.10636"
    assert "human values" in _text(strongest)
    # confusable RL value-function papers: value/Q talk, no alignment talk
    for pid in VALUE_FUNCTION_IDS:
        text = _text(corpus.item(pid))
        assert corpus.day_of(pid) is not None
        assert "value" in text and ("q-" in text or "value function" in text)
        assert "align" not in text
    search_text = [_text(i) for i in corpus.search]
    assert sum(("protein" in t or "graph neural" in t) for t in search_text) >= 3
    assert sum(("align" in t or "human feedback" in t) for t in search_text) >= 3
    # exactly one Slack-hostile abstract, title clean
    hostile = [i for i in corpus.all_items() if "<!here>" in i["paper"]["summary"]]
    assert [i["paper"]["id"] for i in hostile] == [HOSTILE_ID]
    assert "<@U123>" in hostile[0]["summary"] and "a < b && c > d" in hostile[0]["summary"]
    assert "<" not in hostile[0]["title"] and "&" not in hostile[0]["title"]


def test_load_corpus_returns_independent_copies() -> None:
    a, b = load_corpus(), load_corpus()
    a.days[0][0]["paper"]["title"] = "mutated"
    assert b.days[0][0]["paper"]["title"] != "mutated"
    item = b.item(b.days[0][0]["paper"]["id"])
    item["paper"]["upvotes"] = -1
    assert b.days[0][0]["paper"]["upvotes"] != -1


# ------------------------------------------------------------------ daily papers
def test_serve_days_rewrites_dates_and_orders_by_upvotes(
    hf: FakeHuggingFace, client: httpx.Client
) -> None:
    corpus = load_corpus()
    for index, day in enumerate(DAYS):
        r = client.get("/api/daily_papers", params={"date": day.isoformat()})
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json; charset=utf-8"
        items = r.json()
        assert [i["paper"]["id"] for i in items] == [i["paper"]["id"] for i in corpus.days[index]]
        ups = [i["paper"]["upvotes"] for i in items]
        assert ups == sorted(ups, reverse=True)
        for item in items:
            stamp = item["paper"]["submittedOnDailyAt"]
            assert stamp.startswith(f"{day.isoformat()}T08:")
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    assert hf.served_dates() == DAYS


def test_headers_etag_and_ratelimit(client: httpx.Client) -> None:
    r1 = client.get("/api/daily_papers", params={"date": "2025-12-12"})
    r2 = client.get("/api/daily_papers", params={"date": "2025-12-12"})
    assert r1.headers["etag"] == r2.headers["etag"]
    assert re.fullmatch(r'"api";r=\d+;t=\d+', r1.headers["ratelimit"])
    assert r1.headers["ratelimit-policy"] == '"fixed window";"api";q=500;w=300'
    r304 = client.get(
        "/api/daily_papers",
        params={"date": "2025-12-12"},
        headers={"If-None-Match": r1.headers["etag"]},
    )
    assert r304.status_code == 304


def test_empty_day_limit_paging_and_errors(client: httpx.Client) -> None:
    assert client.get("/api/daily_papers", params={"date": "2025-12-13"}).json() == []
    full = client.get("/api/daily_papers", params={"date": "2025-12-12"}).json()
    page0 = client.get("/api/daily_papers", params={"date": "2025-12-12", "limit": 4})
    assert [i["paper"]["id"] for i in page0.json()] == [i["paper"]["id"] for i in full[:4]]
    assert 'rel="next"' in page0.headers["link"]
    page1 = client.get("/api/daily_papers", params={"date": "2025-12-12", "limit": 4, "p": 1})
    assert [i["paper"]["id"] for i in page1.json()] == [i["paper"]["id"] for i in full[4:8]]
    assert client.get("/api/daily_papers", params={"date": "2025-12-12", "p": 100}).json() == []

    too_big = client.get("/api/daily_papers", params={"date": "2025-12-12", "limit": 101})
    assert too_big.status_code == 400
    assert too_big.json() == {"error": "Too big: expected number to be <=100"}
    assert client.get("/api/daily_papers", params={"date": "2025-13-40"}).status_code == 400
    assert client.get("/api/daily_papers", params={"date": "yesterday"}).status_code == 400
    assert client.get("/api/daily_papers", params={"sort": "upvotes"}).status_code == 400


def test_serve_explicit_items_and_clear(hf: FakeHuggingFace, client: httpx.Client) -> None:
    corpus = load_corpus()
    picked = [corpus.item("2404.10636"), corpus.item("2501.12948")]
    hf.serve(date(2025, 12, 15), picked)
    items = client.get("/api/daily_papers", params={"date": "2025-12-15"}).json()
    assert [i["paper"]["id"] for i in items] == ["2501.12948", "2404.10636"]
    assert all(i["paper"]["submittedOnDailyAt"].startswith("2025-12-15T08:") for i in items)
    hf.clear_days()
    assert client.get("/api/daily_papers", params={"date": "2025-12-15"}).json() == []


# ------------------------------------------------------------------ search and paper
def test_search_ranks_by_words_matched(client: httpx.Client) -> None:
    r = client.get("/api/papers/search", params={"q": "protein folding", "limit": 5})
    assert r.status_code == 200
    results = r.json()
    assert 0 < len(results) <= 5
    assert results[0]["paper"]["id"] == "2209.15611"  # matches both words
    first = results[0]
    assert not any(k.startswith("submittedOnDaily") for k in first["paper"])
    assert {"paper", "title", "summary", "numComments", "isAuthorParticipating"} <= set(first)

    ids = [
        i["paper"]["id"]
        for i in client.get("/api/papers/search", params={"q": "aligning human values"}).json()
    ]
    assert "2404.10636" in ids and "2008.02275" in ids
    assert len(ids) <= 20
    assert client.get("/api/papers/search", params={"q": "xyzzyplugh"}).json() == []


def test_single_paper_and_404(client: httpx.Client) -> None:
    r = client.get("/api/papers/2404.10636")
    assert r.status_code == 200
    paper = r.json()
    assert paper["id"] == "2404.10636" and "linkedModels" in paper and "paper" not in paper
    assert paper["submittedOnDailyAt"].startswith("2025-12-10T08:")
    missing = client.get("/api/papers/9999.99999")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Paper not found"}
    assert client.get("/api/nothing/here").status_code == 404


# ------------------------------------------------------------------ faults
def test_injected_503_then_recovery(hf: FakeHuggingFace, client: httpx.Client) -> None:
    hf.fail(503, times=2)
    params = {"date": "2025-12-12"}
    assert client.get("/api/daily_papers", params=params).status_code == 503
    assert client.get("/api/daily_papers", params=params).status_code == 503
    ok = client.get("/api/daily_papers", params=params)
    assert ok.status_code == 200 and len(ok.json()) == 9
    assert len(hf.calls_to("/api/daily_papers")) == 3


def test_rate_limit_bad_json_slow_and_truncate(hf: FakeHuggingFace, client: httpx.Client) -> None:
    params = {"date": "2025-12-12"}
    hf.rate_limit(retry_after=7)
    r = client.get("/api/daily_papers", params=params)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7" and r.headers["ratelimit"] == '"api";r=0;t=7'

    hf.bad_json()
    r = client.get("/api/daily_papers", params=params)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()

    hf.slow(1.0)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/api/daily_papers", params=params, timeout=0.2)

    hf.truncate()
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/api/daily_papers", params=params)

    # the base class inject() works too, and the fake recovers afterwards
    hf.inject("/api/daily_papers", Reply(502, {"error": "Bad Gateway"}))
    assert client.get("/api/daily_papers", params=params).status_code == 502
    assert client.get("/api/daily_papers", params=params).status_code == 200
