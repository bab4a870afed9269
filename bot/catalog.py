"""The catalog: papers by Hugging Face feed day and by arXiv category, read from the shared
store (what `/papers`, previews and digests draw on).

Reads never wait for an upstream when the store can answer: the refresh job keeps it current.
Only data nobody has fetched yet (a fresh install, a category first asked for) is fetched on
the spot, once, through the Refresher. A short in-process memo spares the database a query
per command and per channel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

from bot.core.models import CategoryPapers, Paper, WindowPapers
from bot.refresh import ARXIV, HF, Refresher
from bot.storage.papers import PaperStore
from bot.ttl import TtlCache

MEMO_SECONDS = 20.0
MEMO_KEYS = 64  # distinct windows and category sets remembered at once
FILL_THREADS = 4
T = TypeVar("T")


class Catalog:
    """Implements the services' PaperWindow on top of PaperStore."""

    def __init__(
        self,
        store: PaperStore,
        refresher: Refresher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        memo_seconds: float = MEMO_SECONDS,
    ) -> None:
        self._store, self._refresher, self._clock = store, refresher, clock
        self._memo = TtlCache[Hashable, Any](ttl=memo_seconds, size=MEMO_KEYS)
        self._flights: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(FILL_THREADS, thread_name_prefix="paper-fill")

    def window(self, days: list[date]) -> WindowPapers:
        """The Hugging Face papers of `days` (newest first)."""
        return self._memoized((HF, *days), lambda: self._read_window(days))

    def categories(self, categories: Iterable[str], days: int = 1) -> CategoryPapers:
        """The papers of the latest `days` announcements of `categories` (new and cross)."""
        wanted = list(dict.fromkeys(categories))
        return self._memoized((ARXIV, days, *wanted), lambda: self._read_categories(wanted, days))

    def find(self, arxiv_id: str) -> Paper | None:
        return self._store.papers([arxiv_id]).get(arxiv_id)

    def _memoized(self, key: Hashable, read: Callable[[], T]) -> T:
        """`read()`, remembered for memo_seconds; concurrent readers of one key share one read
        (digests for many channels on the same topics ask the store once per tick, not once
        per channel)."""
        with self._lock:
            if len(self._flights) > MEMO_KEYS:
                self._flights.clear()  # locks in use stay with their holders
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            return cast(T, self._memo.remember(key, read))

    def _read_categories(self, wanted: list[str], days: int) -> CategoryPapers:
        failed: list[str] = []
        stale: list[str] = []
        now = self._clock()
        for category in wanted:
            state = self._store.feed_state(ARXIV, category)
            if state is None or state.fetched_at is None:
                self._refresher.arxiv_category(category, now, only_if_missing=True)
                state = self._store.feed_state(ARXIV, category)
            if state is not None and state.failing:
                (stale if state.fetched_at else failed).append(category)
        recent = self._store.latest_days(ARXIV, wanted, days) if wanted else []
        papers = self._store.listed(ARXIV, wanted, recent)
        return CategoryPapers(tuple(papers), tuple(failed), tuple(stale))

    def _read_window(self, days: list[date]) -> WindowPapers:
        now = self._clock()
        states = {d: self._store.feed_state(HF, d.isoformat()) for d in days}
        gaps = [d for d, s in states.items() if s is None or s.fetched_at is None]
        if gaps:  # nobody has fetched these days yet: fill them, in parallel
            list(self._pool.map(lambda d: self._refresher.hf_day(d, now, only_if_missing=True),
                                gaps))  # fmt: skip
            states.update({d: self._store.feed_state(HF, d.isoformat()) for d in gaps})
        papers = self._store.listed(HF, [d.isoformat() for d in days], days)
        failed = tuple(d for d, s in states.items() if s is None or s.fetched_at is None)
        stale = tuple(d for d, s in states.items() if s and s.fetched_at and s.failing)
        return WindowPapers(tuple(papers), failed, stale)

