"""Where papers come from: upstream clients that return `Paper`s and know nothing of Slack.

Every answer is read within bounds (`get_bounded`): one overall deadline per request (not per
read, so a server trickling bytes is cut off), a cap on body bytes (streamed: reading stops past
it), and wait hints (`Retry-After`) parsed without ever raising and capped at `MAX_WAIT`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from bot.core.freshness import BACKOFF_MAX

MAX_BODY_BYTES = 10 * 1024 * 1024  # no upstream answer we use comes near this
MAX_WAIT = BACKOFF_MAX.total_seconds()  # an upstream's wait hint never freezes a feed longer


class SourceUnavailable(Exception):
    """An upstream did not give a usable answer (down, slow, rate limited, malformed)."""

    def __init__(self, source: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer read whole, within the deadline and the byte cap."""

    status_code: int
    headers: httpx.Headers
    content: bytes


def get_bounded(
    http: httpx.Client,
    url: str,
    *,
    source: str,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
    deadline: float | None = None,
    max_bytes: int = MAX_BODY_BYTES,
    clock: Callable[[], float] = time.monotonic,
) -> Answer:
    """GET `url`, streaming the body; SourceUnavailable past `deadline` seconds (all of the
    request, default: the client's read timeout, HTTP_TIMEOUT_SECONDS) or `max_bytes` bytes."""
    limit = default_deadline(http) if deadline is None else deadline
    start = clock()
    try:
        with http.stream("GET", url, params=params, headers=headers) as response:
            declared = response.headers.get("content-length", "").strip()
            if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
                raise SourceUnavailable(source, f"body too large ({declared} bytes declared)")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise SourceUnavailable(source, f"body too large (over {max_bytes} bytes)")
                if limit is not None and clock() - start > limit:
                    raise SourceUnavailable(source, f"timed out (no full answer in {limit:g} s)")
                chunks.append(chunk)
            return Answer(response.status_code, response.headers, b"".join(chunks))
    except httpx.TimeoutException as exc:
        raise SourceUnavailable(source, f"timed out ({type(exc).__name__})") from exc
    except httpx.RemoteProtocolError as exc:
        raise SourceUnavailable(source, f"incomplete response ({exc})") from exc
    except httpx.HTTPError as exc:
        raise SourceUnavailable(source, f"{type(exc).__name__}: {exc}") from exc


def default_deadline(http: httpx.Client) -> float | None:
    """The overall deadline a client's requests get: its read timeout (bootstrap.http_client
    sets it from HTTP_TIMEOUT_SECONDS)."""
    return http.timeout.read


def wait_seconds(value: str | None, date_header: str | None = None) -> float | None:
    """A wait hint (`Retry-After`: delta seconds or an HTTP date) in seconds, at most
    `MAX_WAIT`; None when absent or unreadable. Never raises, whatever the header holds."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return MAX_WAIT if len(text) > 12 else _capped(float(text))
    try:
        when = parsedate_to_datetime(text)
        try:
            now = parsedate_to_datetime(date_header or "")
        except (TypeError, ValueError, IndexError, OverflowError):
            now = datetime.now(UTC)
        when, now = (d if d.tzinfo else d.replace(tzinfo=UTC) for d in (when, now))
        return _capped((when - now).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _capped(seconds: float) -> float:
    if math.isnan(seconds):
        return MAX_WAIT
    return min(max(0.0, seconds), MAX_WAIT)
