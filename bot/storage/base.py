"""What the query modules share: transactions, the Core tables and row helpers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.core.models import ChannelDigest, Paper
from bot.core.schedule import Schedule
from bot.storage.schema import ChannelRow, DigestRunRow, PostRow, SubscriptionRow

# Core tables for writes: plain DML, without the ORM's per-statement bookkeeping.
CHANNELS = cast(Table, ChannelRow.__table__)
RUNS = cast(Table, DigestRunRow.__table__)
POSTS = cast(Table, PostRow.__table__)
SUBSCRIPTIONS = cast(Table, SubscriptionRow.__table__)


class StoreBase:
    """An engine and its two kinds of transaction; the query mixins of `Store` build on it."""

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


def of_channel(team_id: str, channel_id: str) -> tuple[Any, ...]:
    return (SubscriptionRow.team_id == team_id, SubscriptionRow.channel_id == channel_id)


def channel_topics(s: Session | Connection, team_id: str, channel_id: str) -> tuple[str, ...]:
    return tuple(
        s.scalars(
            select(SubscriptionRow.topic)
            .where(*of_channel(team_id, channel_id))
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


def channel_digest(row: ChannelRow, topics: tuple[str, ...]) -> ChannelDigest:
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
