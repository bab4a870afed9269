"""The only code that queries. Each method is one transaction; rows go out as core models."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Table,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.core.models import ChannelDigest, Paper, RunKey
from bot.core.schedule import Schedule
from bot.storage.schema import (
    ChannelRow,
    DigestRunRow,
    PaperRow,
    PostRow,
    SaveRow,
    SubscriptionRow,
    WorkspaceRow,
)

# Core tables for writes: plain DML, without the ORM's per-statement bookkeeping.
CHANNELS = cast(Table, ChannelRow.__table__)
RUNS = cast(Table, DigestRunRow.__table__)
POSTS = cast(Table, PostRow.__table__)
SUBSCRIPTIONS = cast(Table, SubscriptionRow.__table__)
POSTED = ("sending", "sent", "unknown")  # states that count as "already in the channel"
MAX_POST_ATTEMPTS = 5


class Store:
    """Channels, subscriptions, digest runs and posts, scoped by Slack team id."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """An ORM transaction: for reading and writing whole rows."""
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """A Core transaction: the hot paths of digests (claims, marks, leases) use these."""
        with self._engine.begin() as connection:
            yield connection

    def ping(self) -> bool:
        with self._tx() as s:
            return s.execute(select(1)).scalar() == 1

    # -- channels and subscriptions --------------------------------------------------------
    def channel(self, team_id: str, channel_id: str) -> ChannelDigest | None:
        with self._session() as s:
            row = s.get(ChannelRow, (team_id, channel_id))
            return _channel(row, _topics(s, team_id, channel_id)) if row else None

    def subscribe(
        self,
        team_id: str,
        channel_id: str,
        topic: str,
        topic_key: str,
        user_id: str,
        defaults: ChannelDigest,
        now: datetime,
        max_topics: int,
    ) -> tuple[str, ChannelDigest]:
        """Add a topic ('added', 'exists' or 'full'); creates the channel with `defaults`."""
        with self._session() as s:
            insert_ignore(s, ChannelRow, _new_channel_values(defaults, now))  # races settle here
            row = s.get(ChannelRow, (team_id, channel_id), with_for_update=True)
            assert row is not None
            topics = _topics(s, team_id, channel_id)
            keys = set(
                s.scalars(select(SubscriptionRow.topic_key).where(*_of(team_id, channel_id)))
            )
            if topic_key in keys:
                return "exists", _channel(row, topics)
            if len(keys) >= max_topics:
                return "full", _channel(row, topics)
            s.add(
                SubscriptionRow(
                    team_id=team_id,
                    channel_id=channel_id,
                    topic=topic,
                    topic_key=topic_key,
                    created_by=user_id,
                    created_at=now,
                )
            )
            if row.status == "paused":  # someone fixed it (invited the bot) and subscribes again
                row.status, row.status_reason = "active", None
            return "added", _channel(row, (*topics, topic))

    def unsubscribe(self, team_id: str, channel_id: str, topic_key: str | None) -> int:
        """Remove one topic (or all when `topic_key` is None); the channel goes with its last."""
        with self._tx() as s:
            where = [*_of(team_id, channel_id)]
            if topic_key is not None:
                where.append(SubscriptionRow.topic_key == topic_key)
            removed = changed_rows(s, delete(SUBSCRIPTIONS).where(*where))
            remaining = s.scalar(
                select(func.count()).select_from(SubscriptionRow).where(*_of(team_id, channel_id))
            )
            if not remaining:
                s.execute(
                    delete(CHANNELS).where(
                        ChannelRow.team_id == team_id, ChannelRow.channel_id == channel_id
                    )
                )
            return int(removed or 0)

    def update_channel(self, team_id: str, channel_id: str, **values: Any) -> ChannelDigest | None:
        """Change schedule fields (hour, minute, zone, days, next_due_at), size, status..."""
        allowed = {
            "hour",
            "minute",
            "zone",
            "days",
            "next_due_at",
            "size",
            "note_when_empty",
            "status",
            "status_reason",
        }
        assert set(values) <= allowed, set(values) - allowed
        with self._session() as s:
            row = s.get(ChannelRow, (team_id, channel_id), with_for_update=True)
            if row is None:
                return None
            for name, value in values.items():
                setattr(row, name, value)
            return _channel(row, _topics(s, team_id, channel_id))

    def active_topics(self) -> list[str]:
        """Every distinct topic followed by an active channel of an active workspace."""
        query = (
            select(SubscriptionRow.topic)
            .join(ChannelRow, and_(ChannelRow.team_id == SubscriptionRow.team_id,
                                   ChannelRow.channel_id == SubscriptionRow.channel_id))
            .where(ChannelRow.status == "active")
            .distinct()
        )  # fmt: skip
        with self._session() as s:
            return list(s.scalars(query))

    def channels_created_by(self, team_id: str, user_id: str) -> list[ChannelDigest]:
        with self._session() as s:
            rows = s.scalars(
                select(ChannelRow).where(
                    ChannelRow.team_id == team_id, ChannelRow.created_by == user_id
                )
            ).all()
            return [_channel(r, _topics(s, r.team_id, r.channel_id)) for r in rows]

    # -- workspaces --------------------------------------------------------------------------
    def set_workspace_active(
        self, team_id: str, active: bool, reason: str | None, now: datetime
    ) -> None:
        with self._session() as s:
            row = s.get(WorkspaceRow, team_id, with_for_update=True)
            if row is None:
                s.add(
                    WorkspaceRow(
                        team_id=team_id, active=active, inactive_reason=reason, updated_at=now
                    )
                )
            else:
                row.active, row.inactive_reason, row.updated_at = active, reason, now

    def purge_team(self, team_id: str, reason: str, now: datetime) -> dict[str, int]:
        """Delete a workspace's channels, subscriptions, digest runs and posts (an uninstall),
        and mark it inactive. Reading lists are the SaveStore's."""
        counts: dict[str, int] = {}
        with self._tx() as s:
            for name, table in (("posts", POSTS), ("runs", RUNS), ("subscriptions", SUBSCRIPTIONS),
                                ("channels", CHANNELS)):  # fmt: skip
                counts[name] = changed_rows(s, delete(table).where(table.c.team_id == team_id))
        self.set_workspace_active(team_id, False, reason, now)
        return counts

    def uninstalled_before(self, moment: datetime) -> list[str]:
        """Workspaces uninstalled before `moment` (their kept reading lists may go now)."""
        query = select(WorkspaceRow.team_id).where(
            WorkspaceRow.active.is_(False), WorkspaceRow.inactive_reason == "uninstalled",
            WorkspaceRow.updated_at < moment,
        )  # fmt: skip
        with self._session() as s:
            return list(s.scalars(query))

    def stats(self, since: date) -> dict[str, Any]:
        """Counts for operators (`papers-bot stats`): workspaces, channels, subscriptions,
        saves, and posts per day since `since`."""
        with self._session() as s:
            workspaces = dict(s.execute(select(WorkspaceRow.active, func.count())
                                        .group_by(WorkspaceRow.active)).all())  # fmt: skip
            channels = dict(s.execute(select(ChannelRow.status, func.count())
                                      .group_by(ChannelRow.status)).all())  # fmt: skip
            teams = s.scalar(select(func.count(func.distinct(ChannelRow.team_id)))) or 0
            subscriptions = s.scalar(select(func.count()).select_from(SubscriptionRow)) or 0
            saves = s.execute(select(func.count(), func.count(func.distinct(
                SaveRow.team_id + ":" + SaveRow.user_id)))).one()  # fmt: skip
            day = func.date(PostRow.sent_at)
            posts = s.execute(
                select(day, func.count()).where(PostRow.state == "sent",
                                                PostRow.sent_at >= datetime.combine(
                                                    since, datetime.min.time(), UTC))
                .group_by(day).order_by(day)
            ).all()  # fmt: skip
        return {
            "workspaces": {"active": workspaces.get(True, 0), "inactive": workspaces.get(False, 0),
                           "with channels": teams},
            "channels": channels,
            "subscriptions": subscriptions,
            "saves": {"papers": saves[0], "people": saves[1]},
            "posts per day": {str(d): n for d, n in posts},
        }  # fmt: skip

    # -- digest runs -------------------------------------------------------------------------
    def due_channels(self, now: datetime, limit: int = 10_000) -> list[ChannelDigest]:
        """Active channels of active workspaces whose next digest time has come."""
        with self._session() as s:
            inactive = select(WorkspaceRow.team_id).where(WorkspaceRow.active.is_(False))
            rows = s.scalars(
                select(ChannelRow)
                .where(
                    ChannelRow.status == "active",
                    ChannelRow.next_due_at <= now,
                    ChannelRow.team_id.not_in(inactive),
                )
                .order_by(ChannelRow.next_due_at)
                .limit(limit)
            ).all()
            return [_channel(r, ()) for r in rows]

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

        Posts a previous holder left mid-send in those runs are of unknown fate: they are
        marked so and never sent again.
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
                    update(POSTS)
                    .where(PostRow.state == "sending", PostRow.owner != owner, mine)
                    .values(state="unknown")
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

    def finish_run(self, key: RunKey, owner: str, status: str, now: datetime) -> None:
        with self._tx() as s:
            s.execute(
                update(RUNS)
                .where(_run(key), DigestRunRow.owner == owner)
                .values(status=status, finished_at=now, lease_until=None)
            )

    def finish_unless_failed(self, key: RunKey, owner: str, now: datetime) -> bool:
        """Finish the run unless some of its posts failed and may be retried (then False)."""
        with self._tx() as s:
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
        if not sent:
            return
        rows = [{"p_team": k.team_id, "p_channel": k.channel_id, "p_day": k.digest_date,
                 "p_ts": ts} for k, ts in sent]  # fmt: skip
        with self._tx() as s:
            s.execute(_HEADER_SENT, rows)

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
            channel = _channel(row, _topics(s, key.team_id, key.channel_id))  # type: ignore[arg-type]
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
        if not sent:
            return
        rows = [{**_post_key(key, arxiv_id), "p_ts": ts, "p_now": now}
                for key, arxiv_id, ts, now in sent]  # fmt: skip
        with self._tx() as s:
            s.execute(_MARK_SENT, rows)

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
        from bot.storage.papers import upsert_papers  # papers.py imports this module

        with self._tx() as s:
            upsert_papers(s, papers, now)

    def paper(self, arxiv_id: str) -> Paper | None:
        with self._session() as s:
            row = s.get(PaperRow, arxiv_id)
            return paper_from_json(row.data) if row else None


