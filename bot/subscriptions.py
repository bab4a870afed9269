"""Channel subscriptions: what `/papers subscribe|unsubscribe|list|schedule|size|note|preview` do.

Any member of a channel may change its subscriptions (Slack's norm: slash commands work only
where you are a member). Every change is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.digest import MAX_SIZE, digest_days, select
from bot.core.models import ChannelDigest, Ranked
from bot.core.schedule import Schedule, ScheduleError, next_run, parse_schedule, valid_zone
from bot.core.topics import parse_topic
from bot.services import PaperWindow, gather
from bot.storage.repositories import Store

MAX_TOPICS = 25
DEFAULT_SIZE = 5


@dataclass(frozen=True, slots=True)
class Changed:
    """A change was made (or not: `ok` False with `problem` saying why)."""

    ok: bool
    channel: ChannelDigest | None = None
    problem: str | None = None
    detail: str = ""  # e.g. the topic concerned


class SubscriptionService:
    """Channel-level use cases; `zone_of(team, user)` asks Slack for a person's time zone."""

    def __init__(
        self,
        store: Store,
        papers: PaperWindow,
        zone_of: Callable[[str, str], str | None],
        *,
        window_days: int = 7,
    ) -> None:
        self._store, self._papers, self._zone_of = store, papers, zone_of
        self._days = window_days

    def channel(self, team_id: str, channel_id: str) -> ChannelDigest | None:
        return self._store.channel(team_id, channel_id)

    def created_by(self, team_id: str, user_id: str) -> list[ChannelDigest]:
        """The channel digests a person set up (for their App Home)."""
        return self._store.channels_created_by(team_id, user_id)

    def subscribe(
        self, team_id: str, channel_id: str, user_id: str, text: str, now: datetime
    ) -> Changed:
        """Follow `text` ('' = all trending papers). New channels get the subscriber's zone."""
        topic = " ".join(text.split())
        parsed = parse_topic(topic)
        if parsed.problems:
            return Changed(False, problem="bad_filter", detail=parsed.problems[0])
        if topic and parsed.is_empty:
            return Changed(False, problem="no_words", detail=topic)
        key = parsed.key
        defaults = self._store.channel(team_id, channel_id) or self._defaults(
            team_id, channel_id, user_id, now
        )
        outcome, channel = self._store.subscribe(
            team_id, channel_id, topic, key, user_id, defaults, now, MAX_TOPICS
        )
        if outcome == "added":
            return Changed(True, channel, detail=topic)
        return Changed(False, channel, problem=outcome, detail=topic)

    def unsubscribe(self, team_id: str, channel_id: str, text: str | None) -> Changed:
        """Stop following one topic, or all when `text` is None."""
        if text is None:
            removed = self._store.unsubscribe(team_id, channel_id, None)
            return Changed(removed > 0, problem=None if removed else "none")
        key = parse_topic(text).key
        removed = self._store.unsubscribe(team_id, channel_id, key)
        channel = self._store.channel(team_id, channel_id)
        return Changed(removed > 0, channel, None if removed else "unknown", detail=text)

    def set_schedule(self, team_id: str, channel_id: str, text: str, now: datetime) -> Changed:
        channel = self._store.channel(team_id, channel_id)
        if channel is None:
            return Changed(False, problem="not_subscribed")
        try:
            schedule = parse_schedule(text, channel.schedule)
        except ScheduleError as exc:
            return Changed(False, channel, problem="bad_schedule", detail=str(exc))
        updated = self._store.update_channel(
            team_id, channel_id, hour=schedule.hour, minute=schedule.minute, zone=schedule.zone,
            days=schedule.days, next_due_at=next_run(schedule, now),
        )  # fmt: skip
        return Changed(updated is not None, updated)

    def resume(self, team_id: str, channel_id: str, now: datetime) -> Changed:
        """Digests on again from the next scheduled time."""
        channel = self._store.channel(team_id, channel_id)
        if channel is None:
            return Changed(False, problem="not_subscribed")
        updated = self._store.update_channel(
            team_id, channel_id, status="active", status_reason=None,
            next_due_at=next_run(channel.schedule, now),
        )  # fmt: skip
        return Changed(True, updated)

    def set_size(self, team_id: str, channel_id: str, size: int) -> Changed:
        updated = self._store.update_channel(team_id, channel_id, size=max(1, min(size, MAX_SIZE)))
        return Changed(updated is not None, updated, None if updated else "not_subscribed")

    def set_note(self, team_id: str, channel_id: str, on: bool) -> Changed:
        updated = self._store.update_channel(team_id, channel_id, note_when_empty=on)
        return Changed(updated is not None, updated, None if updated else "not_subscribed")

    def preview(self, team_id: str, channel_id: str, now: datetime) -> list[Ranked] | None:
        """What the channel's digest would hold if it went out now (None: no subscription)."""
        channel = self._store.channel(team_id, channel_id)
        if channel is None:
            return None
        parsed = [parse_topic(t) for t in channel.topics if t]
        topics = [] if "" in channel.topics else parsed  # "": every paper, no filter
        got = gather(self._papers, digest_days(now, self._days), parsed)
        posted = self._store.posted_ids(team_id, channel_id)
        return select(got.papers, topics, posted, now, channel.size)

    def _defaults(
        self, team_id: str, channel_id: str, user_id: str, now: datetime
    ) -> ChannelDigest:
        zone = valid_zone(self._zone_of(team_id, user_id)) or "UTC"
        schedule = Schedule(hour=9, minute=0, zone=zone)
        return ChannelDigest(
            team_id=team_id, channel_id=channel_id, schedule=schedule, size=DEFAULT_SIZE,
            status="active", created_by=user_id, next_due_at=next_run(schedule, now),
        )  # fmt: skip
