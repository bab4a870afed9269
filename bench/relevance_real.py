"""Relevance on the real labelled set (tests/data/relevance/real, issue 12), as `/papers` shows it.

    .venv/bin/python -m bench.relevance_real [--split dev] [--per-topic] [--holdout]
                                             [--previous REV]

The holdout split is printed only with `--holdout`: it is looked at once a matcher is final, and
every look is counted in the closing note. Each ranker answers `/papers <topic> 10`: the ten
papers it would show, in the order shown.

  papers-bot      the relevance gate, then trending order (`bot.core.ranking.rank`), as /papers
  by relevance    the same gate, most relevant first (`rank_by_relevance`)
  substring       the topic text in title + abstract (case-insensitive), by upvotes
  BM25            Okapi BM25 over title + abstract, the ten best scoring above zero
  previous        with `--previous REV`: papers-bot as it was at git revision REV (its `bot`
                  package from a temporary worktree, scored by this file on this set)

Per topic, with relevant set R and shown papers S (at most 10):
  pass       R empty: S is empty. Otherwise at most 2 of S are off-topic and at least
             ceil(0.6 * min(10, |R|)) of R are in S.
  precision  |S & R| / |S|; 1 when S is empty (nothing wrong was shown).
  recall@10  |S & R| / min(10, |R|); topics with an empty R are left out of its mean.
  nDCG@10    binary gains over S, ideal over min(10, |R|); R empty: 1 when S is empty.
  empty      1 when S is empty exactly when R is.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import relevance as relevance_v1
from bot.core.models import Paper
from bot.core.query import parse_topic
from bot.core.ranking import rank, rank_by_relevance
from bot.sources.hf import parse_item

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "relevance" / "real"
SHOWN = 10
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)  # papers carry no feed day: every one is "today"
Ranker = Callable[[Sequence[Paper], str], list[str]]


@dataclass(frozen=True)
class Judged:
    topic: str
    kind: str
    split: str
    relevant: frozenset[str]


def load(data: Path = DATA) -> tuple[list[Paper], list[Judged]]:
    """The set's papers (as the bot parses them, arXiv categories kept) and judged topics."""
    papers = [p for p in (_paper(item) for item in json.loads((data / "papers.json").read_text()))
              if p is not None]  # fmt: skip
    topics = [Judged(t["topic"], t["kind"], t["split"], frozenset(t["relevant"]))
              for t in json.loads((data / "topics.json").read_text())]  # fmt: skip
    return papers, topics


def _paper(item: dict[str, Any]) -> Paper | None:
    paper = parse_item(item)
    if paper is None:
        return None
    categories = tuple((item.get("paper") or {}).get("categories") or ())
    return replace(paper, feed_day=None, categories=categories or paper.categories)


# -- rankers ------------------------------------------------------------------
def papers_bot(papers: Sequence[Paper], topic: str) -> list[str]:
    return [r.paper.arxiv_id for r in rank(papers, parse_topic(topic), NOW, SHOWN)]


def by_relevance(papers: Sequence[Paper], topic: str) -> list[str]:
    return [r.paper.arxiv_id for r in rank_by_relevance(papers, parse_topic(topic), SHOWN)]


def substring(papers: Sequence[Paper], topic: str) -> list[str]:
    return relevance_v1.substring(papers, topic)[:SHOWN]


def bm25(papers: Sequence[Paper], topic: str) -> list[str]:
    return relevance_v1.bm25(papers, topic)[:SHOWN]


RANKERS: dict[str, Ranker] = {
    "papers-bot": papers_bot, "by relevance": by_relevance, "substring": substring, "BM25": bm25,
}  # fmt: skip


# -- metrics ------------------------------------------------------------------
@dataclass(frozen=True)
class Scores:
    passed: float
    precision: float
    recall: float | None  # None: no relevant paper, not part of the recall mean
    ndcg: float
    empty: float


def score(shown: Sequence[str], relevant: frozenset[str]) -> Scores:
    shown = list(shown)[:SHOWN]
    hits = sum(s in relevant for s in shown)
    empty = float((not shown) == (not relevant))
    if not relevant:
        ok = float(not shown)
        return Scores(ok, ok, None, ok, empty)
    wanted = min(SHOWN, len(relevant))
    passed = len(shown) - hits <= 2 and hits >= math.ceil(0.6 * wanted)
    dcg = sum(1 / math.log2(i + 2) for i, s in enumerate(shown) if s in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(wanted))
    precision = hits / len(shown) if shown else 1.0
    return Scores(float(passed), precision, hits / wanted, dcg / ideal, empty)


