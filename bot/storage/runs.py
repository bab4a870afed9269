"""Queries of digest runs, posts (a digest's or shared by a person) and paper snapshots."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.models import ChannelDigest, Paper, RunKey
from bot.storage.base import (
    CHANNELS,
    POSTS,
    RUNS,
    StoreBase,
    changed_rows,
    channel_digest,
    channel_topics,
    insert_ignore,
    paper_from_json,
)
from bot.storage.schema import ChannelRow, DigestRunRow, PaperRow, PostRow

POSTED = ("sending", "sent", "unknown")  # states that count as "already in the channel"
MAX_POST_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Marks:
    """Sent posts (run, paper, message ts, when) and sent headers (run, ts), to record."""

    posts: tuple[tuple[RunKey, str, str, datetime], ...] = ()
    headers: tuple[tuple[RunKey, str], ...] = ()


NO_MARKS = Marks()


class RunQueries(StoreBase):
    """Digest runs, their posts (and shared ones), and snapshots of the papers posted."""

    # -- digest runs -------------------------------------------------------------------------
    def advance(
        self, moves: list[tuple[ChannelDigest, datetime, RunKey | None]], now: datetime
    ) -> list[bool]:
        """Move channels' next digest times on, opening each `run` (None: the day is skipped).

        Compare-and-set on the old due time: of several workers, exactly one advances a
        channel. Moves go in a fixed order, a few hundred per transaction.
        """
        ordered = sorted(moves, key=lambda m: (m[0].team_id, m[0].channel_id))
        outcome: dict[tuple[str, str], bool] = {}
        for start in range(0, len(ordered), 200):
            with self._tx() as s:
                for channel, next_due_at, run in ordered[start : start + 200]:
                    moved = changed_rows(s, _ADVANCE, {
                        "p_team": channel.team_id, "p_channel": channel.channel_id,
                        "p_due": channel.next_due_at, "p_next": next_due_at,
                    }) == 1  # fmt: skip
                    if moved and run is not None:
                        insert_ignore(s, DigestRunRow, {
                            **asdict(run), "status": "open", "header_state": "pending",
                            "due_at": channel.next_due_at, "created_at": now,
                        })  # fmt: skip
                    outcome[(channel.team_id, channel.channel_id)] = moved
        return [outcome[(m[0].team_id, m[0].channel_id)] for m in moves]

    def lease_runs(self, owner: str, now: datetime, lease: timedelta) -> list[RunKey]:
        """Take every open run nobody holds (or whose holder's lease ran out), in one statement.

        Posts left mid-send in those runs are of unknown fate: they are marked so and never
        sent again. That includes this owner's own: no run is in flight here while it leases,
        so its `sending` posts are ones whose mark was never written (a later mark from memory
        still turns them `sent`, with their ts).
        """
        with self._tx() as s:
            free = or_(DigestRunRow.lease_until.is_(None), DigestRunRow.lease_until < now)
            taken = s.execute(
                update(RUNS)
                .where(DigestRunRow.status == "open", free)
                .values(owner=owner, lease_until=now + lease)
                .returning(DigestRunRow.team_id, DigestRunRow.channel_id, DigestRunRow.digest_date)
            ).all()
            if taken:
                mine = (
                    select(1)
                    .select_from(RUNS)
                    .where(
                        DigestRunRow.owner == owner,
                        DigestRunRow.team_id == PostRow.team_id,
                        DigestRunRow.channel_id == PostRow.channel_id,
                        DigestRunRow.digest_date == PostRow.digest_date,
                    )
                    .exists()
                )
                s.execute(
                    update(POSTS).where(PostRow.state == "sending", mine).values(state="unknown")
                )
        keys = [RunKey(team, channel, day) for team, channel, day in taken]
        return sorted(keys, key=lambda k: (k.digest_date, k.team_id, k.channel_id))

    def renew(self, key: RunKey, owner: str, until: datetime) -> bool:
        with self._tx() as s:
            return (
                changed_rows(
                    s,
                    update(RUNS)
                    .where(_run(key), DigestRunRow.owner == owner)
                    .values(lease_until=until),
                )
                == 1
            )

    def finish_run(
        self, key: RunKey, owner: str, status: str, now: datetime, marks: Marks = NO_MARKS
    ) -> None:
        """End the run as `status`, writing its last sent marks in the same transaction."""
        with self._tx() as s:
            _write_marks(s, marks)
            s.execute(
                update(RUNS)
                .where(_run(key), DigestRunRow.owner == owner)
                .values(status=status, finished_at=now, lease_until=None)
            )

    def finish_unless_failed(
        self, key: RunKey, owner: str, now: datetime, marks: Marks = NO_MARKS
    ) -> bool:
        """Finish the run unless some of its posts failed and may be retried (then False).

        Its last sent marks are written in the same transaction, so a run is never done while
        marks of its posts are unwritten.
        """
        with self._tx() as s:
            _write_marks(s, marks)
            failed = s.scalar(select(func.count()).select_from(POSTS).where(
                _run_posts(key), PostRow.state == "failed", PostRow.attempts < MAX_POST_ATTEMPTS
            ))  # fmt: skip
            if failed:
                return False
            s.execute(
                update(RUNS)
                .where(_run(key), DigestRunRow.owner == owner)
                .values(status="done", finished_at=now, lease_until=None)
            )
            return True

    def release_run(self, key: RunKey, owner: str) -> None:
        """Give a run back (to retry later) without finishing it."""
        with self._tx() as s:
            s.execute(
                update(RUNS)
                .where(_run(key), DigestRunRow.owner == owner)
                .values(owner=None, lease_until=None)
            )

    def claim_header(self, key: RunKey) -> bool:
        """pending -> sending, once: a header interrupted mid-send is never sent again."""
        with self._tx() as s:
            return (
                changed_rows(
                    s,
                    update(RUNS)
                    .where(_run(key), DigestRunRow.header_state == "pending")
                    .values(header_state="sending"),
                )
                == 1
            )

    def headers_sent(self, sent: list[tuple[RunKey, str]]) -> None:
        """Record many sent headers (with their ts) in one transaction."""
        self.record_sent(Marks(headers=tuple(sent)))

    def record_sent(self, marks: Marks) -> None:
        """Record sent posts and headers (with their ts), all in one transaction.

        A mark turns its post `sent` whatever its state: `sending`, or `unknown` when another
        worker took the run while this mark waited for the database.
        """
        if marks.posts or marks.headers:
            with self._tx() as s:
                _write_marks(s, marks)

    def header_done(self, key: RunKey, ts: str | None) -> None:
        """Sent (with its ts), or None: not sent, may be tried again."""
        with self._tx() as s:
            state = "sent" if ts else "pending"
            s.execute(update(RUNS).where(_run(key)).values(header_state=state, header_ts=ts))

    def header_state(self, key: RunKey) -> str:
        with self._tx() as s:
            return str(s.scalar(select(DigestRunRow.header_state).where(_run(key))))

    # -- posts ---------------------------------------------------------------------------------
    def posted_ids(self, team_id: str, channel_id: str) -> set[str]:
        """Papers in the channel already (sent, being sent, or of unknown fate)."""
        with self._tx() as s:
            return set(
                s.scalars(
                    select(PostRow.arxiv_id).where(
                        PostRow.team_id == team_id,
                        PostRow.channel_id == channel_id,
                        PostRow.state.in_(POSTED),
                    )
                )
            )

    def plan_inputs(self, key: RunKey) -> tuple[ChannelDigest | None, set[str], int]:
        """All a digest plan reads, in one transaction: the channel, the papers already in
        it, and how many of them this run posted."""
        with self._tx() as s:
            row = s.execute(select(CHANNELS).where(
                ChannelRow.team_id == key.team_id, ChannelRow.channel_id == key.channel_id
            )).first()  # fmt: skip
            if row is None:
                return None, set(), 0
            channel = channel_digest(row, channel_topics(s, key.team_id, key.channel_id))  # type: ignore[arg-type]
            posted = s.execute(select(PostRow.arxiv_id, PostRow.digest_date).where(
                PostRow.team_id == key.team_id, PostRow.channel_id == key.channel_id,
                PostRow.state.in_(POSTED),
            )).all()  # fmt: skip
            in_run = sum(1 for _, day in posted if day == key.digest_date)
            return channel, {arxiv_id for arxiv_id, _ in posted}, in_run

    def run_due_at(self, key: RunKey) -> datetime | None:
        """When the run was due (its digest's scheduled time)."""
        with self._tx() as s:
            found = s.execute(select(RUNS.c.due_at).where(_run(key))).scalar()
            return cast(datetime | None, found)

    def run_post_count(self, key: RunKey) -> int:
        with self._tx() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(PostRow)
                    .where(_run_posts(key), PostRow.state.in_(POSTED))
                )
                or 0
            )

    def retryable(self, key: RunKey) -> list[str]:
        """Papers of this run whose send failed and may be tried again."""
        with self._tx() as s:
            return list(
                s.scalars(
                    select(PostRow.arxiv_id)
                    .where(
                        _run_posts(key),
                        PostRow.state == "failed",
                        PostRow.attempts < MAX_POST_ATTEMPTS,
                    )
                    .order_by(PostRow.id)
                )
            )

    def claim_post(self, key: RunKey, arxiv_id: str, owner: str, now: datetime) -> bool:
        """Claim the right to post `arxiv_id` in the channel: true for exactly one caller, once.

        A new paper is inserted (the unique constraint settles races); a failed one is taken back
        from `failed` to `sending` by compare-and-set.
        """
        values = {**_post_key(key, arxiv_id), "p_owner": owner, "p_now": now,
                  "p_day": key.digest_date}  # fmt: skip
        with self._tx() as s:
            if s.execute(_CLAIM_NEW[s.dialect.name], values).first() is not None:
                return True
            return changed_rows(s, _RECLAIM, values) == 1

    def post_sent(self, key: RunKey, arxiv_id: str, ts: str, now: datetime) -> None:
        self.posts_sent([(key, arxiv_id, ts, now)])

    def posts_sent(self, sent: list[tuple[RunKey, str, str, datetime]]) -> None:
        """Mark many posts sent (with their message ts) in one transaction."""
        self.record_sent(Marks(posts=tuple(sent)))

    def post_failed(self, key: RunKey, arxiv_id: str, error: str) -> None:
        with self._tx() as s:
            s.execute(_MARK_FAILED, {**_post_key(key, arxiv_id), "p_error": error[:64]})

    def record_shared(
        self, team_id: str, channel_id: str, paper: Paper, ts: str, now: datetime
    ) -> None:
        """A paper shared into a channel by a person: a post like a digest's (so reactions on it
        save it, and digests never post it there again). A paper already posted in the
        channel keeps its first message."""
        self.keep_papers([paper], now)  # first: once the post is visible, so is its paper
        with self._tx() as s:
            insert_ignore(s, PostRow, {
                "team_id": team_id, "channel_id": channel_id, "arxiv_id": paper.arxiv_id,
                "digest_date": None, "state": "sent", "attempts": 1, "owner": "share",
                "claimed_at": now, "sent_at": now, "message_ts": ts,
            })  # fmt: skip

    def paper_of_message(self, team_id: str, channel_id: str, ts: str) -> str | None:
        """The paper a bot message shows (one indexed lookup), for reactions."""
        with self._tx() as s:
            return s.scalar(
                select(PostRow.arxiv_id).where(
                    PostRow.team_id == team_id,
                    PostRow.channel_id == channel_id,
                    PostRow.message_ts == ts,
                )
            )

    # -- paper snapshots -----------------------------------------------------------------------
    def keep_papers(self, papers: list[Paper], now: datetime) -> None:
        """Store snapshots of papers about to be posted (merged with what is known)."""
        from bot.storage.papers import upsert_papers  # papers.py imports this (via repositories)

        with self._tx() as s:
            upsert_papers(s, papers, now)

    def paper(self, arxiv_id: str) -> Paper | None:
        with self._session() as s:
            row = s.get(PaperRow, arxiv_id)
            return paper_from_json(row.data) if row else None


