"""Hugging Face Daily Papers and paper search: fetch with httpx, parse pure."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import httpx

from bot.core.models import Paper, normalize_arxiv_id
from bot.sources import MAX_BODY_BYTES, Answer, SourceUnavailable, get_bounded, wait_seconds

log = logging.getLogger(__name__)
SOURCE = "Hugging Face"
MAX_ITEMS = 2000  # we ask for 100 a day; an answer with more than this is not one to store
MAX_TITLE, MAX_TEXT, MAX_NAMES = 1000, 20_000, 1000  # per field: hostile text is cut here
MAX_COUNT = 10**9  # upvotes, stars, comments
_RATE_LIMIT_RESET = re.compile(r"\bt=(\d+)")


# -- parse (pure) -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DailyAnswer:
    """One parsed Daily Papers (or search) answer: the usable papers, and what was wrong.

    `problem` says why the answer as a whole is unusable (not a list, too many items); items
    that cannot become a paper are `dropped` one by one and counted, never the whole listing.
    """

    papers: tuple[Paper, ...] = ()
    items: int = 0  # items in the answer
    dropped: int = 0  # items that could not become a paper
    problem: str | None = None


def parse_answer(data: Any, max_items: int = MAX_ITEMS) -> DailyAnswer:
    """Any JSON value -> the papers it holds (never raises): a list of items is expected."""
    if not isinstance(data, list):
        return DailyAnswer(problem=f"expected a JSON list of papers, got {_kind(data)}")
    if len(data) > max_items:
        return DailyAnswer(items=len(data), problem=f"{len(data)} items, over {max_items}")
    papers: dict[str, Paper] = {}
    for item in data:
        paper = parse_item(item)
        if paper is not None:
            papers.setdefault(paper.arxiv_id, paper)
    dropped = len(data) - len(papers)
    return DailyAnswer(tuple(papers.values()), len(data), dropped)


def parse_daily(data: Any) -> list[Paper]:
    """A `/api/daily_papers` or `/api/papers/search` answer -> papers; bad items are skipped,
    and an answer that is not a list of items has none (see `parse_answer` for why)."""
    return list(parse_answer(data).papers)


def parse_item(item: Any) -> Paper | None:
    """One list item (`{"paper": {...}, ...}`) or a flat paper object -> Paper, or None when it
    has no arXiv id or title. Never raises: every field is checked for its type."""
    if not isinstance(item, Mapping):
        return None
    nested = item.get("paper")
    raw: Mapping[Any, Any] = nested if isinstance(nested, Mapping) else item
    paper_id = raw.get("id")
    arxiv_id = normalize_arxiv_id(paper_id[:64]) if isinstance(paper_id, str) else None
    title = _text(raw.get("title") or item.get("title"), MAX_TITLE)
    if arxiv_id is None or not title:
        return None
    stars = raw.get("githubStars")
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        authors=_authors(raw.get("authors")),
        abstract=_text(raw.get("summary") or item.get("summary"), MAX_TEXT),
        published_at=_instant(raw.get("publishedAt")),
        feed_day=_day(raw.get("submittedOnDailyAt")),
        upvotes=_count(raw.get("upvotes")),
        ai_summary=_text(raw.get("ai_summary"), MAX_TEXT) or None,
        keywords=_keywords(raw.get("ai_keywords")),
        github_repo=_url(raw.get("githubRepo")),
        github_stars=_count(stars) if isinstance(stars, int) else None,
        project_page=_url(raw.get("projectPage")),
        num_comments=_count(item.get("numComments")),
    )


def _kind(value: Any) -> str:
    names = {dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    """Text with whitespace collapsed, at most `limit` characters (a hostile field is cut)."""
    return " ".join(value[: limit * 2].split())[:limit] if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _count(value: Any) -> int:
    """A non-negative count; anything else (strings, booleans, negatives) is 0, and an absurd
    one is clipped."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return min(value, MAX_COUNT)
    return 0


def _url(value: Any) -> str | None:
    ok = isinstance(value, str) and len(value) <= MAX_TITLE and not any(c.isspace() for c in value)
    return value if ok and value.startswith(("https://", "http://")) else None


def _authors(value: Any) -> tuple[str, ...]:
    names = (_text(a.get("name"), MAX_TITLE) for a in _list(value) if isinstance(a, Mapping))
    return tuple(name for name in names if name)[:MAX_NAMES]


def _keywords(value: Any) -> tuple[str, ...]:
    words = (_text(k, MAX_TITLE) for k in _list(value))
    return tuple(k for k in words if k)[:MAX_NAMES]


