"""Posting at Slack's pace: slots per channel and per workspace, and a dispatcher that works
many sequences of posts at once without a thread sleeping per channel."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
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
        """A post just completed: count the spacing from now, not from its planned slot, so a
        post that went out late never crowds the next one."""
        channel_key, now = f"{team_id}/{channel_id}", self._clock()
        with self._lock:
            self._next[channel_key] = max(self._next.get(channel_key, 0.0), now + self._per_channel)
            self._next[team_id] = max(self._next.get(team_id, 0.0), now + self._per_workspace)

    def hold(self, team_id: str, channel_id: str, seconds: float) -> None:
        """Nothing more to this channel for `seconds` (Slack said so)."""
        key = f"{team_id}/{channel_id}"
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), self._clock() + seconds)


class Job(Protocol):
    """A sequence of posts to one channel; `step()` makes the next one."""

    team_id: str
    channel_id: str

    def step(self) -> Step: ...


@dataclass(frozen=True, slots=True)
class Step:
    """What a job's step asks for next: more posts, a pause (seconds), or nothing (done)."""

    more: bool
    wait: float = 0.0


DONE = Step(more=False)
NEXT = Step(more=True)


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
        heap: list[_Entry] = []
        counter = itertools.count()
        ready = threading.Condition()
        busy = [0]
        for job in jobs:
            heap.append(
                _Entry(self._pacer.reserve(job.team_id, job.channel_id), next(counter), job)
            )
        heapq.heapify(heap)

        def worker() -> None:
            while True:
                with ready:
                    while True:
                        if not heap and busy[0] == 0:
                            ready.notify_all()
                            return
                        if heap and heap[0].slot <= self._clock():
                            entry = heapq.heappop(heap)
                            busy[0] += 1
                            break
                        timeout = heap[0].slot - self._clock() if heap else None
                        ready.wait(timeout)
                try:
                    step = entry.job.step()
                except Exception:  # a job must not take the dispatcher down with it
                    log.exception("post job for %s failed", entry.job.channel_id)
                    step = DONE
                with ready:
                    busy[0] -= 1
                    if step.more:
                        job = entry.job
                        self._pacer.posted(job.team_id, job.channel_id)
                        if step.wait:
                            self._pacer.hold(job.team_id, job.channel_id, step.wait)
                        slot = self._pacer.reserve(job.team_id, job.channel_id)
                        heapq.heappush(heap, _Entry(slot, next(counter), job))
                    ready.notify_all()

        threads = [threading.Thread(target=worker, name=f"post-{i}", daemon=True)
                   for i in range(max(1, self._threads))]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
