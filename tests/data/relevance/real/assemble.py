"""Assemble the real relevance set from its parts (run from the repository root):

    .venv/bin/python tests/data/relevance/real/assemble.py

- `hf_pool.json` (Hugging Face Daily Papers items, SOURCES_HF.md) and `offdomain_pool.json`
  (arXiv papers of other fields, SOURCES_OFFDOMAIN.md) become `papers.json`: the same items with
  only the fields the bot reads (text fields verbatim) and `_source`.
- `plan.json` (every topic: kind, intent, dev/holdout split fixed before any tuning) and
  `labels/*.json` (the judged relevant papers, borderline calls and notes; entries with `add`
  instead of `relevant` come from a later pass over more papers) become `topics.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PAPER_FIELDS = ("id", "title", "summary", "authors", "publishedAt", "submittedOnDailyAt",
                "upvotes", "ai_summary", "ai_keywords", "githubRepo", "githubStars",
                "projectPage", "discussionId", "categories")  # fmt: skip
ITEM_FIELDS = ("title", "summary", "publishedAt", "numComments", "_source")


def slim(item: dict[str, Any]) -> dict[str, Any]:
    paper = item.get("paper") or {}
    kept = {k: paper[k] for k in PAPER_FIELDS if k in paper}
    kept["authors"] = [{"name": a["name"]} for a in paper.get("authors") or []
                       if isinstance(a, dict) and a.get("name")]  # fmt: skip
    return {"paper": kept, **{k: item[k] for k in ITEM_FIELDS if k in item}}


def papers() -> list[dict[str, Any]]:
    """The pools slimmed and merged; without the pools (they are not kept in the repository),
    the `papers.json` made from them."""
    pools = [HERE / name for name in ("hf_pool.json", "offdomain_pool.json")]
    if not all(path.exists() for path in pools):
        return list(json.loads((HERE / "papers.json").read_text()))
    items: dict[str, dict[str, Any]] = {}
    for path in pools:
        for item in json.loads(path.read_text()):
            items.setdefault(item["paper"]["id"], slim(item))
    return list(items.values())


def topics(ids: set[str]) -> list[dict[str, Any]]:
    labels: dict[str, dict[str, Any]] = {}
    additions: dict[str, set[str]] = {}
    for path in sorted((HERE / "labels").glob("*.json")):
        for entry in json.loads(path.read_text()):
            if "relevant" in entry:
                labels[entry["topic"]] = entry
            else:  # a later pass over more papers: {"topic", "add": [...], "borderline": [...]}
                additions.setdefault(entry["topic"], set()).update(entry.get("add", []))
    out = []
    for planned in json.loads((HERE / "plan.json").read_text()):
        entry = labels.get(planned["topic"])
        if entry is None:
            continue  # not labelled (yet): not part of the set
        relevant = set(entry["relevant"]) | additions.get(planned["topic"], set())
        unknown = relevant - ids
        assert not unknown, (planned["topic"], unknown)
        out.append({**planned, "relevant": sorted(relevant), "note": entry.get("note", ""),
                    "borderline": entry.get("borderline", [])})  # fmt: skip
    return out


def main() -> None:
    items = papers()
    (HERE / "papers.json").write_text(json.dumps(items, indent=1, ensure_ascii=False) + "\n")
    judged = topics({item["paper"]["id"] for item in items})
    (HERE / "topics.json").write_text(json.dumps(judged, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(items)} papers, {len(judged)} topics "
          f"({sum(t['split'] == 'holdout' for t in judged)} holdout, "
          f"{sum(not t['relevant'] for t in judged)} with no relevant paper)")  # fmt: skip


if __name__ == "__main__":
    main()