def _of(team_id: str, channel_id: str) -> tuple[Any, ...]:
    return (SubscriptionRow.team_id == team_id, SubscriptionRow.channel_id == channel_id)


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


def _topics(s: Session | Connection, team_id: str, channel_id: str) -> tuple[str, ...]:
    return tuple(
        s.scalars(
            select(SubscriptionRow.topic)
            .where(*_of(team_id, channel_id))
            .order_by(SubscriptionRow.id)
        )
    )


def insert_ignore(s: Session | Connection, model: type[Any], values: Mapping[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted.

    Decided by RETURNING, not rowcount, which psycopg reports as -1 for such inserts.
    """
    table = model.__table__
    bind = s if isinstance(s, Connection) else s.get_bind()
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing()
    key = next(iter(table.primary_key.columns))
    return s.execute(statement.returning(key)).first() is not None


def changed_rows(s: Session | Connection, statement: Any, values: Any = None) -> int:
    """Run an INSERT/UPDATE/DELETE; how many rows it changed."""
    result = cast(CursorResult[Any], s.execute(statement, values))
    return int(result.rowcount)


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


def _new_channel_values(defaults: ChannelDigest, now: datetime) -> dict[str, Any]:
    sched = defaults.schedule
    return {
        "team_id": defaults.team_id, "channel_id": defaults.channel_id, "hour": sched.hour,
        "minute": sched.minute, "zone": sched.zone, "days": sched.days, "size": defaults.size,
        "note_when_empty": defaults.note_when_empty, "status": "active",
        "created_by": defaults.created_by, "created_at": now, "next_due_at": defaults.next_due_at,
    }  # fmt: skip


def _channel(row: ChannelRow, topics: tuple[str, ...]) -> ChannelDigest:
    return ChannelDigest(
        team_id=row.team_id,
        channel_id=row.channel_id,
        schedule=Schedule(hour=row.hour, minute=row.minute, zone=row.zone, days=row.days),
        size=row.size,
        status=row.status,
        created_by=row.created_by,
        next_due_at=row.next_due_at,
        topics=topics,
        note_when_empty=row.note_when_empty,
        status_reason=row.status_reason,
    )


def paper_to_json(paper: Paper) -> dict[str, Any]:
    data = asdict(paper)
    data["published_at"] = paper.published_at.isoformat() if paper.published_at else None
    data["feed_day"] = paper.feed_day.isoformat() if paper.feed_day else None
    return data


def paper_from_json(data: Mapping[str, Any]) -> Paper:
    values = dict(data)
    for name in ("authors", "keywords", "categories"):
        values[name] = tuple(values.get(name) or ())
    if values.get("published_at"):
        values["published_at"] = datetime.fromisoformat(values["published_at"])
    if values.get("feed_day"):
        values["feed_day"] = date.fromisoformat(values["feed_day"])
    known = set(Paper.__dataclass_fields__)
    return Paper(**{k: v for k, v in values.items() if k in known})