def evaluate(
    ranker: Ranker, papers: Sequence[Paper], topics: Sequence[Judged]
) -> dict[str, Scores]:
    return {t.topic: score(ranker(papers, t.topic), t.relevant) for t in topics}


def mean(scores: dict[str, Scores]) -> Scores:
    values = list(scores.values())
    recalls = [s.recall for s in values if s.recall is not None]
    return Scores(
        statistics.fmean(s.passed for s in values),
        statistics.fmean(s.precision for s in values),
        statistics.fmean(recalls) if recalls else None,
        statistics.fmean(s.ndcg for s in values),
        statistics.fmean(s.empty for s in values),
    )


def report(papers: Sequence[Paper], topics: Sequence[Judged], split: str, per_topic: bool) -> None:
    chosen = [t for t in topics if split in {"all", t.split}]
    results = {name: evaluate(r, papers, chosen) for name, r in RANKERS.items()}
    print(f"\n== {split}: {len(chosen)} topics ({sum(not t.relevant for t in chosen)} with no "
          f"relevant paper)")  # fmt: skip
    print(f"{'ranker':<14} {'pass':>6} {'prec':>6} {'rec@10':>7} {'nDCG@10':>8} {'empty':>6}")
    for name, per in results.items():
        m = mean(per)
        print(f"{name:<14} {m.passed:>6.3f} {m.precision:>6.3f} {m.recall or 0:>7.3f} "
              f"{m.ndcg:>8.3f} {m.empty:>6.3f}")  # fmt: skip
    if per_topic:
        print(f"\n{'topic':<44} {'kind':<11} " + " ".join(f"{n:>14}" for n in RANKERS))
        for t in chosen:
            cells = [results[n][t.topic] for n in RANKERS]
            row = " ".join(f"{'P' if c.passed else '.'} {c.precision:4.2f} {c.recall or 0:4.2f}  "
                           for c in cells)  # fmt: skip
            print(f"{t.topic[:44]:<44} {t.kind:<11} {row}")


def papers_bot_means(split: str) -> dict[str, float | None]:
    """papers-bot's mean scores on `split`, as a JSON-ready dict (for `--previous`)."""
    papers, topics = load()
    chosen = [t for t in topics if split in {"all", t.split}]
    m = mean(evaluate(papers_bot, papers, chosen))
    return {"pass": m.passed, "precision": m.precision, "recall": m.recall, "ndcg": m.ndcg,
            "empty": m.empty}  # fmt: skip


def previous(rev: str, split: str) -> dict[str, float | None]:
    """The same means for the `bot` package of git revision `rev` (a temporary worktree)."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(tree), rev],
                       check=True, capture_output=True)  # fmt: skip
        try:
            code = (
                "import importlib.util, json, sys\n"
                f"spec = importlib.util.spec_from_file_location('bench_here', {__file__!r})\n"
                "module = sys.modules['bench_here'] = importlib.util.module_from_spec(spec)\n"
                "spec.loader.exec_module(module)\n"
                f"assert __import__('bot').__file__.startswith({str(tree)!r})\n"
                f"print(json.dumps(module.papers_bot_means({split!r})))\n"
            )
            env = {**os.environ, "PYTHONPATH": str(tree)}
            out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tree, check=True,
                                 capture_output=True, text=True)  # fmt: skip
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "holdout", "all"], default="dev")
    parser.add_argument("--per-topic", action="store_true")
    parser.add_argument("--holdout", action="store_true", help="allow the holdout split")
    parser.add_argument("--previous", metavar="REV", help="also papers-bot at git revision REV")
    args = parser.parse_args()
    if args.split != "dev" and not args.holdout:
        parser.error("the holdout is looked at only on purpose: add --holdout")
    papers, topics = load()
    print(f"evaluation set: {len(papers)} papers, {len(topics)} topics "
          f"({sum(t.split == 'dev' for t in topics)} dev)")  # fmt: skip
    splits = ["dev", "holdout", "all"] if args.split == "all" else [args.split]
    for split in splits:
        report(papers, topics, split, args.per_topic and split == "dev")
        if args.previous:
            m = previous(args.previous, split)
            print(f"{'previous':<14} {m['pass']:>6.3f} {m['precision']:>6.3f} "
                  f"{m['recall'] or 0:>7.3f} {m['ndcg']:>8.3f} {m['empty']:>6.3f}"
                  f"   (papers-bot at {args.previous})")  # fmt: skip


if __name__ == "__main__":
    main()
