import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.sources.hf import MAX_TEXT, MAX_TITLE, parse_answer, parse_daily, parse_item

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def test_daily_sample_parses_every_field_we_show() -> None:
    papers = parse_daily(json.loads((SAMPLES / "hf_daily_papers_3.json").read_text()))
    assert len(papers) == 3
    expo = papers[0]
    assert expo.arxiv_id == "2507.07986"
    assert expo.title == "EXPO: Stable Reinforcement Learning with Expressive Policies"
    assert expo.authors[:2] == ("Perry Dong", "Qiyang Li")
    assert expo.upvotes == 15
    assert expo.feed_day == date(2025, 12, 10)
    assert expo.ai_summary and expo.ai_summary.startswith("EXPO trains")
    assert "diffusion policies" in expo.keywords
    assert "\n" not in expo.abstract


def test_flat_paper_object_parses() -> None:
    paper = parse_item(json.loads((SAMPLES / "hf_paper_info.json").read_text()))
    assert paper is not None
    assert paper.arxiv_id == "2506.20701"


def test_damaged_items_are_skipped_not_fatal() -> None:
    items = [
        {"paper": {"id": "2501.00001", "title": "Fine", "upvotes": "many", "authors": "x"}},
        {"paper": {"id": "not-an-id", "title": "Bad id"}},
        {"paper": {"id": "2501.00002"}},  # no title
        "junk",
        {"paper": {"id": "2501.00003v2", "title": "  Spaced\n title ", "githubRepo": "ftp://x"}},
    ]
    papers = parse_daily(items)
    assert [(p.arxiv_id, p.title, p.upvotes) for p in papers] == [
        ("2501.00001", "Fine", 0),
        ("2501.00003", "Spaced title", 0),
    ]
    assert papers[1].github_repo is None
    answer = parse_answer(items)
    assert (answer.items, answer.dropped, answer.problem) == (5, 3, None)


@pytest.mark.parametrize(
    ("data", "kind"),
    [({"error": "nope"}, "an object"), (None, "null"), ("[]", "a string"), (7, "a number")],
)
def test_an_answer_that_is_not_a_list_has_no_papers_and_says_why(data: object, kind: str) -> None:
    assert parse_daily(data) == []
    answer = parse_answer(data)
    assert answer.papers == ()
    assert answer.problem == f"expected a JSON list of papers, got {kind}"


def test_an_answer_over_the_item_cap_is_a_problem_not_a_listing() -> None:
    item = {"paper": {"id": "2501.00001", "title": "Same"}}
    answer = parse_answer([item] * 2001)
    assert answer.papers == ()
    assert answer.problem == "2001 items, over 2000"
    assert parse_answer([item] * 2000).problem is None


def test_null_ids_and_wrong_types_are_dropped_item_by_item() -> None:
    items = [
        {"paper": {"id": None, "title": "No id"}},
        {"paper": {"id": 2501.00001, "title": "A number for an id"}},
        {"paper": {"id": ["2501.00002"], "title": "A list for an id"}},
        {"paper": {"id": "2501.00003", "title": {"text": "an object"}}},
        {"paper": {"id": "2501.00004", "title": "Good", "upvotes": True, "authors": {"a": 1},
                   "githubStars": "9", "publishedAt": 17, "ai_keywords": "x"}},
        {"paper": "2501.00005", "title": "A string for a paper", "id": "2501.00005"},
        {"paper": {"id": "2501.00004", "title": "The same paper again"}},
    ]  # fmt: skip
    answer = parse_answer(items)
    assert [p.arxiv_id for p in answer.papers] == ["2501.00004", "2501.00005"]
    assert (answer.items, answer.dropped) == (7, 5)
    good = answer.papers[0]
    assert (good.upvotes, good.authors, good.github_stars, good.published_at) == (0, (), None, None)
    assert good.keywords == ()


def test_timestamps_without_an_offset_are_utc_and_never_naive() -> None:
    paper = parse_item({"id": "2501.00001", "title": "T", "publishedAt": "2025-01-02T03:04:05"})
    assert paper is not None and paper.published_at is not None
    assert paper.published_at.tzinfo is not None
    assert paper.published_at.utcoffset() == timedelta(0)


def test_hostile_field_sizes_are_cut() -> None:
    paper = parse_item({
        "id": "2501.00001", "title": "T" * 50_000, "summary": "word " * 100_000,
        "upvotes": 10**40, "authors": [{"name": "A"}] * 5000,
        "githubRepo": "https://github.com/x y", "projectPage": "https://" + "p" * 5000,
    })  # fmt: skip
    assert paper is not None
    assert len(paper.title) == MAX_TITLE
    assert len(paper.abstract) <= MAX_TEXT
    assert paper.upvotes == 10**9
    assert len(paper.authors) == 1000
    assert (paper.github_repo, paper.project_page) == (None, None)
