"""Daily lists kept in memory: one upstream fetch per feed day per refresh, shared by everyone.

Concurrent readers of a day nobody has fetched wait for one fetch (single flight); readers of a
day whose copy is old get the old copy at once while one of them refreshes it. A failed fetch
keeps the last good copy and is not retried before a cool-down (or the upstream's Retry-After).
The storage issue replaces this with the paper table; the interface stays.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from bot.core.models import Paper
from bot.sources import SourceUnavailable

log = logging.getLogger(__name__)
_Result = tuple[list[Paper] | None, bool]  # (papers or None, fresh?)


class DailySource(Protocol):
    def daily(self, day: date) -> list[Paper]: ...


@dataclass
class _Day:
    lock: threading.Lock = field(default_factory=threading.Lock)
    papers: list[Paper] | None = None
    fetched_at: float = 0.0
    retry_at: float = 0.0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class WindowPapers:
    """The papers of a window of feed days, and which days could not be (re)fetched."""

    papers: tuple[Paper, ...]
    failed: tuple[date, ...] = ()  # no data at all for these days: the source failed
    stale: tuple[date, ...] = ()  # older copies served: the refresh failed

    @property
    def complete(self) -> bool:
        return not self.failed and not self.stale


class DailyPaperCache:
    """Per-day cache in front of a DailySource."""

    def __init__(
        self,
        source: DailySource,
        *,
        refresh: timedelta,
        settled_refresh: timedelta = timedelta(hours=12),
        cool_down: timedelta = timedelta(seconds=60),
        clock: Callable[[], float] = time.monotonic,
        fetch_threads: int = 4,
    ) -> None:
        self._source = source
        self._refresh = refresh.total_seconds()
        self._settled = settled_refresh.total_seconds()
        self._cool_down = cool_down.total_seconds()
        self._clock = clock
        self._days: dict[date, _Day] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(fetch_threads, thread_name_prefix="paper-fetch")

    def window(self, days: list[date]) -> WindowPapers:
        """The papers of `days` (newest first); fetches what is missing or old, in parallel."""
        today = max(days, default=date.min)
        results: dict[date, _Result] = {}
        for day in days:  # the warm path: no thread hand-off at all
            entry = self._entry(day)
            if self._is_fresh(entry, day, today):
                results[day] = (entry.papers, True)
        todo = [d for d in days if d not in results]
        results.update(zip(todo, self._pool.map(lambda d: self._get(d, today), todo), strict=True))
        return _assemble(days, results)

    def papers(self) -> list[Paper]:
        """Every cached paper, whatever its day (for lookups by id)."""
        with self._lock:
            entries = list(self._days.values())
        return [p for e in entries for p in e.papers or ()]

    def size(self) -> int:
        return len(self.papers())

    def forget_before(self, oldest: date) -> None:
        """Drop days that left the window."""
        with self._lock:
            for day in [d for d in self._days if d < oldest]:
                del self._days[day]

    def _entry(self, day: date) -> _Day:
        with self._lock:
            return self._days.setdefault(day, _Day())

    def _get(self, day: date, today: date) -> _Result:
        """(papers or None, fresh?) for one day."""
        entry = self._entry(day)
        if self._is_fresh(entry, day, today):
            return entry.papers, True
        # Someone is already fetching: the old copy now beats waiting; with no copy, wait.
        if not entry.lock.acquire(blocking=entry.papers is None):
            return entry.papers, True
        try:
            if self._is_fresh(entry, day, today):
                return entry.papers, True
            if self._clock() < entry.retry_at:
                return entry.papers, False
            return self._fetch(entry, day)
        finally:
            entry.lock.release()

    def _is_fresh(self, entry: _Day, day: date, today: date) -> bool:
        if entry.papers is None:
            return False
        max_age = self._refresh if day >= today - timedelta(days=1) else self._settled
        return self._clock() - entry.fetched_at < max_age

    def _fetch(self, entry: _Day, day: date) -> _Result:
        try:
            papers = self._source.daily(day)
        except SourceUnavailable as exc:
            wait = max(exc.retry_after or 0.0, self._cool_down)
            entry.retry_at = self._clock() + wait
            entry.error = exc.reason
            log.warning("fetch of %s failed (%s); next try in %.0fs", day, exc, wait)
            return entry.papers, False
        entry.papers, entry.fetched_at, entry.error, entry.retry_at = papers, self._clock(), None, 0
        log.info("fetched %d papers for %s", len(papers), day)
        return papers, True


def _assemble(
    days: list[date], results: dict[date, tuple[list[Paper] | None, bool]]
) -> WindowPapers:
    papers = tuple(p for d in days for p in results[d][0] or ())
    failed = tuple(d for d in days if results[d][0] is None)
    stale = tuple(d for d in days if results[d][0] is not None and not results[d][1])
    return WindowPapers(papers=papers, failed=failed, stale=stale)
