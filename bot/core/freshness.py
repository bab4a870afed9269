"""When paper data is due for a refresh, how long to back off, and how to merge sources (pure).

Hugging Face's list for today's feed day moves all day (upvotes), so it is refreshed every
`HF_REFRESH_MINUTES`; a past day is fetched once more after it has settled and then left alone.
arXiv's RSS feeds change once per announcement cycle (midnight US-Eastern), so a category is
fetched once per cycle. Failures back off exponentially per feed, honouring Retry-After up to
`BACKOFF_MAX`; the state lives in the database so a restart does not hammer an upstream that is
down. An upstream never destroys stored data: `refusal` says when an answer must not replace a
stored listing, and a failure forgets the validators so the next fetch is a full one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from bot.core.models import Paper
from bot.core.window import FEED_ZONE, feed_today

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=2)
SHRINK_FLOOR = 10  # a stored listing at least this long ...
SHRINK_SHARE = 0.5  # ... is never replaced by an answer with less than this share of it


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the bot knows about fetching one feed (an HF day or an arXiv category)."""

    source: str  # "hf" | "arxiv"
    feed: str  # "2026-11-27" | "cs.CL"
    fetched_at: datetime | None = None  # the last successful fetch (200 or 304)
    checked_at: datetime | None = None  # the last attempt, successful or not
    retry_at: datetime | None = None  # no attempt before this (backoff)
    failures: int = 0  # consecutive failures
    settled: bool = False  # an HF past day fetched after it settled: never again
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    cycle: date | None = None  # arXiv: the announcement cycle of the papers held

    @property
    def failing(self) -> bool:
        return self.failures > 0


def hf_day_due(
    state: FeedState | None, day: date, now: datetime, every: timedelta, holds_papers: bool = True
) -> bool:
    """Should Hugging Face's list for `day` be fetched now? A past day that holds no paper
    (Hugging Face answered `[]`) never settles: it is asked again every `every`."""
    if state is None or state.fetched_at is None:
        return _not_backing_off(state, now)
    if state.settled or not _not_backing_off(state, now):
        return False
    if day < feed_today(now) and holds_papers:  # the day is over: one last fetch once settled
        return state.fetched_at < settled_at(day)
    return now - state.fetched_at >= every


def settled_at(day: date) -> datetime:
    """When a feed day's upvotes count as settled: the next US-Eastern midnight."""
    return datetime.combine(day + timedelta(days=1), time(0), FEED_ZONE)


def arxiv_cycle(now: datetime) -> date:
    """The arXiv announcement cycle `now` is in: the US-Eastern date of the last midnight."""
    return now.astimezone(FEED_ZONE).date()


def arxiv_due(state: FeedState | None, now: datetime) -> bool:
    """Should an arXiv category feed be fetched now? Once per announcement cycle."""
    if not _not_backing_off(state, now):
        return False
    return state is None or state.fetched_at is None or state.cycle != arxiv_cycle(now)


def _not_backing_off(state: FeedState | None, now: datetime) -> bool:
    return state is None or state.retry_at is None or now >= state.retry_at


def backoff(failures: int, retry_after: float | None) -> timedelta:
    """How long to wait after the `failures`-th consecutive failure (1, 2, 4 ... minutes, at
    most two hours), or the upstream's Retry-After when it asks for longer (never longer than
    two hours either: no header freezes a feed)."""
    doublings = min(max(0, failures - 1), 16)  # past two hours anyway; no overflow at 10**6
    wait: timedelta = min(BACKOFF_BASE * 2**doublings, BACKOFF_MAX)
    hint = retry_after if retry_after is not None and math.isfinite(retry_after) else 0.0
    asked = min(max(0.0, hint), BACKOFF_MAX.total_seconds())
    return min(max(wait, timedelta(seconds=asked)), BACKOFF_MAX)


def refusal(stored: int, answered: int) -> str | None:
    """Why an answer of `answered` papers must not replace a stored listing of `stored` papers
    of the same feed and day, or None when it may: an empty answer never replaces a non-empty
    listing, nor does one with less than half of a listing of at least ten."""
    if stored and not answered:
        return f"answer lists no paper where {stored} are stored (kept them)"
    if stored >= SHRINK_FLOOR and answered < stored * SHRINK_SHARE:
        return f"answer lists {answered} papers where {stored} are stored (kept them)"
    return None


def after_success(state: FeedState, now: datetime, **changes: object) -> FeedState:
    return replace(state, fetched_at=now, checked_at=now, retry_at=None, failures=0,
                   error=None, **changes)  # type: ignore[arg-type]  # fmt: skip


def after_failure(
    state: FeedState, now: datetime, reason: str, retry_after: float | None
) -> FeedState:
    """One more failure: back off, and forget the validators so that the next fetch is a full
    one (a conditional request must never keep a bad answer in place with a 304)."""
    failures = state.failures + 1
    return replace(state, checked_at=now, failures=failures, error=reason[:200], etag=None,
                   last_modified=None, retry_at=now + backoff(failures, retry_after))  # fmt: skip


def merge(old: Paper, new: Paper) -> Paper:
    """One paper from two listings of it (Hugging Face and arXiv, or two fetches): the best of
    both. Where both have a value the newer listing wins, so Hugging Face's upvotes, summary,
    keywords and code links survive an arXiv listing (which has none), categories accumulate,
    and an arXiv listing never resets upvotes to zero."""
    values = {}
    for name in Paper.__dataclass_fields__:
        mine, theirs = getattr(old, name), getattr(new, name)
        values[name] = mine if theirs in (None, "", ()) else theirs
    values["upvotes"] = new.upvotes or old.upvotes
    values["num_comments"] = new.num_comments or old.num_comments
    values["categories"] = tuple(dict.fromkeys((*new.categories, *old.categories)))
    return Paper(**values)
