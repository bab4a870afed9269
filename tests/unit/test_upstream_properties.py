"""Hostile and random upstream input never raises: any JSON value through Hugging Face's
parsing, any header through the wait-hint parsing, any failure count and hint through backoff."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.freshness import BACKOFF_MAX, FeedState, after_failure, backoff, refusal
from bot.sources import MAX_WAIT, wait_seconds
from bot.sources.hf import parse_answer, parse_daily, parse_item

NOW = datetime(2025, 12, 11, 15, 0, tzinfo=UTC)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=6),
    max_leaves=40,
)  # fmt: skip
paper_keys = st.sampled_from([
    "id", "title", "summary", "authors", "publishedAt", "submittedOnDailyAt", "upvotes",
    "ai_summary", "ai_keywords", "githubRepo", "githubStars", "projectPage", "numComments",
    "paper", "name",
])  # fmt: skip
# values shaped like Daily Papers items, with every field possibly of the wrong type
item_like = st.recursive(
    scalars | st.just("2501.00001") | st.just("2025-12-10T08:03:11.654Z"),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(paper_keys, inner, max_size=8),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_parse_daily_never_raises_on_any_json_value(data: Any) -> None:
    papers = parse_daily(data)
    answer = parse_answer(data)
    assert list(answer.papers) == papers
    assert answer.dropped == answer.items - len(papers) >= 0
    assert (answer.problem is None) == isinstance(data, list)


@settings(max_examples=300, deadline=None)
@given(st.lists(item_like, max_size=8))
def test_item_validation_never_raises_and_keeps_only_papers_with_an_id_and_a_title(
    items: list[Any],
) -> None:
    for item in items:
        paper = parse_item(item)
        if paper is not None:
            assert paper.arxiv_id and paper.title
            assert paper.published_at is None or paper.published_at.tzinfo is not None
            assert paper.upvotes >= 0 and paper.num_comments >= 0
            json.dumps([paper.title, paper.abstract, list(paper.authors)])  # plain strings


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | st.from_regex(r"\d{1,500}", fullmatch=True),
       st.text(max_size=40) | st.none())  # fmt: skip
def test_a_wait_hint_never_raises_and_never_exceeds_the_backoff_maximum(
    value: str, date_header: str | None
) -> None:
    seconds = wait_seconds(value, date_header)
    assert seconds is None or 0.0 <= seconds <= MAX_WAIT


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.none() | st.floats())
def test_backoff_is_bounded_for_any_failure_count_and_any_hint(
    failures: int, retry_after: float | None
) -> None:
    wait = backoff(failures, retry_after)
    assert timedelta(0) <= wait <= BACKOFF_MAX
    failed = after_failure(FeedState("hf", "2025-12-11", failures=failures, etag="e",
                                     last_modified="m"), NOW, "x", retry_after)  # fmt: skip
    assert failed.retry_at is not None and failed.retry_at <= NOW + BACKOFF_MAX
    assert (failed.etag, failed.last_modified) == (None, None)


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_an_answer_never_empties_or_halves_a_stored_listing(stored: int, answered: int) -> None:
    refused = refusal(stored, answered) is not None
    assert refused == ((stored > 0 and answered == 0) or (stored >= 10 and answered * 2 < stored))
