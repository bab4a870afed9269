"""What a channel's digest holds today (pure).

A digest draws on settled feed days: the Hugging Face lists of the `window_days` feed days
before today's (US-Eastern) feed day. Today's list is still collecting upvotes, so a paper
reaches digests from the day after it is listed, ranked by the same trending score as `/papers`.
Papers a channel has already been sent are never selected again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime

from bot.core.models import Paper, Ranked
from bot.core.ranking import rank_for_topics
from bot.core.topics import Topic
from bot.core.window import feed_days

MAX_SIZE = 10


def digest_days(now: datetime, window_days: int) -> list[date]:
    """The settled feed days a digest draws on, newest first (today's feed day excluded)."""
    return feed_days(now, window_days + 1)[1:]


def select(
    papers: Iterable[Paper],
    topics: Sequence[Topic],
    already_posted: Collection[str],
    now: datetime,
    size: int,
) -> list[Ranked]:
    """The top `size` papers about any of `topics` (none: all) not yet posted in the channel."""
    fresh = (p for p in papers if p.arxiv_id not in already_posted)
    return rank_for_topics(fresh, topics, now, max(0, min(size, MAX_SIZE)))


def header_title(topics: Sequence[str], day: date) -> str:
    """'Top papers on value alignment, Thu 27 Nov'."""
    named = [t for t in topics if t]
    subject = (
        f"Top papers on {_join(named)}"
        if named and len(named) == len(topics)
        else ("Top trending papers")
    )
    return f"{subject}, {day:%a} {day.day} {day:%b}"


def _join(names: list[str]) -> str:
    if len(names) <= 3:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} more"
