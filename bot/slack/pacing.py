"""Posting at Slack's pace: slots per channel and per workspace, and a dispatcher that works
many sequences of posts at once without a thread sleeping per channel."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)


class Pacer:
    """Hands out send slots: `per_channel` seconds apart in a channel, `per_workspace` seconds
    apart in a workspace. A 429 holds a channel back for its Retry-After."""

    def __init__(
        self,
        per_channel: float = 1.0,
        per_workspace: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_channel, self._per_workspace, self._clock = per_channel, per_workspace, clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, team_id: str, channel_id: str) -> float:
        """The earliest slot (a `clock()` time) for the next post to this channel."""
        channel_key = f"{team_id}/{channel_id}"
        with self._lock:
            slot = max(self._clock(), self._next.get(channel_key, 0.0),
                       self._next.get(team_id, 0.0))  # fmt: skip
            self._next[channel_key] = slot + self._per_channel
            self._next[team_id] = slot + self._per_workspace
            return slot

    def posted(self, team_id: str, channel_id: str) -> None:
        """A post just completed: count the channel's spacing from now, not from its planned
        slot, so a post that went out late never crowds the next one in its channel. (The
        workspace pace stays planned: Slack's per-workspace limit allows bursts, and moving it
        with every late post would make the delays add up.)"""
        channel_key, now = f"{team_id}/{channel_id}", self._clock()
        with self._lock:
            self._next[channel_key] = max(self._next.get(channel_key, 0.0), now + self._per_channel)

    def hold(self, team_id: str, channel_id: str, seconds: float) -> None:
        """Nothing more to this channel for `seconds` (Slack said so)."""
        key = f"{team_id}/{channel_id}"
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), self._clock() + seconds)


class Job(Protocol):
    """A sequence of posts to one channel: `prepare()` once (False: nothing to post), then
    `step()` makes the next post."""

    team_id: str
    channel_id: str

    def prepare(self) -> bool: ...

    def step(self) -> Step: ...


@dataclass(frozen=True, slots=True)
class Step:
    """What a job's step asks for next: more posts, a pause (seconds), or nothing (done)."""

    more: bool
    wait: float = 0.0


DONE = Step(more=False)
NEXT = Step(more=True)


def _safe_prepare(job: Job) -> Step:
    try:
        return NEXT if job.prepare() else DONE
    except Exception:
        log.exception("preparing posts for %s failed", job.channel_id)
        return DONE


def _safe_step(job: Job) -> Step:
    try:
        return job.step()
    except Exception:  # a job must not take the dispatcher down with it
        log.exception("post job for %s failed", job.channel_id)
        return DONE


@dataclass(order=True)
class _Entry:
    slot: float
    order: int
    job: Job = field(compare=False)


class Dispatcher:
    """Works every job to its end on `threads` threads, each post at its paced slot."""

    def __init__(
        self, pacer: Pacer, threads: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._pacer, self._threads, self._clock = pacer, threads, clock

    def run(self, jobs: Iterable[Job]) -> None:
        """Prepare and post every job. Posts that are due come first; in between, the workers
        prepare the next jobs, so preparing overlaps with posting."""
        heap: list[_Entry] = []
        pending = deque(jobs)
        counter = itertools.count()
        ready = threading.Condition()
        busy = [0]

        def take() -> tuple[Job, bool] | None:
            """The next thing to do (a job, and whether to prepare it), None when all is done."""
            with ready:
                while True:
                    if heap and heap[0].slot <= self._clock():
                        busy[0] += 1
                        return heapq.heappop(heap).job, False
                    if pending:
                        busy[0] += 1
                        return pending.popleft(), True
                    if not heap and busy[0] == 0:
                        ready.notify_all()  # all done: let every worker go home
                        return None
                    ready.wait(heap[0].slot - self._clock() if heap else None)

        def worker() -> None:
            while (task := take()) is not None:
                job, first = task
                more = _safe_prepare(job) if first else _safe_step(job)
                with ready:
                    busy[0] -= 1
                    if more.more:
                        if not first:
                            self._pacer.posted(job.team_id, job.channel_id)
                        if more.wait:
                            self._pacer.hold(job.team_id, job.channel_id, more.wait)
                        slot = self._pacer.reserve(job.team_id, job.channel_id)
                        heapq.heappush(heap, _Entry(slot, next(counter), job))
                    ready.notify()  # one waiter is enough to look at the new head

        threads = [threading.Thread(target=worker, name=f"post-{i}", daemon=True)
                   for i in range(max(1, self._threads))]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
