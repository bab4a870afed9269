"""Reading lists: the only code that queries the saves table. Scoped by team and user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Engine, and_, delete, func, select, update

from bot.core.models import Paper
from bot.storage.repositories import insert_ignore, paper_from_json, paper_to_json
from bot.storage.schema import SaveRow


@dataclass(frozen=True, slots=True)
class Saved:
    """A paper in someone's reading list."""

    paper: Paper
    saved_at: datetime
    read_at: datetime | None = None


class SaveStore:
    """One save per (team, user, paper): the unique constraint settles retries and races."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._engine.begin() as connection:
            yield connection

    def save(self, team_id: str, user_id: str, paper: Paper, source: str, now: datetime) -> bool:
        """True when newly saved; False when it was in the list already."""
        with self._tx() as s:
            return insert_ignore(s, SaveRow, {
                "team_id": team_id, "user_id": user_id, "arxiv_id": paper.arxiv_id,
                "paper": paper_to_json(paper), "source": source, "saved_at": now,
            })  # fmt: skip

    def remove(self, team_id: str, user_id: str, arxiv_id: str) -> bool:
        with self._tx() as s:
            return bool(
                s.execute(delete(SaveRow).where(_mine(team_id, user_id, arxiv_id))).rowcount
            )

    def mark_read(self, team_id: str, user_id: str, arxiv_id: str, now: datetime) -> bool:
        with self._tx() as s:
            result = s.execute(update(SaveRow).where(_mine(team_id, user_id, arxiv_id))
                               .values(read_at=now))  # fmt: skip
            return bool(result.rowcount)

    def list(
        self, team_id: str, user_id: str, *, text: str = "", offset: int = 0, limit: int = 10
    ) -> tuple[list[Saved], int]:
        """The person's saves, unread first then newest first, optionally only those whose
        title, authors, keywords or id contain `text`; and how many match in all."""
        mine = (SaveRow.team_id == team_id, SaveRow.user_id == user_id)
        query = (
            select(SaveRow.paper, SaveRow.saved_at, SaveRow.read_at)
            .where(*mine)
            .order_by(SaveRow.read_at.is_not(None), SaveRow.saved_at.desc(), SaveRow.id.desc())
        )
        if not text:  # the common case: page in the database, decode only that page
            with self._tx() as s:
                total = int(s.scalar(select(func.count()).select_from(SaveRow).where(*mine)) or 0)
                rows = s.execute(query.offset(offset).limit(limit)).all()
            return [Saved(paper_from_json(p), at, read) for p, at, read in rows], total
        with self._tx() as s:
            rows = s.execute(query).all()
        needle = text.lower()
        saved = [Saved(paper_from_json(p), at, read) for p, at, read in rows]
        saved = [item for item in saved if needle in _haystack(item.paper)]
        return saved[offset : offset + limit], len(saved)

    def count(self, team_id: str, user_id: str) -> int:
        with self._tx() as s:
            return int(s.scalar(select(func.count()).select_from(SaveRow).where(
                SaveRow.team_id == team_id, SaveRow.user_id == user_id)) or 0)  # fmt: skip

    def delete_team(self, team_id: str) -> int:
        """Every reading list of a workspace (after an uninstall and its grace period)."""
        with self._tx() as s:
            result = s.execute(delete(SaveRow).where(SaveRow.team_id == team_id))
            return int(result.rowcount or 0)


def _mine(team_id: str, user_id: str, arxiv_id: str) -> ColumnElement[bool]:
    return and_(SaveRow.team_id == team_id, SaveRow.user_id == user_id,
                SaveRow.arxiv_id == arxiv_id)  # fmt: skip


def _haystack(paper: Paper) -> str:
    return " ".join((paper.arxiv_id, paper.title, *paper.authors, *paper.keywords)).lower()
