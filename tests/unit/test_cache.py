import threading
import time
from datetime import date, timedelta

from bot.core.models import Paper
from bot.sources import SourceUnavailable
from bot.sources.cache import DailyPaperCache

DAYS = [date(2026, 11, 27), date(2026, 11, 26), date(2026, 11, 20)]


class FakeDaily:
    """A hand-written DailySource: counts fetches, can fail or be slow."""

    def __init__(self) -> None:
        self.fetches: list[date] = []
        self.fail: SourceUnavailable | None = None
        self.delay = 0.0
        self._lock = threading.Lock()

    def daily(self, day: date) -> list[Paper]:
        with self._lock:
            self.fetches.append(day)
        time.sleep(self.delay)
        if self.fail:
            raise self.fail
        return [Paper(arxiv_id=f"2511.{day.day:05d}", title=str(day), feed_day=day)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(source: FakeDaily, clock: Clock) -> DailyPaperCache:
    return DailyPaperCache(source, refresh=timedelta(minutes=30), clock=clock)


def test_a_burst_of_readers_makes_one_fetch_per_day() -> None:
    source, clock = FakeDaily(), Clock()
    source.delay = 0.05
    cache = make(source, clock)
    threads = [threading.Thread(target=cache.window, args=(DAYS,)) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(source.fetches) == sorted(DAYS)
    assert len(cache.window(DAYS).papers) == 3


def test_recent_days_refresh_after_the_interval_settled_days_later() -> None:
    source, clock = FakeDaily(), Clock()
    cache = make(source, clock)
    cache.window(DAYS)
    clock.now += 31 * 60
    cache.window(DAYS)
    assert source.fetches.count(DAYS[0]) == 2 and source.fetches.count(DAYS[1]) == 2
    assert source.fetches.count(DAYS[2]) == 1  # a week-old list is settled


def test_failure_keeps_the_last_good_copy_and_cools_down() -> None:
    source, clock = FakeDaily(), Clock()
    cache = make(source, clock)
    cache.window(DAYS)
    clock.now += 31 * 60
    source.fail = SourceUnavailable("HF", "HTTP 503", retry_after=120)
    got = cache.window(DAYS)
    assert len(got.papers) == 3
    assert set(got.stale) == {DAYS[0], DAYS[1]} and not got.failed
    before = len(source.fetches)
    cache.window(DAYS)  # within the cool-down: no new upstream request
    assert len(source.fetches) == before
    clock.now += 121
    source.fail = None
    assert cache.window(DAYS).complete


def test_no_data_at_all_is_reported_as_failed_days() -> None:
    source, clock = FakeDaily(), Clock()
    source.fail = SourceUnavailable("HF", "ConnectTimeout")
    got = make(source, clock).window(DAYS)
    assert got.papers == () and set(got.failed) == set(DAYS)
