"""Relevance quality and speed: the project's ranker against two plain baselines.

    .venv/bin/python -m bench.relevance [--split dev|holdout|all] [--per-topic]

Prints, per split, P@5, nDCG@10 and empty-answer accuracy for
  - papers-bot: `bot.core.ranking.rank_by_relevance` (the gate and order `/papers` uses),
  - substring: the topic text found in title + abstract (case-insensitive), by upvotes,
  - BM25: Okapi BM25 (rank-bm25) over title + abstract, every paper scoring above zero,
then the time to score a 10,000-paper corpus for one topic.

Metrics, for one topic with relevant set R and answer A (what would be shown, in order):
  P@5       relevant papers among the first min(5, |A|) shown, over that count;
            for an empty R: 1 when A is empty, else 0; when R is not empty and A is: 0.
  nDCG@10   binary gains over A[:10], ideal DCG over min(10, |R|) hits;
            for an empty R: 1 when A is empty, else 0.
  empty     1 when A is empty exactly when R is (the answer says "nothing" only when right).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.core.models import Paper
from bot.core.query import parse_topic
from bot.core.ranking import rank_by_relevance
from bot.core.topics import analyse
from bot.sources.hf import parse_daily

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "relevance"
Ranker = Callable[[Sequence[Paper], str], list[str]]


@dataclass(frozen=True)
class Judged:
    topic: str
    split: str
    relevant: frozenset[str]


def load() -> tuple[list[Paper], list[Judged]]:
    papers = parse_daily(json.loads((DATA / "papers.json").read_text()))
    topics = [
        Judged(t["topic"], t["split"], frozenset(t["relevant"]))
        for t in json.loads((DATA / "topics.json").read_text())
    ]
    return papers, topics


# -- rankers ------------------------------------------------------------------
def papers_bot(papers: Sequence[Paper], topic: str) -> list[str]:
    return [r.paper.arxiv_id for r in rank_by_relevance(papers, parse_topic(topic), 50)]


def substring(papers: Sequence[Paper], topic: str) -> list[str]:
    needle = " ".join(topic.lower().split())
    hits = [p for p in papers if needle and needle in f"{p.title} {p.abstract}".lower()]
    return [p.arxiv_id for p in sorted(hits, key=lambda p: -p.upvotes)]


_BM25_WORD = re.compile(r"\w+")


def bm25(papers: Sequence[Paper], topic: str) -> list[str]:
    from rank_bm25 import BM25Okapi

    corpus = [_BM25_WORD.findall(f"{p.title} {p.abstract}".lower()) for p in papers]
    query = _BM25_WORD.findall(topic.lower())
    if not query:
        return []
    scores = BM25Okapi(corpus).get_scores(query)
    order = sorted(range(len(papers)), key=lambda i: -scores[i])
    return [papers[i].arxiv_id for i in order if scores[i] > 0]


RANKERS: dict[str, Ranker] = {"papers-bot": papers_bot, "substring": substring, "BM25": bm25}


# -- metrics ------------------------------------------------------------------
def precision_at_5(answer: Sequence[str], relevant: frozenset[str]) -> float:
    if not relevant:
        return float(not answer)
    shown = answer[:5]
    return sum(a in relevant for a in shown) / len(shown) if shown else 0.0


def ndcg_at_10(answer: Sequence[str], relevant: frozenset[str]) -> float:
    if not relevant:
        return float(not answer)
    dcg = sum(1 / math.log2(i + 2) for i, a in enumerate(answer[:10]) if a in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal


def empty_correct(answer: Sequence[str], relevant: frozenset[str]) -> float:
    return float((not answer) == (not relevant))


@dataclass(frozen=True)
class Scores:
    p5: float
    ndcg: float
    empty: float


def evaluate(
    ranker: Ranker, papers: Sequence[Paper], topics: Sequence[Judged]
) -> dict[str, Scores]:
    out = {}
    for judged in topics:
        answer = ranker(papers, judged.topic)
        out[judged.topic] = Scores(
            precision_at_5(answer, judged.relevant),
            ndcg_at_10(answer, judged.relevant),
            empty_correct(answer, judged.relevant),
        )
    return out


def mean(scores: dict[str, Scores]) -> Scores:
    values = list(scores.values())
    return Scores(
        statistics.fmean(s.p5 for s in values),
        statistics.fmean(s.ndcg for s in values),
        statistics.fmean(s.empty for s in values),
    )


# -- speed --------------------------------------------------------------------
def fixture_papers() -> list[Paper]:
    """Every distinct paper the repository's fixtures hold (relevance set, HF corpus, arXiv)."""
    from bot.sources.arxiv import parse_feed
    from tests.fakes.arxiv import FakeArxiv

    papers = {p.arxiv_id: p for p in load()[0]}
    corpus = json.loads((DATA.parent / "hf" / "corpus.json").read_text())
    for items in [*corpus["days"], corpus.get("search", [])]:
        papers.update((p.arxiv_id, p) for p in parse_daily(items))
    with FakeArxiv() as fake:
        feed = parse_feed(fake.feed_body("cs+stat+math+physics+q-bio+eess+econ"))
    papers.update((p.arxiv_id, p) for p in feed.papers)
    return list(papers.values())


