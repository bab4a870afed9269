import json
from datetime import date
from pathlib import Path

import pytest

from bot.sources.hf import parse_daily, parse_item

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
    with pytest.raises(ValueError, match="list"):
        parse_daily({"error": "nope"})
