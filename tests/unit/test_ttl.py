from bot.ttl import TtlCache


def test_entries_expire_and_the_least_recently_used_go_first() -> None:
    now = [0.0]
    cache = TtlCache[str, int](ttl=10, size=2, clock=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1
    now[0] = 10.0
    assert cache.get("a") is None


def test_remember_keeps_none_and_computes_once() -> None:
    calls: list[str] = []
    cache = TtlCache[str, int | None](ttl=10, size=8, clock=lambda: 0.0)
    for _ in range(3):
        assert cache.remember("missing", lambda: calls.append("x")) is None  # type: ignore[func-returns-value]
    assert calls == ["x"]
    cache.clear()
    cache.remember("missing", lambda: calls.append("y"))  # type: ignore[func-returns-value]
    assert calls == ["x", "y"]