def _run(key: RunKey) -> Any:
    return and_(
        DigestRunRow.team_id == key.team_id,
        DigestRunRow.channel_id == key.channel_id,
        DigestRunRow.digest_date == key.digest_date,
    )


def _run_posts(key: RunKey) -> Any:
    return and_(
        PostRow.team_id == key.team_id,
        PostRow.channel_id == key.channel_id,
        PostRow.digest_date == key.digest_date,
    )


def _write_marks(s: Connection, marks: Marks) -> None:
    if marks.posts:
        s.execute(_MARK_SENT, [{**_post_key(key, arxiv_id), "p_ts": ts, "p_now": now}
                               for key, arxiv_id, ts, now in marks.posts])  # fmt: skip
    if marks.headers:
        s.execute(_HEADER_SENT, [{"p_team": k.team_id, "p_channel": k.channel_id,
                                  "p_day": k.digest_date, "p_ts": ts}
                                 for k, ts in marks.headers])  # fmt: skip


def _post_key(key: RunKey, arxiv_id: str) -> dict[str, Any]:
    return {"p_team": key.team_id, "p_channel": key.channel_id, "p_paper": arxiv_id}


# Statements of the hottest paths, built once: a digest makes two of these per post.
_THIS_POST = and_(
    POSTS.c.team_id == bindparam("p_team"),
    POSTS.c.channel_id == bindparam("p_channel"),
    POSTS.c.arxiv_id == bindparam("p_paper"),
)
_NEW_POST = {
    "team_id": bindparam("p_team"), "channel_id": bindparam("p_channel"),
    "arxiv_id": bindparam("p_paper"), "digest_date": bindparam("p_day"), "state": "sending",
    "attempts": 1, "owner": bindparam("p_owner"), "claimed_at": bindparam("p_now"),
}  # fmt: skip
_CLAIM_NEW = {
    name: dialect.insert(POSTS).values(_NEW_POST).on_conflict_do_nothing().returning(POSTS.c.id)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_RECLAIM = (
    update(POSTS)
    .where(_THIS_POST, POSTS.c.state == "failed", POSTS.c.attempts < MAX_POST_ATTEMPTS)
    .values(state="sending", attempts=POSTS.c.attempts + 1, owner=bindparam("p_owner"),
            claimed_at=bindparam("p_now"), digest_date=bindparam("p_day"))
)  # fmt: skip
_MARK_SENT = (
    update(POSTS)
    .where(_THIS_POST)
    .values(state="sent", message_ts=bindparam("p_ts"), sent_at=bindparam("p_now"), error=None)
)
_ADVANCE = (
    update(CHANNELS)
    .where(CHANNELS.c.team_id == bindparam("p_team"),
           CHANNELS.c.channel_id == bindparam("p_channel"),
           CHANNELS.c.next_due_at == bindparam("p_due"))
    .values(next_due_at=bindparam("p_next"))
)  # fmt: skip
_HEADER_SENT = (
    update(RUNS)
    .where(RUNS.c.team_id == bindparam("p_team"), RUNS.c.channel_id == bindparam("p_channel"),
           RUNS.c.digest_date == bindparam("p_day"))
    .values(header_state="sent", header_ts=bindparam("p_ts"))
)  # fmt: skip
_MARK_FAILED = update(POSTS).where(_THIS_POST).values(state="failed", error=bindparam("p_error"))
