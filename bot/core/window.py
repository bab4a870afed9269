"""The trending window: which Hugging Face Daily Papers feed days count as 'now' (pure)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# Hugging Face settles its daily lists on the US-Eastern day and publishes none on weekends.
FEED_ZONE = ZoneInfo("America/New_York")


def feed_today(now: datetime) -> date:
    """The current feed day's calendar date (US-Eastern), never later than the UTC date."""
    eastern = now.astimezone(FEED_ZONE).date()
    return min(eastern, now.astimezone(ZoneInfo("UTC")).date())


def feed_days(now: datetime, count: int) -> list[date]:
    """The last `count` weekday feed days, newest first, today's included."""
    days: list[date] = []
    day = feed_today(now)
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days


def age_in_days(day: date, now: datetime) -> int:
    """Whole days between a feed day and today's feed day (0 for today)."""
    return max(0, (feed_today(now) - day).days)
