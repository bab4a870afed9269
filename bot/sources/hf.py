"""Hugging Face Daily Papers and paper search: fetch with httpx, parse pure."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import httpx

from bot.core.models import Paper, normalize_arxiv_id
from bot.sources import SourceUnavailable

log = logging.getLogger(__name__)
SOURCE = "Hugging Face"
_RATE_LIMIT_RESET = re.compile(r"\bt=(\d+)")


# -- parse (pure) -------------------------------------------------------------
def parse_daily(data: Any) -> list[Paper]:
    """A `/api/daily_papers` or `/api/papers/search` answer -> papers; bad items are skipped."""
    if not isinstance(data, list):
        raise ValueError("expected a JSON list of papers")
    papers = []
    for item in data:
        paper = parse_item(item)
        if paper is not None:
            papers.append(paper)
    return papers


def parse_item(item: Any) -> Paper | None:
    """One list item (`{"paper": {...}, ...}`) or a flat paper object -> Paper, or None."""
    if not isinstance(item, Mapping):
        return None
    raw = item.get("paper") if isinstance(item.get("paper"), Mapping) else item
    assert isinstance(raw, Mapping)
    arxiv_id = normalize_arxiv_id(str(raw.get("id") or ""))
    title = _text(raw.get("title") or item.get("title"))
    if arxiv_id is None or not title:
        return None
    stars = raw.get("githubStars")
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        authors=_authors(raw.get("authors")),
        abstract=_text(raw.get("summary") or item.get("summary")),
        published_at=_instant(raw.get("publishedAt")),
        feed_day=_day(raw.get("submittedOnDailyAt")),
        upvotes=_count(raw.get("upvotes")),
        ai_summary=_text(raw.get("ai_summary")) or None,
        keywords=tuple(k for k in (_text(k) for k in _list(raw.get("ai_keywords"))) if k),
        github_repo=_url(raw.get("githubRepo")),
        github_stars=_count(stars) if isinstance(stars, int) else None,
        project_page=_url(raw.get("projectPage")),
        num_comments=_count(item.get("numComments")),
    )


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _url(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _authors(value: Any) -> tuple[str, ...]:
    names = (_text(a.get("name")) for a in _list(value) if isinstance(a, Mapping))
    return tuple(name for name in names if name)


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _day(value: Any) -> date | None:
    instant = _instant(value)
    return instant.date() if instant else None


# -- fetch (I/O) ------------------------------------------------------------------
class HuggingFaceClient:
    """Talks to Hugging Face's Paper Pages API; raises SourceUnavailable on any failure."""

    def __init__(self, http: httpx.Client, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    def daily(self, day: date) -> list[Paper]:
        """The Daily Papers list of one feed day (ordered by upvotes), [] on weekends."""
        fetched = self.daily_fetch(day)
        return list(fetched.papers or ())

    def daily_fetch(self, day: date, etag: str | None = None) -> DailyFetch:
        """Like `daily`, conditional on `etag`: a 304 is `not_modified`, with no papers."""
        headers = {"If-None-Match": etag} if etag else {}
        params: dict[str, str | int] = {"date": day.isoformat(), "limit": 100}
        response = self._request("/api/daily_papers", params, headers)
        size, sent_back = len(response.content), response.headers.get("etag")
        if response.status_code == 304 or (etag is not None and sent_back == etag):
            return DailyFetch("not_modified", None, sent_back or etag, size)
        papers = [_with_day(p, day) for p in parse_daily(_json(response))]
        return DailyFetch("ok", tuple(papers), sent_back, size)

    def search(self, query: str, limit: int = 20) -> list[Paper]:
        """Hugging Face's paper search (any age, not a trending signal)."""
        return parse_daily(self._get("/api/papers/search", {"q": query[:200], "limit": limit}))

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
    ) -> httpx.Response:
        try:
            response = self._http.get(self._base + path, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(SOURCE, f"{type(exc).__name__}") from exc
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


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise SourceUnavailable(SOURCE, "malformed JSON") from exc


def _with_day(paper: Paper, day: date) -> Paper:
    return paper if paper.feed_day == day else replace(paper, feed_day=day)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from `Retry-After` or the IETF `RateLimit: ...;t=N` header."""
    value = response.headers.get("retry-after", "")
    if value.strip().isdigit():
        return float(value)
    match = _RATE_LIMIT_RESET.search(response.headers.get("ratelimit", ""))
    return float(match.group(1)) if match else None
