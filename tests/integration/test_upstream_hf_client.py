"""HuggingFaceClient against FakeHuggingFace on 127.0.0.1: hostile answers are bounded failures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from bot.sources import SourceUnavailable
from bot.sources.hf import HuggingFaceClient
from tests.fakes.hf import FakeHuggingFace, load_corpus

DAY = date(2025, 12, 11)


@pytest.fixture
def hf() -> Iterator[FakeHuggingFace]:
    with FakeHuggingFace(load_corpus()) as fake:
        fake.serve_days([DAY])
        yield fake


def unavailable(client: HuggingFaceClient) -> SourceUnavailable:
    with pytest.raises(SourceUnavailable) as caught:
        client.daily_fetch(DAY)
    assert caught.value.source == "Hugging Face"
    return caught.value


def test_a_trickling_answer_is_cut_off_at_the_overall_deadline(hf: FakeHuggingFace) -> None:
    hf.trickle(piece=1, every=0.05)
    with httpx.Client(timeout=1.0) as http:
        started = time.monotonic()
        error = unavailable(HuggingFaceClient(http, hf.url))
        took = time.monotonic() - started
    assert error.reason == "timed out (no full answer in 1 s)"
    assert 0.9 <= took < 1.5


def test_an_explicit_deadline_wins_over_the_clients_timeout(hf: FakeHuggingFace) -> None:
    hf.trickle(piece=1, every=0.05)
    with httpx.Client(timeout=30.0) as http:
        started = time.monotonic()
        error = unavailable(HuggingFaceClient(http, hf.url, deadline=0.5))
    assert error.reason == "timed out (no full answer in 0.5 s)"
    assert time.monotonic() - started < 1.0


def test_an_unsized_answer_stops_being_read_past_the_byte_cap(hf: FakeHuggingFace) -> None:
    with httpx.Client(timeout=5.0) as http:
        hf.trickle(piece=512, every=0.0, unsized=True)
        small = HuggingFaceClient(http, hf.url, max_bytes=2048)
        assert unavailable(small).reason == "body too large (over 2048 bytes)"
        hf.trickle(piece=512, every=0.0, unsized=True)
        fetched = HuggingFaceClient(http, hf.url).daily_fetch(DAY)
    assert fetched.papers  # the same body under the cap is a listing


def test_a_declared_oversize_answer_is_refused_before_reading_it(hf: FakeHuggingFace) -> None:
    hf.oversize(11 * 1024 * 1024)
    with httpx.Client(timeout=5.0) as http:
        started = time.monotonic()
        error = unavailable(HuggingFaceClient(http, hf.url))
    assert error.reason.startswith("body too large (")
    assert error.reason.endswith(" bytes declared)")
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "malformed JSON"),  # deeper than the parser recurses
        (b"[" + b"9" * 5000 + b"]", "malformed JSON"),  # an integer with too many digits
        (b'{"papers": []}', "unusable answer (expected a JSON list of papers, got an object)"),
        (b'"[]"', "unusable answer (expected a JSON list of papers, got a string)"),
        (b'[{"paper": {"id": null}}, 7, "x"]', "no usable paper in 3 items"),
    ],
    ids=["deep", "long-number", "object", "string", "null-ids"],
)
def test_hostile_json_is_a_named_failure(hf: FakeHuggingFace, body: bytes, reason: str) -> None:
    hf.garbage(body)
    with httpx.Client(timeout=5.0) as http:
        assert unavailable(HuggingFaceClient(http, hf.url)).reason == reason


def test_search_answering_an_object_is_unavailable_not_a_value_error(
    hf: FakeHuggingFace,
) -> None:
    hf.garbage({"error": "nope"}, path="/api/papers/search")
    with httpx.Client(timeout=5.0) as http, pytest.raises(SourceUnavailable):
        HuggingFaceClient(http, hf.url).search("diffusion")


def test_an_empty_day_is_an_empty_listing_for_the_caller_to_judge(hf: FakeHuggingFace) -> None:
    hf.serve(DAY, [])
    with httpx.Client(timeout=5.0) as http:
        fetched = HuggingFaceClient(http, hf.url).daily_fetch(DAY)
    assert (fetched.status, fetched.papers) == ("ok", ())
    assert fetched.etag
