"""What is shown and in which order: the most relevant papers past the relevance gate, in
trending order, upvotes with a recency decay (pure).

    score = upvotes * 0.5 ** (age_days / HALF_LIFE_DAYS)

`age_days` counts calendar days from the paper's feed day to today's feed day (US-Eastern), so a
paper listed today keeps all its upvotes and one listed three days ago keeps half. Ties (papers
only on arXiv have no upvotes) go to the more relevant paper, then more upvotes, then the newer
arXiv id, so the order is stable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.core.models import Paper, Ranked
from bot.core.topics import Topic, relevance
from bot.core.window import age_in_days

HALF_LIFE_DAYS = 3.0


def trending_score(paper: Paper, now: datetime) -> float:
    """Upvotes decayed by the age of the paper's feed day; 0 age when it has none."""
    age = age_in_days(paper.feed_day, now) if paper.feed_day else 0
    return round(paper.upvotes * 0.5 ** (age / HALF_LIFE_DAYS), 4)  # type: ignore[no-any-return]


def unique_papers(papers: Iterable[Paper]) -> list[Paper]:
    """One paper per arXiv id: the listing with the most upvotes wins."""
    best: dict[str, Paper] = {}
    for paper in papers:
        seen = best.get(paper.arxiv_id)
        if seen is None or paper.upvotes > seen.upvotes:
            best[paper.arxiv_id] = paper
    return list(best.values())


def rank(papers: Iterable[Paper], topic: Topic | None, now: datetime, limit: int) -> list[Ranked]:
    """The best `limit` papers: relevant to `topic` (when given), ordered by trending score."""
    return rank_for_topics(papers, [topic] if topic is not None else [], now, limit)


def rank_for_topics(
    papers: Iterable[Paper], topics: Sequence[Topic], now: datetime, limit: int
) -> list[Ranked]:
    """Like `rank`, for papers about any of `topics` (no topics: every paper).

    With topics, which papers are shown is decided by relevance (the `limit` most relevant,
    trending breaking ties), and what is shown is ordered by trending score: a high-upvote
    paper that only just passes the gate never pushes out papers squarely about the topic.
    Measured on the dev split of tests/data/relevance/real: topics passing 0.41 when the gate's
    papers were chosen by trending, 0.45 chosen by relevance (a bar on the evidence instead
    gained at most one topic more, and favoured papers that carry Hugging Face keywords).
    """
    ranked: list[Ranked] = []
    for paper in unique_papers(papers):
        matches = [m for m in (relevance(paper, t) for t in topics) if m is not None]
        if topics and not matches:
            continue
        match = max(matches, key=lambda m: m.score) if matches else None
        ranked.append(Ranked(paper=paper, score=trending_score(paper, now), match=match))
    if topics:
        ranked.sort(key=lambda r: (-_relevance(r), *_trending_order(r)))
        ranked = ranked[: max(0, limit)]
    ranked.sort(key=_trending_order)
    return ranked[: max(0, limit)]


def _trending_order(item: Ranked) -> tuple[float, ...]:
    return (-item.score, -_relevance(item), -item.paper.upvotes,
            *_newest_first(item.paper.arxiv_id))  # fmt: skip


def _relevance(item: Ranked) -> float:
    """Breaks ties in trending order (arXiv-only papers have no upvotes): most relevant first."""
    return item.match.score if item.match else 0.0


def rank_by_relevance(papers: Iterable[Paper], topic: Topic, limit: int) -> list[Ranked]:
    """Older, non-trending matches (paper search): relevant ones only, most relevant first."""
    ranked = []
    for paper in unique_papers(papers):
        match = relevance(paper, topic)
        if match is not None:
            ranked.append(Ranked(paper=paper, score=match.score, match=match))
    ranked.sort(key=lambda r: (-r.score, -r.paper.upvotes, _newest_first(r.paper.arxiv_id)))
    return ranked[: max(0, limit)]


def _newest_first(arxiv_id: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in arxiv_id.replace("/", ".").split(".") if part.isdigit())
