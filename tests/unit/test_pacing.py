import itertools
import threading
import time
from collections import defaultdict

from bot.slack.pacing import DONE, NEXT, Dispatcher, Pacer, Step


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_pacer_spaces_a_channel_and_a_workspace() -> None:
    clock = FakeClock()
    pacer = Pacer(per_channel=1.0, per_workspace=0.25, clock=clock)
    assert pacer.reserve("T1", "C1") == 100.0
    assert pacer.reserve("T1", "C2") == 100.25  # same workspace, another channel
    assert pacer.reserve("T1", "C1") == 101.0  # same channel: a second later
    assert pacer.reserve("T2", "C1") == 100.0  # another workspace is not held back
    pacer.hold("T2", "C1", 30)
    assert pacer.reserve("T2", "C1") == 130.0


class Recorder:
    """A job that posts `n` times and records when."""

    def __init__(self, team: str, channel: str, n: int, log: dict[str, list[float]]) -> None:
        self.team_id, self.channel_id, self._left, self._log = team, channel, n, log
        self._lock = threading.Lock()

    def prepare(self) -> bool:
        return self._left > 0

    def step(self) -> Step:
        with self._lock:
            self._log[self.channel_id].append(time.monotonic())
            self._left -= 1
            return NEXT if self._left else DONE


def test_dispatcher_posts_everything_each_channel_at_its_pace() -> None:
    log: dict[str, list[float]] = defaultdict(list)
    jobs = [Recorder("T1", f"C{i}", 3, log) for i in range(5)]
    jobs.append(Recorder("T1", "EMPTY", 0, log))
    Dispatcher(Pacer(per_channel=0.05, per_workspace=0.0), threads=3).run(jobs)
    assert sorted(log) == [f"C{i}" for i in range(5)]
    for times in log.values():
        assert len(times) == 3
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(gap >= 0.045 for gap in gaps)  # never faster than the pace (a lower bound)


def test_a_job_that_raises_does_not_stop_the_others() -> None:
    log: dict[str, list[float]] = defaultdict(list)

    class Broken(Recorder):
        def step(self) -> Step:
            raise RuntimeError("bug")

    jobs = [Broken("T1", "BAD", 3, log), Recorder("T1", "OK", 2, log)]
    Dispatcher(Pacer(per_channel=0.0, per_workspace=0.0), threads=2).run(jobs)
    assert len(log["OK"]) == 2
