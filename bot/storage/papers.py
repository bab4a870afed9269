"""Papers, their listings and the state of every feed: the only code that queries them.

Every process reads the same data: the worker's refresh job writes what it fetched, web
processes answer `/papers` from here, and a paper listed by both Hugging Face and arXiv is one
row, merged (`bot.core.freshness.merge`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.freshness import FeedState, merge
from bot.core.models import Paper
from bot.storage.repositories import paper_from_json, paper_to_json
from bot.storage.schema import FeedRow, ListingRow, PaperRow

PAPERS = cast(Table, PaperRow.__table__)
LISTINGS = cast(Table, ListingRow.__table__)
FEEDS = cast(Table, FeedRow.__table__)
_STATE_FIELDS = tuple(FeedState.__dataclass_fields__)


class PaperStore:
    """Listings per (source, feed, day), merged papers, and feed state."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record_listing(
        self, source: str, feed: str, day: date, papers: Sequence[Paper], now: datetime,
        kinds: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        """Replace what `feed` lists on `day` with `papers` (in order), merging each paper."""
        with self._engine.begin() as s:
            upsert_papers(s, papers, now)
            s.execute(delete(LISTINGS).where(*_listing(source, feed, day)))
            rows = [
                {"source": source, "feed": feed, "day": day, "arxiv_id": p.arxiv_id,
                 "position": i, "kind": (kinds or {}).get(p.arxiv_id, "")}
                for i, p in enumerate({p.arxiv_id: p for p in papers}.values())
            ]  # fmt: skip
            if rows:
                s.execute(LISTINGS.insert(), rows)

    def listing_size(self, source: str, feed: str, day: date) -> int:
        """How many papers `feed` lists on `day` (what an answer would replace)."""
        query = select(func.count()).select_from(LISTINGS).where(*_listing(source, feed, day))
        with self._engine.connect() as s:
            return int(s.execute(query).scalar_one())

    def listed(self, source: str, feeds: Iterable[str], days: Iterable[date]) -> list[Paper]:
        """The papers `feeds` list on `days`, in listing order, each paper once."""
        feeds, days = list(feeds), list(days)
        if not feeds or not days:
            return []
        query = (
            select(PAPERS.c.data)
            .join(LISTINGS, LISTINGS.c.arxiv_id == PAPERS.c.arxiv_id)
            .where(LISTINGS.c.source == source, LISTINGS.c.feed.in_(feeds),
                   LISTINGS.c.day.in_(days))
            .order_by(LISTINGS.c.day.desc(), LISTINGS.c.feed, LISTINGS.c.position)
        )  # fmt: skip
        with self._engine.connect() as s:
            rows = s.execute(query).scalars().all()
        seen: dict[str, Paper] = {}
        for data in rows:
            paper = paper_from_json(data)
            seen.setdefault(paper.arxiv_id, paper)
        return list(seen.values())

    def latest_days(self, source: str, feeds: Iterable[str], count: int) -> list[date]:
        """The newest `count` days on which any of `feeds` listed something, newest first."""
        query = (
            select(LISTINGS.c.day)
            .where(LISTINGS.c.source == source, LISTINGS.c.feed.in_(list(feeds)))
            .group_by(LISTINGS.c.day)
            .order_by(LISTINGS.c.day.desc())
            .limit(count)
        )
        with self._engine.connect() as s:
            return list(s.execute(query).scalars().all())

    def papers(self, ids: Iterable[str]) -> dict[str, Paper]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        with self._engine.connect() as s:
            rows = s.execute(select(PAPERS.c.data).where(PAPERS.c.arxiv_id.in_(wanted)))
            found = [paper_from_json(data) for data in rows.scalars()]
        return {p.arxiv_id: p for p in found}

    # -- feed state ------------------------------------------------------------------------------
    def feed_state(self, source: str, feed: str) -> FeedState | None:
        with self._engine.connect() as s:
            row = s.execute(select(FEEDS).where(*_feed(source, feed))).mappings().first()
        return _state(row) if row else None

    def feed_states(self, source: str | None = None) -> list[FeedState]:
        query = select(FEEDS).order_by(FEEDS.c.source, FEEDS.c.feed)
        if source is not None:
            query = query.where(FEEDS.c.source == source)
        with self._engine.connect() as s:
            return [_state(row) for row in s.execute(query).mappings()]

    def save_feed_state(self, state: FeedState, requests: int = 0, size: int = 0) -> None:
        """Store `state`, adding `requests` and `size` bytes to the feed's counters."""
        values = asdict(state)
        with self._engine.begin() as s:
            changed = s.execute(
                update(FEEDS).where(*_feed(state.source, state.feed)).values(
                    **values, requests=FEEDS.c.requests + requests, bytes=FEEDS.c.bytes + size
                )
            ).rowcount
            if not changed:
                dialect = postgresql if s.dialect.name == "postgresql" else sqlite
                s.execute(
                    dialect.insert(FEEDS)
                    .values(**values, requests=requests, bytes=size)
                    .on_conflict_do_nothing()
                )

    def traffic(self) -> dict[str, tuple[int, int]]:
        """Requests and bytes fetched so far, per source."""
        query = select(FEEDS.c.source, func.sum(FEEDS.c.requests), func.sum(FEEDS.c.bytes))
        with self._engine.connect() as s:
            rows = s.execute(query.group_by(FEEDS.c.source)).all()
        return {source: (int(n or 0), int(b or 0)) for source, n, b in rows}

    def forget_listings_before(self, source: str, day: date) -> int:
        with self._engine.begin() as s:
            result = s.execute(delete(LISTINGS).where(LISTINGS.c.source == source,
                                                      LISTINGS.c.day < day))  # fmt: skip
            return int(result.rowcount or 0)


def upsert_papers(s: Connection, papers: Sequence[Paper], now: datetime) -> None:
    """Insert new papers and merge listings into known ones (one read, then writes)."""
    unique = {p.arxiv_id: p for p in papers}
    if not unique:
        return
    known = {
        arxiv_id: paper_from_json(data)
        for arxiv_id, data in s.execute(
            select(PAPERS.c.arxiv_id, PAPERS.c.data).where(PAPERS.c.arxiv_id.in_(list(unique)))
        ).all()
    }
    dialect = postgresql if s.dialect.name == "postgresql" else sqlite
    for arxiv_id, paper in unique.items():
        merged = merge(known[arxiv_id], paper) if arxiv_id in known else paper
        data = paper_to_json(merged)
        statement = dialect.insert(PAPERS).values(arxiv_id=arxiv_id, data=data, updated_at=now)
        s.execute(statement.on_conflict_do_update(
            index_elements=[PAPERS.c.arxiv_id], set_={"data": data, "updated_at": now}
        ))  # fmt: skip


def _listing(source: str, feed: str, day: date) -> tuple[Any, ...]:
    return (LISTINGS.c.source == source, LISTINGS.c.feed == feed, LISTINGS.c.day == day)


def _feed(source: str, feed: str) -> tuple[Any, ...]:
    return (FEEDS.c.source == source, FEEDS.c.feed == feed)


def _state(row: Any) -> FeedState:
    return FeedState(**{name: row[name] for name in _STATE_FIELDS})

