"""The refresh job: keep the shared paper store current, politely (I/O at the edges).

- Hugging Face: today's feed day every `hf_every` (upvotes move all day); each past day of the
  window once more after it settled, then never again.
- arXiv: every category a channel follows, once per announcement cycle.
- Conditional requests (ETag / Last-Modified): an unchanged feed costs a 304 and no parsing.
- A failing feed backs off exponentially (honouring Retry-After, at most two hours), with the
  state in the database, so restarts and other processes see it; one failing feed never stops
  the others, whatever it raises.
- An upstream never destroys stored data: an answer that would replace a stored listing with
  nothing, or with less than half of one of at least ten (`bot.core.freshness.refusal`), is a
  failure that keeps the listing; every failure forgets the validators, so the next fetch is a
  full one. Hugging Face's `[]` for a day with nothing stored is 'empty' (not yet published,
  or a weekend) and never settles a past day.

Web processes call `hf_day` / `arxiv_category` only for data nobody fetched yet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Protocol

from bot.core.freshness import (
    FeedState,
    after_failure,
    after_success,
    arxiv_cycle,
    arxiv_due,
    hf_day_due,
    refusal,
    settled_at,
)
from bot.core.window import feed_days, feed_today
from bot.sources import SourceUnavailable
from bot.sources.arxiv import FeedFetch
from bot.sources.hf import DailyFetch
from bot.storage.papers import PaperStore

log = logging.getLogger(__name__)
HF, ARXIV = "hf", "arxiv"
KEEP_ARXIV_DAYS = 14  # arXiv listings older than this are forgotten (papers stay)


class DailyFeed(Protocol):
    def daily_fetch(self, day: date, etag: str | None = None) -> DailyFetch: ...


class CategoryFeed(Protocol):
    def feed(
        self, categories: Sequence[str], etag: str | None = None, modified: str | None = None
    ) -> FeedFetch: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one feed refresh did."""

    source: str
    feed: str
    status: str  # fetched | unchanged | failed | empty
    papers: int = 0
    error: str | None = None


@dataclass
class RefreshReport:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        return f"refresh: {parts or 'nothing due'} in {self.seconds:.1f}s"


