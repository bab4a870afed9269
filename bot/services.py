"""Use cases: what the bot does, independent of Slack. Listeners and the CLI call these."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.core.models import CategoryPapers, Paper, Ranked, SearchAnswer, WindowPapers
from bot.core.query import Topic
from bot.core.ranking import rank, rank_by_relevance
from bot.core.topics import parse_topic
from bot.core.window import feed_days
from bot.sources import SourceUnavailable
from bot.ttl import TtlCache

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 5
MAX_LIMIT = 10


ARXIV_DAYS = 2  # a category topic draws on its latest two announcements


class PaperWindow(Protocol):
    """Papers by Hugging Face feed day and by arXiv category (the catalog)."""

    def window(self, days: list[date]) -> WindowPapers: ...
    def categories(self, categories: Iterable[str], days: int = 1) -> CategoryPapers: ...
    def find(self, arxiv_id: str) -> Paper | None: ...


@dataclass(frozen=True, slots=True)
class Candidates:
    """The papers topics can be matched against, and what to tell the reader about them."""

    papers: tuple[Paper, ...]
    notes: tuple[str, ...] = ()
    missing: bool = False  # no paper data at all because the sources failed: wait and retry
    sources: tuple[str, ...] = ("Hugging Face Daily Papers",)


def gather(window: PaperWindow, days: list[date], topics: Sequence[Topic]) -> Candidates:
    """Hugging Face's papers of `days`, plus the arXiv categories the topics name."""
    hf = window.window(days)
    wanted = sorted({c for t in topics for c in t.categories})
    arxiv = window.categories(wanted, days=ARXIV_DAYS) if wanted else CategoryPapers()
    papers = tuple({p.arxiv_id: p for p in (*hf.papers, *arxiv.papers)}.values())
    notes: list[str] = []
    if hf.failed and not papers:
        notes.append("Hugging Face is not answering right now and nothing is stored yet. "
                     "Please try again in a few minutes.")  # fmt: skip
    elif hf.failed or hf.stale:
        notes.append("Hugging Face is not answering right now; "
                     + ("these come from arXiv and earlier data." if arxiv.papers else
                        "some days come from earlier data."))  # fmt: skip
    if arxiv.failed:
        named = ", ".join(arxiv.failed)
        notes.append(f"arXiv is not answering and nothing is stored yet for {named}.")
    if arxiv.stale:
        notes.append(f"arXiv is not answering; {', '.join(arxiv.stale)} come from an earlier "
                     "announcement.")  # fmt: skip
    sources = ("Hugging Face Daily Papers", *(f"arXiv {c}" for c in wanted))
    missing = not papers and bool(hf.failed or arxiv.failed)
    return Candidates(papers, tuple(notes), missing, sources)


class PaperLookup(Protocol):
    """Hugging Face's search and single-paper endpoints."""

    def search(self, query: str, limit: int = 20) -> list[Paper]: ...
    def paper(self, arxiv_id: str) -> Paper | None: ...


class PaperService:
    """Trending papers on demand: `/papers <topic>`, `papers-bot preview`, lookups by id."""

    def __init__(
        self,
        window: PaperWindow,
        lookup: PaperLookup,
        *,
        window_days: int = 7,
        search_ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window
        self._lookup = lookup
        self._days = window_days
        self._searches = TtlCache[str, list[Paper]](ttl=search_ttl, size=256, clock=clock)

    @property
    def window_days(self) -> int:
        return self._days

    def trending(self, topic_text: str, limit: int, now: datetime) -> SearchAnswer:
        """The trending papers about `topic_text` (all of today's top ones when it is blank)."""
        limit = max(1, min(limit, MAX_LIMIT))
        topic = parse_topic(topic_text)
        if topic_text.strip() and (topic.problems or topic.is_empty):
            hint = (" ".join(topic.problems) if topic.problems else
                    "That topic has no words to search for. Try a few specific words.")  # fmt: skip
            return SearchAnswer(topic.text, (), window_days=self._days, hint=hint)
        got = gather(self._window, feed_days(now, self._days), [topic])
        notes = got.notes
        if not topic_text.strip():
            results = rank(got.papers, None, now, limit)
            return SearchAnswer("", tuple(results), notes=notes, window_days=self._days)
        results = rank(got.papers, topic, now, limit)
        older: list[Ranked] = []
        if not results and topic.plain and not topic.categories:
            older, search_note = self._older(
                topic, limit, exclude={p.arxiv_id for p in got.papers}
            )
            notes += search_note
        return SearchAnswer(
            topic.text, tuple(results), tuple(older), notes=notes, window_days=self._days,
            sources=got.sources,
        )  # fmt: skip

    def find(self, arxiv_id: str) -> Paper | None:
        """A paper by arXiv id: from the store, else from Hugging Face."""
        found = self._window.find(arxiv_id)
        if found is not None:
            return found
        try:
            return self._lookup.paper(arxiv_id)
        except SourceUnavailable as exc:
            log.warning("lookup of %s failed: %s", arxiv_id, exc)
            return None

    def _older(
        self, topic: Topic, limit: int, exclude: set[str]
    ) -> tuple[list[Ranked], tuple[str, ...]]:
        query = topic.plain
        papers = self._searches.get(query.lower())
        if papers is None:
            try:
                papers = self._lookup.search(query, limit=40)
            except SourceUnavailable as exc:
                log.warning("paper search failed: %s", exc)
                return [], ("Hugging Face paper search is not answering, so no older matches.",)
            self._searches.put(query.lower(), papers)
        fresh = [p for p in papers if p.arxiv_id not in exclude]
        return rank_by_relevance(fresh, topic, limit), ()
