"""Queries of channels, their subscriptions, workspaces, and the operators' stats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, select

from bot.core.models import ChannelDigest
from bot.storage.base import (
    CHANNELS,
    POSTS,
    RUNS,
    SUBSCRIPTIONS,
    StoreBase,
    changed_rows,
    channel_digest,
    channel_topics,
    insert_ignore,
    of_channel,
)
from bot.storage.schema import ChannelRow, PostRow, SaveRow, SubscriptionRow, WorkspaceRow


class ChannelQueries(StoreBase):
    """Channels, subscriptions and workspaces, scoped by Slack team id."""

    # -- channels and subscriptions --------------------------------------------------------
    def channel(self, team_id: str, channel_id: str) -> ChannelDigest | None:
        with self._session() as s:
            row = s.get(ChannelRow, (team_id, channel_id))
            return channel_digest(row, channel_topics(s, team_id, channel_id)) if row else None

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
            topics = channel_topics(s, team_id, channel_id)
            keys = set(
                s.scalars(select(SubscriptionRow.topic_key).where(*of_channel(team_id, channel_id)))
            )
            if topic_key in keys:
                return "exists", channel_digest(row, topics)
            if len(keys) >= max_topics:
                return "full", channel_digest(row, topics)
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
            return "added", channel_digest(row, (*topics, topic))

    def unsubscribe(self, team_id: str, channel_id: str, topic_key: str | None) -> int:
        """Remove one topic (or all when `topic_key` is None); the channel goes with its last."""
        with self._tx() as s:
            where = [*of_channel(team_id, channel_id)]
            if topic_key is not None:
                where.append(SubscriptionRow.topic_key == topic_key)
            removed = changed_rows(s, delete(SUBSCRIPTIONS).where(*where))
            remaining = s.scalar(
                select(func.count())
                .select_from(SubscriptionRow)
                .where(*of_channel(team_id, channel_id))
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
            return channel_digest(row, channel_topics(s, team_id, channel_id))

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
            return [channel_digest(r, channel_topics(s, r.team_id, r.channel_id)) for r in rows]

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
            return [channel_digest(r, ()) for r in rows]

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


def _new_channel_values(defaults: ChannelDigest, now: datetime) -> dict[str, Any]:
    sched = defaults.schedule
    return {
        "team_id": defaults.team_id, "channel_id": defaults.channel_id, "hour": sched.hour,
        "minute": sched.minute, "zone": sched.zone, "days": sched.days, "size": defaults.size,
        "note_when_empty": defaults.note_when_empty, "status": "active",
        "created_by": defaults.created_by, "created_at": now, "next_due_at": defaults.next_due_at,
    }  # fmt: skip