class Refresher:
    """Fetches due feeds into the store. Safe to call from several threads and processes."""

    def __init__(
        self,
        store: PaperStore,
        hf: DailyFeed,
        arxiv: CategoryFeed,
        *,
        window_days: int,
        hf_every: timedelta,
        categories: Callable[[], Iterable[str]],
    ) -> None:
        self._store, self._hf, self._arxiv = store, hf, arxiv
        self._days, self._hf_every, self._categories = window_days, hf_every, categories
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def run(self, now: datetime) -> RefreshReport:
        """One pass: every due feed, each failure contained (one feed raising anything at all
        is that feed's failure, and the pass goes on with the others)."""
        start = time.monotonic()
        report = RefreshReport()
        for day in feed_days(now, self._days):
            report.outcomes += _contained(HF, day.isoformat(), partial(self._hf_if_due, day, now))
        for category in sorted(set(self._categories())):
            step = partial(self._arxiv_if_due, category, now)
            report.outcomes += _contained(ARXIV, category, step)
        self._store.forget_listings_before(HF, feed_days(now, self._days)[-1])
        self._store.forget_listings_before(ARXIV, now.date() - timedelta(days=KEEP_ARXIV_DAYS))
        report.seconds = time.monotonic() - start
        if report.outcomes:
            log.info("%s", report.summary())
        return report

    def hf_day(self, day: date, now: datetime, only_if_missing: bool = False) -> Outcome:
        """Fetch one Daily Papers day (conditionally) and store it; with `only_if_missing`,
        only when nobody has fetched it yet (a reader filling a gap)."""
        feed = day.isoformat()
        with self._lock(HF, feed):
            state = self._store.feed_state(HF, feed) or FeedState(HF, feed)
            if only_if_missing and not _missing(state, now):
                return Outcome(HF, feed, "unchanged")
            try:
                return self._fetch_hf_day(state, day, now)
            except SourceUnavailable as exc:
                return self._failed(state, now, exc.reason, exc.retry_after)
            except Exception as exc:  # a bug or a surprise upstream: this feed's failure only
                log.exception("hf %s: unexpected failure", feed)
                return self._failed(state, now, f"unexpected {type(exc).__name__}: {exc}")

    def arxiv_category(
        self, category: str, now: datetime, only_if_missing: bool = False
    ) -> Outcome:
        """Fetch one arXiv category's announcements (conditionally) and store them."""
        with self._lock(ARXIV, category):
            state = self._store.feed_state(ARXIV, category) or FeedState(ARXIV, category)
            if only_if_missing and not _missing(state, now):
                return Outcome(ARXIV, category, "unchanged")
            try:
                return self._fetch_arxiv_category(state, category, now)
            except SourceUnavailable as exc:
                return self._failed(state, now, exc.reason, exc.retry_after)
            except Exception as exc:
                log.exception("arxiv %s: unexpected failure", category)
                return self._failed(state, now, f"unexpected {type(exc).__name__}: {exc}")

    def _fetch_hf_day(self, state: FeedState, day: date, now: datetime) -> Outcome:
        fetched = self._hf.daily_fetch(day, etag=state.etag)
        held = self._store.listing_size(HF, state.feed, day)
        # a past day settles once fetched after its end, and only when it lists something
        settled = day < feed_today(now) and now >= settled_at(day)
        if fetched.status == "not_modified" or fetched.papers is None:
            self._succeeded(state, now, fetched.bytes, settled=settled and held > 0)
            return Outcome(HF, state.feed, "unchanged")
        refused = refusal(held, len(fetched.papers))
        if refused:
            return self._failed(state, now, refused, size=fetched.bytes)
        if not fetched.papers:  # not published yet, or a weekend: nothing was stored either
            self._succeeded(state, now, fetched.bytes, settled=False, etag=fetched.etag)
            return Outcome(HF, state.feed, "empty")
        self._store.record_listing(HF, state.feed, day, fetched.papers, now)
        self._succeeded(state, now, fetched.bytes, settled=settled, etag=fetched.etag)
        return Outcome(HF, state.feed, "fetched", len(fetched.papers))

    def _fetch_arxiv_category(self, state: FeedState, category: str, now: datetime) -> Outcome:
        fetched = self._arxiv.feed([category], state.etag, state.last_modified)
        cycle = arxiv_cycle(now)
        validators = {"etag": fetched.etag, "last_modified": fetched.last_modified}
        result = fetched.result
        if fetched.status == "not_modified" or result is None:
            self._succeeded(state, now, fetched.bytes, cycle=cycle, **validators)
            return Outcome(ARXIV, category, "unchanged")
        if not result.papers:  # weekends and holidays: keep the last announcement
            self._succeeded(state, now, fetched.bytes, cycle=cycle, **validators)
            return Outcome(ARXIV, category, "empty")
        refused = refusal(self._store.listing_size(ARXIV, category, cycle), len(result.papers))
        if refused:  # this cycle's listing was stored already, and the answer shrank it
            return self._failed(state, now, refused, size=fetched.bytes)
        kinds = {p.arxiv_id: "cross" if p.arxiv_id in result.cross else "new"
                 for p in result.papers}  # fmt: skip
        self._store.record_listing(ARXIV, category, cycle, result.papers, now, kinds)
        self._succeeded(state, now, fetched.bytes, cycle=cycle, **validators)
        return Outcome(ARXIV, category, "fetched", len(result.papers))

    def _hf_if_due(self, day: date, now: datetime) -> Outcome | None:
        state = self._store.feed_state(HF, day.isoformat())
        holds = True  # asked only where it matters: an unsettled past day
        if state and state.fetched_at and not state.settled and day < feed_today(now):
            holds = self._store.listing_size(HF, day.isoformat(), day) > 0
        due = hf_day_due(state, day, now, self._hf_every, holds_papers=holds)
        return self.hf_day(day, now) if due else None

    def _arxiv_if_due(self, category: str, now: datetime) -> Outcome | None:
        due = arxiv_due(self._store.feed_state(ARXIV, category), now)
        return self.arxiv_category(category, now) if due else None

    def _succeeded(self, state: FeedState, now: datetime, size: int, **changes: object) -> None:
        self._store.save_feed_state(after_success(state, now, **changes), requests=1, size=size)

    def _failed(
        self, state: FeedState, now: datetime, reason: str, retry_after: float | None = None,
        size: int = 0,
    ) -> Outcome:  # fmt: skip
        """Back off, keep what is stored, forget the validators (see `after_failure`)."""
        failed = after_failure(state, now, reason, retry_after)
        self._store.save_feed_state(failed, requests=1, size=size)
        log.warning("%s %s: %s (failure %d, next try at %s)", state.source, state.feed,
                    reason, failed.failures, failed.retry_at)  # fmt: skip
        return Outcome(state.source, state.feed, "failed", error=reason)

    def _lock(self, source: str, feed: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault((source, feed), threading.Lock())


def _contained(source: str, feed: str, step: Callable[[], Outcome | None]) -> list[Outcome]:
    """Run one feed's step; whatever it raises (the database too) is logged and reported as
    that feed's failure, never the end of the pass."""
    try:
        outcome = step()
    except Exception as exc:
        log.exception("%s %s: refresh failed", source, feed)
        return [Outcome(source, feed, "failed", error=f"{type(exc).__name__}: {exc}"[:200])]
    return [outcome] if outcome else []


def _missing(state: FeedState, now: datetime) -> bool:
    """Never fetched, and not backing off from a failure."""
    return state.fetched_at is None and (state.retry_at is None or now >= state.retry_at)
