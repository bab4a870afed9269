"""Daily channel digests: `send_due_digests(now)` posts every due digest exactly once.

Exactly once, across processes and crashes:
1. A due channel's next time is moved on by compare-and-set, opening a run for that local day
   (one row per channel and day); of several workers, one opens it.
2. Runs are leased: one worker works a run at a time; a dead worker's lease runs out and the
   run is finished by whoever takes it next.
3. Each paper is claimed in the database (unique per team, channel and paper) before it is
   sent and marked sent after. A send that failed is retried on a later tick; a send that was
   in flight when its worker died is never repeated (its fate is unknown, so nothing is posted
   twice).
4. Bookkeeping survives database errors: sent marks wait in memory until written, a run is
   finished only together with its last marks, and a run whose bookkeeping fails is given back
   for a later tick without stopping the others. The tick counts such lost work.
Posting is paced by a dispatcher: every channel's posts at most one a second, every
workspace's at its own pace, all channels at once, no thread asleep per channel.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.core.digest import digest_days, header_title, select
from bot.core.models import ChannelDigest, Paper, Ranked, RunKey
from bot.core.schedule import local_date, next_run
from bot.core.topics import parse_topic
from bot.sent_marks import SentMarks, retried
from bot.services import PaperWindow, gather
from bot.slack.blocks import digest_header, digest_paper, empty_note
from bot.slack.pacing import DONE, NEXT, Dispatcher, Pacer, Step
from bot.slack.poster import CHANNEL_GONE, WORKSPACE_DEAD, Poster, PostFailed
from bot.storage.repositories import Store
from bot.storage.runs import Marks

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
MAX_TRIES = 4  # per post within one tick; then it waits for a later tick
STOPS_CHANNEL = {"not_in_channel", "restricted_action", "missing_scope", "ekm_access_denied"}
T = TypeVar("T")


@dataclass
class TickReport:
    """What one tick did (for logs and `papers-bot send-digests`)."""

    opened: int = 0
    skipped_late: int = 0
    runs: int = 0
    posted: int = 0
    failed: int = 0
    errors: int = 0  # runs given back after a database error in their bookkeeping
    lost: int = 0  # sent marks (message ts) still unwritten at the end of the tick
    channels_stopped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # time spent per phase

    @property
    def lost_work(self) -> bool:
        """The database failed this tick: some bookkeeping waits for a later one."""
        return bool(self.errors or self.lost)

    def line(self) -> str:
        phases = ", ".join(f"{name} {secs:.1f}s" for name, secs in self.seconds.items())
        return (f"digests: {self.opened} opened, {self.runs} worked, {self.posted} posts, "
                f"{self.failed} failed, {self.skipped_late} skipped as too late, "
                f"{len(self.channels_stopped)} channels stopped, {self.errors} runs given back "
                f"on database errors, {self.lost} sent marks unsaved ({phases})")  # fmt: skip

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[name] = now - since
        return now


@dataclass
class _Message:
    kind: str  # header | note | paper
    text: str
    blocks: list[dict[str, object]]
    arxiv_id: str = ""
    tries: int = 0


@dataclass
class _Plan:
    key: RunKey
    channel: ChannelDigest
    messages: deque[_Message]


class DigestService:
    """Posts due digests; safe to run in several processes at once."""

    def __init__(
        self,
        store: Store,
        papers: PaperWindow,
        poster: Poster,
        pacer: Pacer,
        *,
        window_days: int = 7,
        grace: timedelta = timedelta(hours=2),
        threads: int = 8,
        transient_wait: float = 2.0,
        wait: timedelta = timedelta(hours=12),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store, self._papers, self._poster, self._pacer = store, papers, poster, pacer
        self._days, self._grace, self._threads = window_days, grace, threads
        self._transient_wait, self._clock, self._wait = transient_wait, clock, wait
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._kept: set[str] = set()  # paper snapshots stored this tick
        self._marks = SentMarks(store)

    def send_due_digests(self, now: datetime) -> TickReport:
        """Open the runs that are due at `now`, then work every open run nobody holds."""
        report = TickReport()
        started = time.perf_counter()
        self._marks.flush()  # marks an earlier tick could not write
        self._open(self._store.due_channels(now), now, report)
        started = report.lap("open", started)
        runs = self._store.lease_runs(self.owner, now, LEASE)
        report.runs = len(runs)
        started = report.lap("lease", started)
        self._kept = set()
        if runs:
            jobs = [_RunJob(self, key, report, now) for key in _across_workspaces(runs)]
            try:
                Dispatcher(self._pacer, self._threads).run(jobs)
            finally:
                self._marks.flush()
            report.lap("plan and post", started)
        report.lost = self._marks.unwritten()
        if report.lost_work:
            log.error(report.line())
        elif report.opened or report.runs:
            log.info(report.line())
        return report

    def give_back(self, key: RunKey, report: TickReport) -> None:
        """The database failed in a run's bookkeeping: count it and give the run back for a
        later tick. Its claimed posts are never sent again; their marks wait in memory."""
        log.error("team=%s channel=%s: digest of %s given back after a database error",
                  *_where(key), key.digest_date, exc_info=True)  # fmt: skip
        report.errors += 1
        try:
            retried(lambda: self._store.release_run(key, self.owner))
        except SQLAlchemyError:
            log.error("team=%s channel=%s: digest of %s not given back either: taken again "
                      "when its lease (%s) runs out", *_where(key), key.digest_date,
                      LEASE)  # fmt: skip

    # -- opening runs -----------------------------------------------------------------------
    def _open(self, due: list[ChannelDigest], now: datetime, report: TickReport) -> None:
        """Move every due channel on to its next time, opening today's run (or, when the bot
        was down past the grace period, skipping it)."""
        moves = []
        for channel in due:
            late = now - channel.next_due_at > self._grace
            day = local_date(channel.next_due_at, channel.schedule.zone)
            run = None if late else RunKey(channel.team_id, channel.channel_id, day)
            moves.append((channel, next_run(channel.schedule, now), run))
        for (channel, _, run), moved in zip(moves, self._store.advance(moves, now), strict=True):
            if not moved:
                continue  # another worker moved it on
            if run is None:
                report.skipped_late += 1
                log.warning("team=%s channel=%s: digest due %s skipped (too late)",
                            channel.team_id, channel.channel_id, channel.next_due_at)  # fmt: skip
            else:
                report.opened += 1

    # -- planning a run -----------------------------------------------------------------------
    def plan(self, key: RunKey, now: datetime) -> _Plan | None:
        """What the run still has to post (None: nothing, the run is settled here)."""
        try:
            return self._plan_run(key, now)
        except SQLAlchemyError:
            raise  # bookkeeping: the job gives the run back and counts it
        except Exception:
            log.exception("team=%s channel=%s: planning the digest failed", *_where(key))
            self._store.release_run(key, self.owner)
            return None

    def _plan_run(self, key: RunKey, now: datetime) -> _Plan | None:
        channel, posted, in_run = self._store.plan_inputs(key)
        if channel is None or channel.status != "active":
            self._close(key, "skipped")
            return None
        parsed = [parse_topic(t) for t in channel.topics if t]
        topics = [] if "" in channel.topics else parsed  # "": every paper, no filter
        got = gather(self._papers, digest_days(now, self._days), parsed)
        if got.missing:
            self.retry_or_drop(key, now, "no paper data: " + " ".join(got.notes))
            return None
        chosen = select(got.papers, topics, posted, now, channel.size - in_run)
        title = header_title(list(channel.topics), key.digest_date)
        messages: deque[_Message] = deque()
        if not chosen:
            if channel.note_when_empty:
                messages.append(_Message("note", *empty_note(title)))
            else:
                self._close(key, "done")
                return None
        else:
            header = digest_header(title, len(chosen), channel.topics, got.sources, got.notes)
            messages.append(_Message("header", *header))
            messages.extend(_paper_message(item) for item in chosen)
            self._keep([r.paper for r in chosen])
        return _Plan(key, channel, messages)

    def _keep(self, papers: list[Paper]) -> None:
        """Snapshot papers once per tick, however many channels post them."""
        new = [p for p in papers if p.arxiv_id not in self._kept]
        if new:
            self._store.keep_papers(new, self._clock())
            self._kept.update(p.arxiv_id for p in new)  # only once stored

    # -- when a run ends ------------------------------------------------------------------------
    def finish(self, plan: _Plan, now: datetime) -> None:
        key, owner = plan.key, self.owner
        done = self._with_marks(
            key, lambda marks: self._store.finish_unless_failed(key, owner, self._clock(), marks)
        )
        if not done:
            self.retry_or_drop(key, now, "some papers failed")

    def _close(self, key: RunKey, status: str) -> None:
        """End the run as `status`, its unwritten marks written in the same transaction."""
        self._with_marks(
            key, lambda marks: self._store.finish_run(key, self.owner, status, self._clock(), marks)
        )

    def _with_marks(self, key: RunKey, end: Callable[[Marks], T]) -> T:
        """Run `end`, a transaction ending the run, with the run's unwritten marks (retried a
        few times; if it still fails, the marks wait in memory and the error is raised)."""
        with self._marks.ending(key) as marks:
            return retried(lambda: end(marks))

    def stop_channel(self, plan: _Plan, failure: PostFailed, report: TickReport) -> None:
        """A Slack error that stops this channel (or workspace): record it and tell a person."""
        key, channel = plan.key, plan.channel
        log.warning("team=%s channel=%s: digest stopped: %s", *_where(key), failure.code)
        if failure.code in WORKSPACE_DEAD:
            self._store.set_workspace_active(key.team_id, False, failure.code, self._clock())
        elif failure.code in CHANNEL_GONE:
            self._store.update_channel(*_where(key), status="inactive", status_reason=failure.code)
            self._poster.direct_message(key.team_id, channel.created_by,
                                        _GONE.format(channel=key.channel_id))  # fmt: skip
        else:
            self._store.update_channel(*_where(key), status="paused", status_reason=failure.code)
            text = _PAUSED.format(channel=key.channel_id, code=failure.code)
            self._poster.direct_message(key.team_id, channel.created_by, text)
        report.channels_stopped.append(key.channel_id)
        self._close(key, "skipped")

    def retry_or_drop(self, key: RunKey, now: datetime, why: str) -> None:
        """Try the run again on a later tick, unless it is more than the waiting window late."""
        due = self._store.run_due_at(key) or now
        if now - due > self._wait:
            log.warning("team=%s channel=%s: digest of %s dropped after waiting %s: %s",
                        *_where(key), key.digest_date, self._wait, why)  # fmt: skip
            self._close(key, "skipped")
        else:
            log.info("team=%s channel=%s: digest of %s retried later: %s",
                     *_where(key), key.digest_date, why)  # fmt: skip
            self._store.release_run(key, self.owner)

    # -- one post ---------------------------------------------------------------------------------
    def claim(self, plan: _Plan, message: _Message) -> bool:
        if message.kind == "paper":
            return self._store.claim_post(plan.key, message.arxiv_id, self.owner, self._clock())
        return self._store.claim_header(plan.key)

    def post(self, plan: _Plan, message: _Message) -> str:
        return self._poster.post(*_where(plan.key), message.text, message.blocks)

    def sent(self, plan: _Plan, message: _Message, ts: str) -> None:
        if message.kind == "paper":
            self._marks.add(plan.key, message.arxiv_id, ts, self._clock())
        else:
            self._marks.add_header(plan.key, ts)

    def unsent(self, plan: _Plan, message: _Message, failure: PostFailed) -> None:
        if message.kind == "paper":
            self._store.post_failed(plan.key, message.arxiv_id, failure.code)
        else:
            self._store.header_done(plan.key, None)

    def backoff(self, failure: PostFailed, tries: int) -> float:
        if failure.code == "ratelimited":
            return failure.retry_after or 1.0
        return self._transient_wait * tries


class _RunJob:
    """One run: planned once, then its posts in order, one per dispatcher step."""

    def __init__(self, service: DigestService, key: RunKey, report: TickReport, now: datetime):
        self.team_id, self.channel_id = key.team_id, key.channel_id
        self._service, self._key, self._report, self._now = service, key, report, now
        self._planned: _Plan | None = None

    @property
    def _plan(self) -> _Plan:
        assert self._planned is not None, "step() before prepare()"
        return self._planned

    def prepare(self) -> bool:
        try:
            self._planned = self._service.plan(self._key, self._now)
        except SQLAlchemyError:
            self._service.give_back(self._key, self._report)
            return False
        return self._planned is not None

    def step(self) -> Step:
        """The next post; a database error ends this run only (given back, counted)."""
        try:
            return self._step()
        except SQLAlchemyError:
            self._service.give_back(self._key, self._report)
            return DONE

    def _step(self) -> Step:
        plan, service = self._plan, self._service
        if not plan.messages:
            service.finish(plan, self._now)
            return DONE
        message = plan.messages[0]
        if message.tries == 0 and not service.claim(plan, message):
            plan.messages.popleft()  # another worker has it, or it is already done
            return self._next_or_finish()
        message.tries += 1
        try:
            ts = service.post(plan, message)
        except PostFailed as failure:
            return self._failed(message, failure)
        service.sent(plan, message, ts)
        if message.kind == "paper":
            self._report.posted += 1
        plan.messages.popleft()
        return self._next_or_finish()

    def _failed(self, message: _Message, failure: PostFailed) -> Step:
        plan, service = self._plan, self._service
        if failure.retry_after is not None and message.tries < MAX_TRIES:
            return Step(more=True, wait=service.backoff(failure, message.tries))
        service.unsent(plan, message, failure)
        if message.kind == "paper":
            self._report.failed += 1
        stops = (
            failure.code in WORKSPACE_DEAD
            or failure.code in CHANNEL_GONE
            or (failure.code in STOPS_CHANNEL)
        )
        if stops:
            service.stop_channel(plan, failure, self._report)
            return DONE
        if message.kind != "paper":  # no header: no papers either, try the run again later
            service.retry_or_drop(plan.key, self._now, f"header not sent: {failure.code}")
            return DONE
        plan.messages.popleft()
        return self._next_or_finish()

    def _next_or_finish(self) -> Step:
        if self._plan.messages:
            return NEXT
        self._service.finish(self._plan, self._now)
        return DONE


def _across_workspaces(runs: list[RunKey]) -> list[RunKey]:
    """Interleave workspaces (T1, T2, T3, T1, T2 ...), so every workspace starts at once."""
    by_team: dict[str, list[RunKey]] = {}
    for key in runs:
        by_team.setdefault(key.team_id, []).append(key)
    rounds = itertools.zip_longest(*by_team.values())
    return [key for one_round in rounds for key in one_round if key is not None]


def _paper_message(item: Ranked) -> _Message:
    text, blocks = digest_paper(item)
    return _Message("paper", text, blocks, arxiv_id=item.paper.arxiv_id)


def _where(key: RunKey) -> tuple[str, str]:
    return key.team_id, key.channel_id


_PAUSED = (
    "I couldn't post today's paper digest in <#{channel}> (Slack said `{code}`), so its digests "
    "are paused. Invite me with `/invite @papers-bot` in that channel, then run "
    "`/papers resume` there."
)
_GONE = (
    "I stopped the paper digest of <#{channel}>: the channel is archived or I can no longer see "
    "it. If it comes back, run `/papers resume` there."
)
