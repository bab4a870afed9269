"""A small thread-safe LRU whose entries expire: the one in-process memo of the bot."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """At most `size` entries, each good for `ttl` seconds of `clock`."""

    def __init__(
        self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        found = self._fresh(key)
        return found[0] if found else None

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = (self._clock(), value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def remember(self, key: K, compute: Callable[[], V]) -> V:
        """The entry for `key` (None included), else `compute()`, kept."""
        found = self._fresh(key)
        if found:
            return found[0]
        value = compute()
        self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def _fresh(self, key: K) -> tuple[V] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or self._clock() - found[0] >= self._ttl:
                return None
            self._items.move_to_end(key)
            return (found[1],)
