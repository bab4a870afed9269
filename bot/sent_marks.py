"""Marks of sent digest posts: kept in memory until the database has them (see digests.py).

A post is claimed before it is sent, so a mark that is never written costs only the message
ts (reactions on that message cannot save); a mark that is written late still keeps it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.core.models import RunKey
from bot.storage.repositories import Store
from bot.storage.runs import Marks

log = logging.getLogger(__name__)
WRITE_TRIES = 3  # a bookkeeping write meeting a database error is tried this often in a row
WRITE_BACKOFF = 0.1  # seconds before the second try, doubled after
T = TypeVar("T")


class SentMarks:
    """Marks of sent posts and headers, written a batch at a time (one transaction for many).

    A mark stays in memory until it is written: a batch the database refuses is tried again a
    few times, then waits for the next flush (this tick's or a later one's). A run ends only
    together with its last marks (`ending`). If the process dies first, those posts stay
    `sending`, become `unknown` and are never sent again; only their message ts is lost.
    """

    def __init__(self, store: Store, batch: int = 50, every: float = 0.25) -> None:
        self._store, self._batch, self._every = store, batch, every
        self._posts: dict[tuple[RunKey, str], tuple[str, datetime]] = {}
        self._headers: dict[RunKey, str] = {}
        self._writing: Counter[RunKey] = Counter()  # marks being written, per run
        self._changed = threading.Condition()
        self._flushed = time.monotonic()

    def add(self, key: RunKey, arxiv_id: str, ts: str, now: datetime) -> None:
        with self._changed:
            self._posts[(key, arxiv_id)] = (ts, now)
            due = not self._writing and (
                len(self._posts) >= self._batch or time.monotonic() - self._flushed > self._every
            )
        if due:
            self.flush()

    def add_header(self, key: RunKey, ts: str) -> None:
        with self._changed:
            self._headers[key] = ts

    def flush(self) -> bool:
        """Write every waiting mark; False when the database refused (they wait on)."""
        with self._changed:
            self._flushed = time.monotonic()
            marks = self._take(lambda key: True)
        if not marks.posts and not marks.headers:
            return True
        try:
            retried(lambda: self._store.record_sent(marks))
        except SQLAlchemyError:
            log.error("%d sent marks not written (kept for the next try)", len(marks.posts))
            self._settle(marks, written=False)
            return False
        self._settle(marks, written=True)
        return True

    @contextmanager
    def ending(self, key: RunKey) -> Iterator[Marks]:
        """The run's unwritten marks, for the transaction that ends the run: dropped when the
        block succeeds, kept when it raises. Waits for a flush writing some of them."""
        with self._changed:
            while self._writing[key]:
                self._changed.wait()
            marks = self._take(lambda k: k == key)
        try:
            yield marks
        except BaseException:
            self._settle(marks, written=False)
            raise
        self._settle(marks, written=True)

    def unwritten(self) -> int:
        with self._changed:
            return len(self._posts) + len(self._headers) + self._writing.total()

    def _take(self, wanted: Callable[[RunKey], bool]) -> Marks:
        """Take the wanted runs' marks out to write them (the lock is held)."""
        posts = tuple((k, paper, *v) for (k, paper), v in self._posts.items() if wanted(k))
        headers = tuple((k, ts) for k, ts in self._headers.items() if wanted(k))
        for key, paper, *_ in posts:
            del self._posts[(key, paper)]
            self._writing[key] += 1
        for key, _ in headers:
            del self._headers[key]
            self._writing[key] += 1
        return Marks(posts, headers)

    def _settle(self, marks: Marks, *, written: bool) -> None:
        with self._changed:
            for key, paper, ts, now in marks.posts:
                self._done_writing(key)
                if not written:
                    self._posts.setdefault((key, paper), (ts, now))
            for key, ts in marks.headers:
                self._done_writing(key)
                if not written:
                    self._headers.setdefault(key, ts)
            self._changed.notify_all()

    def _done_writing(self, key: RunKey) -> None:
        self._writing[key] -= 1
        if self._writing[key] <= 0:
            del self._writing[key]


def retried(write: Callable[[], T]) -> T:
    """A bookkeeping write, tried again (short backoff) while the database fails."""
    for attempt in range(1, WRITE_TRIES):
        try:
            return write()
        except SQLAlchemyError as exc:
            log.warning("database write failed (try %d of %d): %s", attempt, WRITE_TRIES,
                        str(exc).splitlines()[0][:200])  # fmt: skip
            time.sleep(WRITE_BACKOFF * 2 ** (attempt - 1))
    return write()
