from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.schedule import (
    DAILY,
    WEEKDAYS,
    Schedule,
    ScheduleError,
    next_run,
    parse_schedule,
    run_at,
)  # fmt: skip

BERLIN = Schedule(9, 0, "Europe/Berlin", WEEKDAYS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_nine_in_berlin_is_nine_local_in_summer_and_in_winter() -> None:
    assert run_at(BERLIN, date(2026, 7, 1)) == utc(2026, 7, 1, 7, 0)  # CEST, UTC+2
    assert run_at(BERLIN, date(2026, 12, 1)) == utc(2026, 12, 1, 8, 0)  # CET, UTC+1


def test_a_day_without_0230_still_gets_its_digest() -> None:
    spring = Schedule(2, 30, "Europe/Berlin", DAILY)  # 29 Mar 2026 jumps from 02:00 to 03:00
    instant = run_at(spring, date(2026, 3, 29))
    assert instant == utc(2026, 3, 29, 1, 30)  # 03:30 local, right after the gap
    assert next_run(spring, utc(2026, 3, 28, 12, 0)) == instant


def test_a_time_that_happens_twice_runs_once_at_the_first() -> None:
    autumn = Schedule(2, 30, "Europe/Berlin", DAILY)  # 25 Oct 2026: 02:30 happens twice
    assert run_at(autumn, date(2026, 10, 25)) == utc(2026, 10, 25, 0, 30)
    after_first = next_run(autumn, utc(2026, 10, 25, 0, 30))
    assert after_first == utc(2026, 10, 26, 1, 30)  # the next day, not the second 02:30


def test_weekdays_skip_the_weekend_and_daily_does_not() -> None:
    friday_after = utc(2026, 11, 27, 9, 0)  # Friday 10:00 Berlin
    assert next_run(BERLIN, friday_after) == utc(2026, 11, 30, 8, 0)  # Monday
    daily = Schedule(9, 0, "Europe/Berlin", DAILY)
    assert next_run(daily, friday_after) == utc(2026, 11, 28, 8, 0)  # Saturday


def test_next_run_is_strictly_after() -> None:
    at = run_at(BERLIN, date(2026, 11, 26))
    assert next_run(BERLIN, at) == run_at(BERLIN, date(2026, 11, 27))
    assert next_run(BERLIN, at - timedelta(seconds=1)) == at


def test_zones_far_from_utc_pick_the_right_local_day() -> None:
    tokyo = Schedule(8, 0, "Asia/Tokyo", WEEKDAYS)
    # Sunday 23:30 UTC is Monday 08:30 in Tokyo: Monday's 08:00 run already passed
    assert next_run(tokyo, utc(2026, 11, 29, 23, 30)) == utc(2026, 11, 30, 23, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:30", Schedule(9, 30, "UTC", WEEKDAYS)),
        ("9", Schedule(9, 0, "UTC", WEEKDAYS)),
        ("9:30pm europe/berlin daily", Schedule(21, 30, "Europe/Berlin", DAILY)),
        ("12am Asia/Tokyo", Schedule(0, 0, "Asia/Tokyo", WEEKDAYS)),
        ("18:00 weekdays America/New_York", Schedule(18, 0, "America/New_York", WEEKDAYS)),
    ],
)
def test_parse_schedule(text: str, expected: Schedule) -> None:
    assert parse_schedule(text, Schedule(zone="UTC")) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("25:99 Mars/Olympus", "not a time of day"),
        ("09:30 Mars/Olympus", "not a time zone"),
        ("noon", "not a time"),
        ("13pm", "not a time"),
        ("", "Valid forms"),
        ("x" * 5000, "not a time"),
    ],
)
def test_bad_schedules_name_the_valid_forms(text: str, says: str) -> None:
    with pytest.raises(ScheduleError, match=says) as err:
        parse_schedule(text, Schedule())
    assert "Valid forms" in str(err.value) or "IANA" in str(err.value)
    assert len(str(err.value)) < 600
