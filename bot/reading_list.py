"""Reading lists: save papers by reaction or button, browse, remove, mark read.

A reading list is only ever shown to its owner; every query is scoped by team and user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.cite import FORMATS, RENDERERS
from bot.core.models import Paper
from bot.storage.repositories import Store
from bot.storage.saves import Saved, SaveStore

PAGE = 10


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """What a save, unsave or reaction did: 'saved', 'already', 'removed', 'not_saved' or
    'gone' (the paper cannot be found any more)."""

    what: str
    paper: Paper | None = None


class ReadingListService:
    def __init__(
        self,
        saves: SaveStore,
        store: Store,
        find: Callable[[str], Paper | None],
        save_emoji: frozenset[str],
    ) -> None:
        self._saves, self._store, self._find, self._emoji = saves, store, find, save_emoji

    def on_reaction(
        self, team_id: str, user_id: str, channel_id: str, ts: str, reaction: str, added: bool,
        now: datetime,
    ) -> SaveOutcome | None:  # fmt: skip
        """A reaction on a message: None unless it is a save emoji on a paper the bot posted
        (which costs one indexed lookup and no Web API call)."""
        if reaction.split("::")[0] not in self._emoji:
            return None
        arxiv_id = self._store.paper_of_message(team_id, channel_id, ts)
        if arxiv_id is None:
            return None
        if not added:
            return self.unsave(team_id, user_id, arxiv_id)
        return self.save(team_id, user_id, arxiv_id, "reaction", now)

    def shared(self, team_id: str, channel_id: str, paper: Paper, ts: str, now: datetime) -> None:
        """A person shared a paper into a channel: reactions on that message save it too."""
        self._store.record_shared(team_id, channel_id, paper, ts, now)

    def save(
        self, team_id: str, user_id: str, arxiv_id: str, source: str, now: datetime
    ) -> SaveOutcome:
        """Save a paper with the newest snapshot we have (kept even if upstream drops it)."""
        paper = self._store.paper(arxiv_id) or self._find(arxiv_id)
        if paper is None:
            return SaveOutcome("gone")
        new = self._saves.save(team_id, user_id, paper, source, now)
        return SaveOutcome("saved" if new else "already", paper)

    def unsave(self, team_id: str, user_id: str, arxiv_id: str) -> SaveOutcome:
        removed = self._saves.remove(team_id, user_id, arxiv_id)
        return SaveOutcome("removed" if removed else "not_saved")

    def mark_read(self, team_id: str, user_id: str, arxiv_id: str, now: datetime) -> bool:
        return self._saves.mark_read(team_id, user_id, arxiv_id, now)

    def page(
        self, team_id: str, user_id: str, text: str, page: int, size: int = PAGE
    ) -> tuple[list[Saved], int]:
        """One page of the person's list (unread first, newest first) and the total."""
        return self._saves.list(team_id, user_id, text=text, offset=page * size, limit=size)

    def export(self, team_id: str, user_id: str, fmt: str) -> tuple[str, str, int] | None:
        """(file name, content, count) of the whole list in `fmt`; None when it is empty."""
        items, total = self._saves.list(team_id, user_id, limit=1_000_000)
        if not total:
            return None
        content = RENDERERS[fmt]([item.paper for item in items])
        return f"reading-list.{FORMATS[fmt]}", content, total
