"""The real relevance set (tests/data/relevance/real) is what issue 12 asks for: large, hard,
complete, with a dev/holdout split fixed in its plan. Quality figures: `bench.relevance_real`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.relevance_real import DATA, Judged, load
from bot.core.models import Paper
from bot.core.query import parse_topic

KINDS = {"field", "acronym", "british", "adjective", "hyphen", "distractor", "offdomain", "casual",
         "exclusion", "author", "category"}  # fmt: skip


@pytest.fixture(scope="module")
def labelled() -> tuple[list[Paper], list[Judged]]:
    return load()


def _raw(name: str) -> list[dict[str, object]]:
    return list(json.loads((DATA / name).read_text()))


def test_there_are_600_real_papers_with_their_sources(
    labelled: tuple[list[Paper], list[Judged]],
) -> None:
    papers, _ = labelled
    assert len(papers) >= 600
    assert len({p.arxiv_id for p in papers}) == len(papers)
    items = _raw("papers.json")
    assert len(items) == len(papers)  # every item parses as the bot parses Hugging Face items
    assert all(isinstance(item.get("_source"), dict) and item["_source"].get("repo")  # type: ignore[union-attr]
               for item in items)  # fmt: skip


def test_at_least_a_tenth_of_the_papers_come_from_other_fields() -> None:
    items = _raw("papers.json")
    other = [i for i in items if (i.get("_source") or {}).get("clash")]  # type: ignore[union-attr]
    assert len(other) >= 0.1 * len(items)


def test_80_topics_of_every_kind_with_complete_labels(
    labelled: tuple[list[Paper], list[Judged]],
) -> None:
    papers, topics = labelled
    ids = {p.arxiv_id for p in papers}
    assert len(topics) >= 80
    assert len({t.topic for t in topics}) == len(topics)
    assert all(t.relevant <= ids for t in topics)
    assert sum(not t.relevant for t in topics) >= 8
    assert {t.kind for t in topics} >= KINDS


def test_the_split_is_the_plans_and_holds_about_a_third(
    labelled: tuple[list[Paper], list[Judged]],
) -> None:
    _, topics = labelled
    planned = {t["topic"]: t["split"] for t in _raw("plan.json")}  # type: ignore[index]
    assert all(planned[t.topic] == t.split for t in topics)
    holdout = sum(t.split == "holdout" for t in topics)
    assert 0.25 <= holdout / len(topics) <= 0.4


def test_every_topic_is_one_the_bot_can_parse(labelled: tuple[list[Paper], list[Judged]]) -> None:
    _, topics = labelled
    for judged in topics:
        parsed = parse_topic(judged.topic)
        assert not parsed.problems, judged.topic
        assert not parsed.is_empty, judged.topic


def test_the_guidelines_and_sources_are_written_down() -> None:
    for name in ("GUIDELINES.md", "SOURCES_HF.md", "SOURCES_OFFDOMAIN.md", "README.md"):
        assert (Path(DATA) / name).stat().st_size > 500, name
