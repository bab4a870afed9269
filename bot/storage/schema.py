"""Typed ORM rows. Every row is scoped by Slack team id; uniqueness that matters is a constraint."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class WorkspaceRow(Base):
    """A Slack workspace (team) the bot serves; inactive ones get no digests."""

    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    active: Mapped[bool] = mapped_column(default=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChannelRow(Base):
    """A channel's digest settings and state."""

    __tablename__ = "channels"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[int] = mapped_column(default=9)
    minute: Mapped[int] = mapped_column(default=0)
    zone: Mapped[str] = mapped_column(String(64), default="UTC")
    days: Mapped[str] = mapped_column(String(16), default="weekdays")
    size: Mapped[int] = mapped_column(default=5)
    note_when_empty: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|paused|inactive
    status_reason: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_due_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_channels_due", "status", "next_due_at"),)


class SubscriptionRow(Base):
    """One topic a channel follows ('' = every trending paper)."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(200))
    topic_key: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "topic_key", name="uq_subscription"),
        ForeignKeyConstraint(
            ["team_id", "channel_id"], ["channels.team_id", "channels.channel_id"],
            ondelete="CASCADE",
        ),
    )  # fmt: skip


class DigestRunRow(Base):
    """One channel's digest of one local day: leased by one worker at a time."""

    __tablename__ = "digest_runs"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    digest_date: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|done|skipped
    header_ts: Mapped[str | None] = mapped_column(String(32))
    header_state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_digest_runs_open", "status", "lease_until"),)


class PostRow(Base):
    """A paper posted (or being posted) in a channel: at most one per (team, channel, paper)."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    arxiv_id: Mapped[str] = mapped_column(String(32))
    digest_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))  # sending|sent|failed|unknown
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(64))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    owner: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "arxiv_id", name="uq_post_paper"),
        Index("ix_posts_message", "team_id", "channel_id", "message_ts"),
        Index("ix_posts_run", "team_id", "channel_id", "digest_date"),
    )


class PaperRow(Base):
    """A snapshot of a posted paper, so later features never depend on upstream still having it."""

    __tablename__ = "papers"

    arxiv_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SaveRow(Base):
    """A paper in a person's reading list, with the snapshot it was saved with."""

    __tablename__ = "saves"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    arxiv_id: Mapped[str] = mapped_column(String(32))
    paper: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))  # reaction | button
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "arxiv_id", name="uq_save"),
        Index("ix_saves_list", "team_id", "user_id", "saved_at"),
    )


class ListingRow(Base):
    """A paper listed in a feed on a day: an HF Daily Papers day, or an arXiv category's
    announcement. The paper itself (merged across sources) is in `papers`."""

    __tablename__ = "listings"

    source: Mapped[str] = mapped_column(String(8), primary_key=True)  # hf | arxiv
    feed: Mapped[str] = mapped_column(String(40), primary_key=True)  # 2026-11-27 | cs.CL
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(8), default="")  # arXiv: new | cross

    __table_args__ = (Index("ix_listings_paper", "arxiv_id"),)


class FeedRow(Base):
    """Fetch state of one feed, shared by every process: freshness, validators, backoff."""

    __tablename__ = "feeds"

    source: Mapped[str] = mapped_column(String(8), primary_key=True)
    feed: Mapped[str] = mapped_column(String(40), primary_key=True)
    fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failures: Mapped[int] = mapped_column(default=0)
    settled: Mapped[bool] = mapped_column(default=False)
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(200))
    cycle: Mapped[date | None] = mapped_column(Date)
    requests: Mapped[int] = mapped_column(default=0)
    bytes: Mapped[int] = mapped_column(default=0)