def big_corpus(papers: Sequence[Paper], size: int) -> list[Paper]:
    """`size` distinct papers made from `papers` (new ids, a marker sentence per copy)."""
    out = []
    for i in range(size):
        base = papers[i % len(papers)]
        out.append(replace(base, arxiv_id=f"9{i // 100000:03d}.{i % 100000:05d}",
                           abstract=f"{base.abstract} Copy {i}."))  # fmt: skip
    return out


def time_scoring(papers: Sequence[Paper], topic: str, rounds: int = 7) -> tuple[float, int]:
    """The median seconds to score `papers` (analysed already) for a topic, and the matches."""
    parsed = parse_topic(topic)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        found = rank_by_relevance(papers, parsed, len(papers))
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(found)


def speed(size: int = 10_000) -> None:
    topics = ("value alignment", "diffusion models -physics", "attention in transformers",
              "protein folding")  # fmt: skip
    corpora = {
        "dense (copies of the relevance set)": big_corpus(load()[0], size),
        "mixed (copies of every fixture paper)": big_corpus(fixture_papers(), size),
    }
    for name, corpus in corpora.items():
        start = time.perf_counter()
        for paper in corpus:
            analyse(paper)
        cold = time.perf_counter() - start
        print(f"\n{size:,} papers, {name}: analysing them once took {cold * 1000:.0f} ms")
        for topic in topics:
            seconds, found = time_scoring(corpus, topic)
            print(f"  {topic!r:32} {seconds * 1000:6.1f} ms  ({found / size:.1%} match)")
    print("target: under 50 ms to score one topic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "holdout", "all"], default="all")
    parser.add_argument("--per-topic", action="store_true")
    args = parser.parse_args()
    papers, topics = load()
    splits = ["dev", "holdout", "all"] if args.split == "all" else [args.split]
    print(f"evaluation set: {len(papers)} papers, {len(topics)} topics")
    for split in splits:
        chosen = [t for t in topics if split in {"all", t.split}]
        results = {name: evaluate(r, papers, chosen) for name, r in RANKERS.items()}
        print(f"\n== {split}: {len(chosen)} topics "
              f"({sum(not t.relevant for t in chosen)} with no relevant paper)")  # fmt: skip
        print(f"{'ranker':<12} {'P@5':>6} {'nDCG@10':>8} {'empty':>6}")
        for name, per_topic in results.items():
            m = mean(per_topic)
            print(f"{name:<12} {m.p5:>6.3f} {m.ndcg:>8.3f} {m.empty:>6.3f}")
        if args.per_topic:
            print(f"\n{'topic':<40} " + " ".join(f"{n:>22}" for n in RANKERS))
            for judged in chosen:
                cells = [results[n][judged.topic] for n in RANKERS]
                row = " ".join(f"{c.p5:>6.2f} {c.ndcg:>6.2f} {c.empty:>6.0f}  " for c in cells)
                print(f"{judged.topic[:40]:<40} {row}")
    speed()


if __name__ == "__main__":
    main()
