"""Use cases: what the bot does, independent of Slack. Listeners and the CLI call these."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

from bot.core.models import Paper, Ranked, SearchAnswer
from bot.core.ranking import rank, rank_by_relevance
from bot.core.topics import parse_topic
from bot.core.window import feed_days
from bot.sources import SourceUnavailable
from bot.sources.cache import WindowPapers

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 5
MAX_LIMIT = 10


class PaperWindow(Protocol):
    """Trending papers by feed day (the cache, later the paper table)."""

    def window(self, days: list[date]) -> WindowPapers: ...
    def papers(self) -> list[Paper]: ...
    def forget_before(self, oldest: date) -> None: ...


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
        self._searches = _TtlCache[str, list[Paper]](ttl=search_ttl, size=256, clock=clock)

    @property
    def window_days(self) -> int:
        return self._days

    def trending(self, topic_text: str, limit: int, now: datetime) -> SearchAnswer:
        """The trending papers about `topic_text` (all of today's top ones when it is blank)."""
        limit = max(1, min(limit, MAX_LIMIT))
        topic = parse_topic(topic_text)
        days = feed_days(now, self._days)
        got = self._window.window(days)
        notes = _window_notes(got) + tuple(f"Ignored: {p}." for p in topic.problems)
        if not topic_text.strip():
            results = rank(got.papers, None, now, limit)
            return SearchAnswer("", tuple(results), notes=notes, window_days=self._days)
        if topic.is_empty:
            hint = "That topic has no words to search for. Try a few specific words."
            return SearchAnswer(topic.text, (), notes=notes, window_days=self._days, hint=hint)
        results = rank(got.papers, topic, now, limit)
        older: list[Ranked] = []
        if not results:
            older, search_note = self._older(
                topic.text, limit, exclude={p.arxiv_id for p in got.papers}
            )
            notes += search_note
        return SearchAnswer(
            topic.text, tuple(results), tuple(older), notes=notes, window_days=self._days
        )

    def find(self, arxiv_id: str) -> Paper | None:
        """A paper by arXiv id: from the cache, else from Hugging Face."""
        for paper in self._window.papers():
            if paper.arxiv_id == arxiv_id:
                return paper
        try:
            return self._lookup.paper(arxiv_id)
        except SourceUnavailable as exc:
            log.warning("lookup of %s failed: %s", arxiv_id, exc)
            return None

    def refresh(self, now: datetime) -> WindowPapers:
        """Keep the trending window warm (the scheduler calls this every refresh interval)."""
        days = feed_days(now, self._days)
        self._window.forget_before(days[-1])
        return self._window.window(days)

    def _older(
        self, query: str, limit: int, exclude: set[str]
    ) -> tuple[list[Ranked], tuple[str, ...]]:
        papers = self._searches.get(query.lower())
        if papers is None:
            try:
                papers = self._lookup.search(query, limit=40)
            except SourceUnavailable as exc:
                log.warning("paper search failed: %s", exc)
                return [], ("Hugging Face paper search is not answering, so no older matches.",)
            self._searches.put(query.lower(), papers)
        topic = parse_topic(query)
        fresh = [p for p in papers if p.arxiv_id not in exclude]
        return rank_by_relevance(fresh, topic, limit), ()


def _window_notes(got: WindowPapers) -> tuple[str, ...]:
    if got.failed and not got.papers:
        return (
            "Hugging Face is not answering right now and nothing is cached yet. "
            "Please try again in a few minutes.",
        )
    if got.failed or got.stale:
        return ("Hugging Face is not answering right now; some days come from earlier data.",)
    return ()


K = TypeVar("K")
V = TypeVar("V")


class _TtlCache(Generic[K, V]):
    """A small thread-safe LRU with expiry."""

    def __init__(self, ttl: float, size: int, clock: Callable[[], float]) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or self._clock() - found[0] > self._ttl:
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = (self._clock(), value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
