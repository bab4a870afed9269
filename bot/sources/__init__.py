"""Where papers come from: upstream clients that return `Paper`s and know nothing of Slack."""

from __future__ import annotations


class SourceUnavailable(Exception):
    """An upstream did not give a usable answer (down, slow, rate limited, malformed)."""

    def __init__(self, source: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
        self.retry_after = retry_after
