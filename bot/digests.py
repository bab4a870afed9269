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
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.core.digest import digest_days, header_title, select
from bot.core.models import ChannelDigest, Ranked, RunKey
from bot.core.schedule import local_date, next_run
from bot.core.topics import parse_topic
from bot.services import PaperWindow
from bot.slack.blocks import digest_header, digest_paper, empty_note
from bot.slack.poster import CHANNEL_GONE, WORKSPACE_DEAD, Poster, PostFailed
from bot.storage.repositories import Store

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(hours=12)  # a run that cannot finish by then is dropped


@dataclass
class TickReport:
    """What one tick did (for logs and `papers-bot send-digests`)."""

    opened: int = 0
    skipped_late: int = 0
    runs: int = 0
    posted: int = 0
    failed: int = 0
    channels_stopped: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"digests: {self.opened} opened, {self.runs} worked, {self.posted} posts, "
                f"{self.failed} failed, {self.skipped_late} skipped as too late, "
                f"{len(self.channels_stopped)} channels stopped")  # fmt: skip


class DigestService:
    """Posts due digests; safe to run in several processes at once."""

    def __init__(
        self,
        store: Store,
        papers: PaperWindow,
        poster: Poster,
        *,
        window_days: int = 7,
        grace: timedelta = timedelta(hours=2),
        threads: int = 16,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store, self._papers, self._poster = store, papers, poster
        self._days, self._grace, self._threads = window_days, grace, threads
        self._clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def send_due_digests(self, now: datetime) -> TickReport:
        """Open the runs that are due at `now`, then work every open run nobody holds."""
        report = TickReport()
        for channel in self._store.due_channels(now):
            self._open(channel, now, report)
        runs = self._store.lease_runs(self.owner, now, LEASE)
        report.runs = len(runs)
        if runs:
            with ThreadPoolExecutor(min(self._threads, len(runs)), "digest") as pool:
                for outcome in pool.map(lambda key: self._work(key, now), runs):
                    report.posted += outcome.posted
                    report.failed += outcome.failed
                    report.channels_stopped += outcome.channels_stopped
        if report.opened or report.runs:
            log.info(report.line())
        return report

    def _open(self, channel: ChannelDigest, now: datetime, report: TickReport) -> None:
        following = next_run(channel.schedule, now)
        late = now - channel.next_due_at > self._grace
        run = (
            None
            if late
            else RunKey(
                channel.team_id,
                channel.channel_id,
                local_date(channel.next_due_at, channel.schedule.zone),
            )
        )
        if self._store.advance(channel, following, run, now):  # fmt: skip
            if late:
                report.skipped_late += 1
                log.warning("team=%s channel=%s: digest due %s skipped (too late)",
                            channel.team_id, channel.channel_id, channel.next_due_at)  # fmt: skip
            else:
                report.opened += 1

    def _work(self, key: RunKey, now: datetime) -> TickReport:
        """Work one leased run; never raises (a failing channel never stops the others)."""
        outcome = TickReport()
        try:
            self._work_run(key, now, outcome)
        except Exception:
            log.exception("team=%s channel=%s: digest run failed", key.team_id, key.channel_id)
            self._store.release_run(key, self.owner)
        return outcome

    def _work_run(self, key: RunKey, now: datetime, outcome: TickReport) -> None:
        channel = self._store.channel(key.team_id, key.channel_id)
        if channel is None or channel.status != "active":
            self._store.finish_run(key, self.owner, "skipped", self._clock())
            return
        got = self._papers.window(digest_days(now, self._days))
        if not got.papers and got.failed:
            self._retry_or_drop(key, now, "no paper data")
            return
        slots = channel.size - self._store.run_post_count(key)
        topics = [parse_topic(t) for t in channel.topics if t]
        if "" in channel.topics:
            topics = []  # one unfiltered subscription means everything
        chosen = select(got.papers, topics, self._store.posted_ids(*_where(key)), now, slots)
        if not chosen:
            self._finish_empty(key, channel)
            return
        try:
            if not self._send_header(key, channel, len(chosen)):
                self._retry_or_drop(key, now, "header not sent")
                return
            self._store.keep_papers([r.paper for r in chosen], self._clock())
            self._send_papers(key, chosen, outcome)
        except PostFailed as failure:
            self._channel_failed(key, channel, failure, outcome)
            return
        if self._store.retryable(key):
            self._retry_or_drop(key, now, "some papers failed")
        else:
            self._store.finish_run(key, self.owner, "done", self._clock())

    def _send_header(self, key: RunKey, channel: ChannelDigest, count: int) -> bool:
        """True when the header is (or was already) in the channel."""
        if not self._store.claim_header(key):
            return self._store.header_state(key) != "pending"
        title = header_title(list(channel.topics), key.digest_date)
        text, blocks = digest_header(title, count, channel.topics)
        try:
            ts = self._poster.post(key.team_id, key.channel_id, text, blocks)
        except PostFailed as failure:
            self._store.header_done(key, None)
            if failure.retry_after is not None:
                return False
            raise
        self._store.header_done(key, ts)
        return True

    def _send_papers(self, key: RunKey, chosen: list[Ranked], outcome: TickReport) -> None:
        for item in chosen:
            arxiv_id = item.paper.arxiv_id
            if not self._store.claim_post(key, arxiv_id, self.owner, self._clock()):
                continue  # another worker has it, or it is done
            text, blocks = digest_paper(item)
            try:
                ts = self._poster.post(key.team_id, key.channel_id, text, blocks)
            except PostFailed as failure:
                self._store.post_failed(key, arxiv_id, failure.code)
                outcome.failed += 1
                if failure.retry_after is None and _stops_channel(failure.code):
                    raise
                continue
            self._store.post_sent(key, arxiv_id, ts, self._clock())
            outcome.posted += 1

    def _finish_empty(self, key: RunKey, channel: ChannelDigest) -> None:
        if channel.note_when_empty and self._store.claim_header(key):
            title = header_title(list(channel.topics), key.digest_date)
            text, blocks = empty_note(title)
            try:
                ts = self._poster.post(key.team_id, key.channel_id, text, blocks)
            except PostFailed:
                ts = None
            self._store.header_done(key, ts)
        self._store.finish_run(key, self.owner, "done", self._clock())

    def _channel_failed(
        self, key: RunKey, channel: ChannelDigest, failure: PostFailed, outcome: TickReport
    ) -> None:
        """A Slack error that stops this channel (or workspace): record it and tell a person."""
        where = f"team={key.team_id} channel={key.channel_id}"
        log.warning("%s: digest stopped: %s", where, failure.code)
        if failure.code in WORKSPACE_DEAD:
            self._store.set_workspace_active(key.team_id, False, failure.code, self._clock())
        elif failure.code in CHANNEL_GONE:
            self._store.update_channel(*_where(key), status="inactive", status_reason=failure.code)
            self._tell_owner(channel, _GONE.format(channel=key.channel_id))
        else:
            self._store.update_channel(*_where(key), status="paused", status_reason=failure.code)
            self._tell_owner(channel, _PAUSED.format(channel=key.channel_id, code=failure.code))
        outcome.channels_stopped.append(key.channel_id)
        self._store.finish_run(key, self.owner, "skipped", self._clock())

    def _tell_owner(self, channel: ChannelDigest, text: str) -> None:
        self._poster.direct_message(channel.created_by, text)

    def _retry_or_drop(self, key: RunKey, now: datetime, why: str) -> None:
        run_start = datetime.combine(key.digest_date, datetime.min.time(), tzinfo=UTC)
        if now - run_start > GIVE_UP_AFTER + timedelta(days=1):
            log.warning("team=%s channel=%s: digest of %s dropped: %s",
                        key.team_id, key.channel_id, key.digest_date, why)  # fmt: skip
            self._store.finish_run(key, self.owner, "skipped", self._clock())
        else:
            log.info("team=%s channel=%s: digest of %s retried later: %s",
                     key.team_id, key.channel_id, key.digest_date, why)  # fmt: skip
            self._store.release_run(key, self.owner)


def _where(key: RunKey) -> tuple[str, str]:
    return key.team_id, key.channel_id


def _stops_channel(code: str) -> bool:
    return code in WORKSPACE_DEAD or code in CHANNEL_GONE or code in {
        "not_in_channel", "restricted_action", "missing_scope", "ekm_access_denied",
    }  # fmt: skip


_PAUSED = (
    "I couldn't post today's paper digest in <#{channel}> (Slack said `{code}`), so its digests "
    "are paused. Invite me with `/invite @papers-bot` in that channel, then run "
    "`/papers resume` there."
)
_GONE = (
    "I stopped the paper digest of <#{channel}>: the channel is archived or I can no longer see "
    "it. If it comes back, run `/papers resume` there."
)
