"""When a channel's digest is due: local wall-clock times across zones and DST (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS = "weekdays"
DAILY = "daily"
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.I)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A digest time: HH:MM in an IANA zone, on weekdays or every day."""

    hour: int = 9
    minute: int = 0
    zone: str = "UTC"
    days: str = WEEKDAYS

    @property
    def label(self) -> str:
        return f"{self.days} at {self.hour:02d}:{self.minute:02d} {self.zone}"

    def runs_on(self, day: date) -> bool:
        return self.days == DAILY or day.weekday() < 5


class ScheduleError(ValueError):
    """The schedule text cannot be understood; the message says what is valid."""


def run_at(schedule: Schedule, day: date) -> datetime:
    """The UTC instant of the digest on local `day`.

    A wall time that does not exist that day (the spring-forward gap) runs at the same distance
    after the gap; a time that exists twice (fall back) runs at its first occurrence.
    """
    zone = ZoneInfo(schedule.zone)
    local = datetime.combine(day, time(schedule.hour, schedule.minute), tzinfo=zone)
    return local.astimezone(UTC)


def next_run(schedule: Schedule, after: datetime) -> datetime:
    """The first digest instant strictly after `after` (UTC)."""
    zone = ZoneInfo(schedule.zone)
    day = after.astimezone(zone).date() - timedelta(days=1)
    for _ in range(10):
        if schedule.runs_on(day):
            instant = run_at(schedule, day)
            if instant > after:
                return instant
        day += timedelta(days=1)
    raise AssertionError("unreachable: a week always has a run day")


def local_date(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


def parse_schedule(text: str, current: Schedule) -> Schedule:
    """'09:30 [Europe/Berlin] [weekdays|daily]' in any order after the time; unset parts kept."""
    words = text.split()
    if not words:
        raise ScheduleError(SCHEDULE_HELP)
    hour, minute = parse_time(words[0])
    zone, days = current.zone, current.days
    for word in words[1:]:
        lowered = word.lower()
        if lowered in {WEEKDAYS, "weekday", "workdays"}:
            days = WEEKDAYS
        elif lowered in {DAILY, "everyday", "every-day"}:
            days = DAILY
        else:
            zone = parse_zone(word)
    return Schedule(hour=hour, minute=minute, zone=zone, days=days)


def parse_time(text: str) -> tuple[int, int]:
    """'9', '09:30', '9:30pm' -> (hour, minute)."""
    match = _TIME.match(text.strip())
    if not match:
        raise ScheduleError(f"`{text[:40]}` is not a time. {SCHEDULE_HELP}")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower()
    if meridiem and not 1 <= hour <= 12:
        raise ScheduleError(f"`{text[:40]}` is not a time. {SCHEDULE_HELP}")
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ScheduleError(f"`{text[:40]}` is not a time of day. {SCHEDULE_HELP}")
    return hour, minute


def parse_zone(text: str) -> str:
    """An IANA zone name, matched case-insensitively ('europe/berlin' -> 'Europe/Berlin')."""
    if text.upper() in {"UTC", "GMT", "Z"}:
        return "UTC"
    canonical = _zones_by_lower().get(text.lower())
    if canonical is None:
        raise ScheduleError(f"`{text[:60]}` is not a time zone I know. {ZONE_HELP}")
    return canonical


def valid_zone(name: str | None) -> str | None:
    """`name` if it is a usable IANA zone, else None (for zones reported by Slack)."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


_ZONES: dict[str, str] = {}


def _zones_by_lower() -> dict[str, str]:
    if not _ZONES:
        _ZONES.update({z.lower(): z for z in available_timezones()})
    return _ZONES


ZONE_HELP = (
    "Use an IANA name like `Europe/Berlin`, `America/New_York`, `Asia/Tokyo` or `UTC` "
    "(list: https://en.wikipedia.org/wiki/List_of_tz_database_time_zones)."
)
SCHEDULE_HELP = (
    "Valid forms: `/papers schedule 09:30`, `/papers schedule 9:30am Europe/Berlin`, "
    "`/papers schedule 18:00 America/New_York daily` (days: `weekdays` or `daily`)."
)