def _instant(value: Any) -> datetime | None:
    """An ISO instant, aware (UTC when the answer gives no offset), else None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    instant = _instant(value)
    return instant.date() if instant else None


# -- fetch (I/O) ------------------------------------------------------------------
class HuggingFaceClient:
    """Talks to Hugging Face's Paper Pages API; raises SourceUnavailable on any failure.

    Every request is bounded (`bot.sources.get_bounded`): `deadline` seconds in all (default:
    the client's timeout) and `max_bytes` of body.
    """

    def __init__(
        self, http: httpx.Client, base_url: str, *, deadline: float | None = None,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:  # fmt: skip
        self._http = http
        self._base = base_url.rstrip("/")
        self._deadline, self._max_bytes = deadline, max_bytes

    def daily(self, day: date) -> list[Paper]:
        """The Daily Papers list of one feed day (ordered by upvotes), [] on weekends."""
        fetched = self.daily_fetch(day)
        return list(fetched.papers or ())

    def daily_fetch(self, day: date, etag: str | None = None) -> DailyFetch:
        """Like `daily`, conditional on `etag`: a 304 is `not_modified`, with no papers.

        An answer that is not a list, holds more than `MAX_ITEMS` items, or holds items of
        which none is usable raises SourceUnavailable; `[]` is an empty day (the caller
        decides whether that may replace what it stored).
        """
        headers = {"If-None-Match": etag} if etag else {}
        params: dict[str, str | int] = {"date": day.isoformat(), "limit": 100}
        response = self._request("/api/daily_papers", params, headers)
        size, sent_back = len(response.content), response.headers.get("etag")
        if response.status_code == 304 or (etag is not None and sent_back == etag):
            return DailyFetch("not_modified", None, sent_back or etag, size)
        answer = parse_answer(_json(response))
        if answer.problem:
            raise SourceUnavailable(SOURCE, f"unusable answer ({answer.problem})")
        if answer.dropped:
            log.warning("Hugging Face %s: dropped %d of %d items (no arXiv id or title)",
                        day, answer.dropped, answer.items)  # fmt: skip
        if answer.items and not answer.papers:
            raise SourceUnavailable(SOURCE, f"no usable paper in {answer.items} items")
        papers = [_with_day(p, day) for p in answer.papers]
        return DailyFetch("ok", tuple(papers), sent_back, size)

    def search(self, query: str, limit: int = 20) -> list[Paper]:
        """Hugging Face's paper search (any age, not a trending signal)."""
        answer = parse_answer(self._get("/api/papers/search", {"q": query[:200], "limit": limit}))
        if answer.problem:
            raise SourceUnavailable(SOURCE, f"unusable answer ({answer.problem})")
        return list(answer.papers)

    def paper(self, arxiv_id: str) -> Paper | None:
        """One paper by arXiv id, None when Hugging Face does not know it."""
        try:
            return parse_item(self._get(f"/api/papers/{arxiv_id}", {}))
        except SourceUnavailable as exc:
            if exc.reason == "HTTP 404":
                return None
            raise

    def _get(self, path: str, params: Mapping[str, str | int]) -> Any:
        return _json(self._request(path, params, {}))

    def _request(
        self, path: str, params: Mapping[str, str | int], headers: Mapping[str, str]
    ) -> Answer:
        response = get_bounded(
            self._http, self._base + path, source=SOURCE, params=params, headers=headers,
            deadline=self._deadline, max_bytes=self._max_bytes,
        )  # fmt: skip
        if response.status_code == 429:
            raise SourceUnavailable(SOURCE, "rate limited", retry_after=_retry_after(response))
        if response.status_code not in (200, 304):
            raise SourceUnavailable(SOURCE, f"HTTP {response.status_code}",
                                    retry_after=_retry_after(response))  # fmt: skip
        return response


@dataclass(frozen=True, slots=True)
class DailyFetch:
    """One conditional fetch of a Daily Papers day."""

    status: str  # "ok" | "not_modified"
    papers: tuple[Paper, ...] | None
    etag: str | None
    bytes: int


def _json(response: Answer) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError) as exc:  # RecursionError: [[[[... nested too deep
        raise SourceUnavailable(SOURCE, "malformed JSON") from exc


def _with_day(paper: Paper, day: date) -> Paper:
    return paper if paper.feed_day == day else replace(paper, feed_day=day)


def _retry_after(response: Answer) -> float | None:
    """Seconds to wait from `Retry-After` or the IETF `RateLimit: ...;t=N` header (capped)."""
    hint = wait_seconds(response.headers.get("retry-after"), response.headers.get("date"))
    if hint is not None:
        return hint
    match = _RATE_LIMIT_RESET.search(response.headers.get("ratelimit", "")[:1000])
    return wait_seconds(match.group(1)) if match else None
