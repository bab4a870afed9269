"""Relevance quality on the labelled set (tests/data/relevance): a regression guard.

The figures themselves are printed by `python -m bench.relevance`; this test fails when the
ranker falls below the issue's targets, or stops beating both baselines.
"""

from __future__ import annotations

import pytest

from bench.relevance import RANKERS, Judged, Scores, evaluate, load, mean
from bot.core.models import Paper
from bot.core.query import parse_topic
from bot.core.topics import relevance


@pytest.fixture(scope="module")
def labelled() -> tuple[list[Paper], list[Judged]]:
    return load()


@pytest.fixture(scope="module")
def scores(labelled: tuple[list[Paper], list[Judged]]) -> dict[str, Scores]:
    papers, topics = labelled
    return {name: mean(evaluate(ranker, papers, topics)) for name, ranker in RANKERS.items()}


def test_the_set_is_what_the_issue_asks_for(labelled: tuple[list[Paper], list[Judged]]) -> None:
    papers, topics = labelled
    ids = {p.arxiv_id for p in papers}
    assert len(papers) >= 60
    assert len(ids) == len(papers)
    assert len(topics) >= 15
    assert sum(not t.relevant for t in topics) >= 2
    assert all(t.relevant <= ids for t in topics)
    assert {t.split for t in topics} == {"dev", "holdout"}


def test_targets_are_met_on_the_whole_set(scores: dict[str, Scores]) -> None:
    ours = scores["papers-bot"]
    assert ours.p5 >= 0.9
    assert ours.ndcg >= 0.9
    assert ours.empty == 1.0


@pytest.mark.parametrize("baseline", ["substring", "BM25"])
def test_ahead_of_each_baseline(scores: dict[str, Scores], baseline: str) -> None:
    ours, theirs = scores["papers-bot"], scores[baseline]
    assert ours.p5 > theirs.p5
    assert ours.ndcg > theirs.ndcg
    assert ours.empty > theirs.empty


def test_ambiguous_words_keep_their_sense(labelled: tuple[list[Paper], list[Judged]]) -> None:
    papers, _ = labelled
    off_domain = {p.arxiv_id for p in papers if _is_off_domain(p)}
    assert off_domain, "the set has papers from other fields"
    for topic in ("transformers", "diffusion models", "attention mechanism", "LLM agents"):
        found = {p.arxiv_id for p in papers if relevance(p, parse_topic(topic))}
        assert not found & off_domain, topic


def _is_off_domain(paper: Paper) -> bool:
    words = f"{paper.title} {' '.join(paper.keywords)}".lower()
    return any(w in words for w in ("power transformer", "sarin", "nerve agent", "brownian",
                                    "anomalous diffusion", "eeg", "adhd"))  # fmt: skip


def test_every_result_says_why(labelled: tuple[list[Paper], list[Judged]]) -> None:
    papers, topics = labelled
    for judged in topics:
        for paper in papers:
            match = relevance(paper, parse_topic(judged.topic))
            if match is not None:
                assert match.reason.startswith("matched: ")
                assert match.reason.split(" in ")[-1].split(" (")[0] in {
                    "title", "keywords", "summary", "abstract"
                }  # fmt: skip
