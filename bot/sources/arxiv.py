"""arXiv announcement feeds (RSS at rss.arxiv.org): fetch with httpx, parse pure with feedparser.

One request per feed day is enough (the feeds change once a day, and are empty on weekends), and
arXiv's terms allow at most one request every 3 seconds, one connection at a time.

Hostile feeds: a document with a DTD (`<!DOCTYPE`, `<!ENTITY`: entity expansion, "billion
laughs") is refused before feedparser sees it, as is one with more than `MAX_ITEMS` items; the
client refuses any document feedparser flags (`bozo`), so only well-formed feeds are stored.
"""

from __future__ import annotations

import html
import io
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import quote

import feedparser
import httpx
from feedparser.encodings import convert_to_utf8

from bot.core.categories import normalize_category
from bot.core.models import Paper, normalize_arxiv_id
from bot.sources import MAX_BODY_BYTES, Answer, SourceUnavailable, get_bounded, wait_seconds

log = logging.getLogger(__name__)
SOURCE = "arXiv"
KEPT_TYPES = frozenset({"new", "cross"})  # first announcements: primary here, or cross-listed
REPLACED_TYPES = frozenset({"replace", "replace-cross"})  # new versions of older papers
FEED_ERROR_TITLE = "Feed error for query"  # arXiv's answer to an unknown category (HTTP 400)

_PREFIX = re.compile(r"^\s*arXiv:(\S+)\s+Announce Type:\s*(\S+)\s*(?:Abstract:\s*)?", re.I)
_GUID = re.compile(r"^\s*oai:arXiv\.org:(\S+?)\s*$", re.I)
_ABS_LINK = re.compile(r"arxiv\.org/abs/([^?#\s]+?)/?\s*$", re.I)
_INLINE_TAGS = (
    "a|abbr|b|big|cite|code|del|em|font|i|img|ins|kbd|mark|q|s|small|span|strike|strong|sub|sup"
    "|tt|u|var"
)
_BLOCK_TAGS = "blockquote|br|dd|div|dl|dt|h[1-6]|hr|li|ol|p|pre|table|tbody|td|th|thead|tr|ul"
# Only real tag names followed by space, '/' or '>': TeX such as `$a<b$ and $c>d$` stays text.
_INLINE = re.compile(rf"</?(?:{_INLINE_TAGS})(?=[\s/>])[^<>]*>", re.I)
_BLOCK = re.compile(rf"</?(?:{_BLOCK_TAGS})(?=[\s/>])[^<>]*>", re.I)
_DROPPED = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_AFFILIATION = re.compile(r"\([^()]*\)")
_AUTHOR_SEPARATOR = re.compile(r"\s*[,;]\s*(?:and\s+)?|\s+and\s+", re.I)
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_FEED_ENDS = (b"</rss>", b"</feed>", b"</rdf:RDF>")
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
_ITEM_TAG = re.compile(rb"<(?:\w+:)?(?:item|entry)[\s/>]", re.I)
MAX_ITEMS = 5000  # a whole archive (cs) announces about 2,000 a day, replacements included


@dataclass(frozen=True, slots=True)
class FeedResult:
    """One parsed feed: the new and cross-listed papers, and what was left out and why.

    `malformed` means the body is not an RSS/Atom feed at all, was refused unparsed (a DTD, too
    many items), or feedparser flagged it broken (`bozo`) and no item in it was usable (none
    became a paper or counted as replaced). A broken body that still yields usable items is
    *not* malformed here: feedparser's lenient parser recovered them, with `problem` saying what
    was wrong. The client refuses any body with a `problem` (see `ArxivClient.feed`): only
    well-formed feeds are stored.
    """

    papers: tuple[Paper, ...] = ()
    skipped: int = 0  # items that could not become a paper (no id or title, unknown type)
    replaced: int = 0  # `replace` / `replace-cross` items: new versions, not new papers
    malformed: bool = False
    problem: str | None = None  # feedparser's complaint (bozo), also when it recovered
    error: str | None = None  # arXiv's own "Feed error for query" message (unknown category)
    cross: frozenset[str] = field(default_factory=frozenset)  # ids announced as cross-lists

    def announce_type(self, arxiv_id: str) -> str | None:
        """'new' or 'cross' for a kept paper, None for an id this feed did not keep."""
        if arxiv_id in self.cross:
            return "cross"
        return "new" if any(p.arxiv_id == arxiv_id for p in self.papers) else None


@dataclass(frozen=True, slots=True)
class FeedFetch:
    """One conditional GET of a feed: `result` is None when nothing changed since `etag`."""

    status: Literal["ok", "not_modified"]
    result: FeedResult | None
    etag: str | None
    last_modified: str | None
    bytes: int  # body bytes received


# -- parse (pure) -------------------------------------------------------------
def parse_feed(body: bytes | str) -> FeedResult:
    """An RSS 2.0 (or Atom) announcement feed -> new and cross-listed papers, counts of the rest.

    Zero items (weekends, holidays) is an empty result, not a malformed one. `feed_day` is left
    None: which day a feed stands for is the caller's decision.
    """
    data = body.encode("utf-8") if isinstance(body, str) else body
    refused = _refused(data)
    if refused:
        return FeedResult(malformed=True, problem=refused)
    # Always a stream: given bytes, feedparser first tries them as a file name.
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    problem = _problem(parsed)
    if len(parsed.get("entries") or ()) > MAX_ITEMS:
        return FeedResult(malformed=True, problem=f"over {MAX_ITEMS} items")
    if not parsed.get("version"):
        return FeedResult(malformed=True, problem=problem or "not an RSS or Atom feed")
    channel = parsed.get("feed") or {}
    if _clean(channel.get("title")).startswith(FEED_ERROR_TITLE):
        message = _clean(channel.get("subtitle") or channel.get("description"))
        return FeedResult(problem=problem, error=message or FEED_ERROR_TITLE)
    papers: dict[str, Paper] = {}
    cross: set[str] = set()
    skipped = replaced = 0
    for entry in parsed.get("entries") or []:
        kind = _announce_type(entry)
        if kind in REPLACED_TYPES:
            replaced += 1
            continue
        paper = parse_entry(entry) if kind in KEPT_TYPES else None
        if paper is None:
            skipped += 1
        elif paper.arxiv_id not in papers:  # a combined feed lists a paper once; be sure
            papers[paper.arxiv_id] = paper
            if kind == "cross":
                cross.add(paper.arxiv_id)
    if problem and not papers and not replaced:  # broken, and nothing usable recovered
        return FeedResult(skipped=skipped, malformed=True, problem=problem)
    return FeedResult(
        tuple(papers.values()), skipped, replaced, problem=problem, cross=frozenset(cross)
    )


def _refused(data: bytes) -> str | None:
    """Why a body is refused unparsed: a DTD (in any encoding feedparser would read it in,
    so UTF-16 does not hide one), or more items than `MAX_ITEMS`."""
    scratch: dict[str, Any] = {}
    decoded = convert_to_utf8({}, data, scratch)  # what feedparser parses, as UTF-8
    if _DTD.search(data) or _DTD.search(decoded):
        return "refused a document type declaration (DTD, entities)"
    items = len(_ITEM_TAG.findall(decoded))
    if items > MAX_ITEMS:
        return f"{items} items, over {MAX_ITEMS}"
    return None


def parse_entry(entry: Mapping[str, Any]) -> Paper | None:
    """One feed item -> Paper (whatever its announce type), None without an arXiv id or title."""
    summary = str(entry.get("summary") or "")
    prefix = _PREFIX.match(summary)
    candidates = (
        _group(_GUID, entry.get("id")),
        _group(_ABS_LINK, entry.get("link")),
        prefix.group(1) if prefix else None,
    )
    arxiv_id = next((i for i in map(normalize_arxiv_id, filter(None, candidates)) if i), None)
    title = _clean(entry.get("title"))
    if arxiv_id is None or not title:
        return None
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        authors=_authors(entry),
        abstract=_clean(summary[prefix.end() :] if prefix else summary),
        published_at=_published(entry),
        categories=_categories(entry.get("tags")),
    )


def split_authors(text: str) -> tuple[str, ...]:
    """'A, B, and C' / 'A and B' / 'A' -> names; '(affiliations)' dropped, 'Jr.' stays on."""
    names: list[str] = []
    for part in _AUTHOR_SEPARATOR.split(_AFFILIATION.sub(" ", _clean(text))):
        name = " ".join(part.split())
        if name.lower() in _NAME_SUFFIXES and names:
            names[-1] = f"{names[-1]} {name}"
        elif name:
            names.append(name)
    return tuple(names)


def _announce_type(entry: Mapping[str, Any]) -> str:
    """`arxiv:announce_type`, else the description's prefix; feeds without either are 'new'."""
    kind = str(entry.get("arxiv_announce_type") or "").strip().lower()
    if not kind:
        prefix = _PREFIX.match(str(entry.get("summary") or ""))
        kind = prefix.group(2).lower() if prefix else "new"
    return kind


def _authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    raw = [a.get("name") for a in entry.get("authors") or [] if isinstance(a, Mapping)]
    texts = [t for t in raw if isinstance(t, str)] or [str(entry.get("author") or "")]
    names = [name for text in texts for name in split_authors(text)]
    return tuple(dict.fromkeys(names))


def _categories(tags: Any) -> tuple[str, ...]:
    """`<category>` terms in feed order (the primary first), canonical case, no duplicates."""
    terms = (str(t.get("term") or "").strip() for t in tags or [] if isinstance(t, Mapping))
    return tuple(dict.fromkeys(normalize_category(t) or t for t in terms if t))


def _published(entry: Mapping[str, Any]) -> datetime | None:
    try:
        moment = parsedate_to_datetime(str(entry.get("published") or ""))
    except (TypeError, ValueError, IndexError):
        parsed = entry.get("published_parsed")  # ISO dates (Atom), already in UTC
        if not parsed:
            return None
        year, month, day, hour, minute, second = parsed[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _clean(value: Any) -> str:
    """Text of a feed field: HTML tags dropped, entities unescaped, whitespace collapsed."""
    if not isinstance(value, str):
        return ""
    text = _BLOCK.sub(" ", _INLINE.sub("", _DROPPED.sub(" ", value)))
    text = _BLOCK.sub(" ", _INLINE.sub("", html.unescape(text)))  # tags that were escaped twice
    return " ".join(text.split())


def _group(pattern: re.Pattern[str], value: Any) -> str | None:
    match = pattern.search(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def _problem(parsed: Mapping[str, Any]) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}" if exc is not None else "not well-formed"


# -- fetch (I/O) ------------------------------------------------------------------
class ArxivClient:
    """Reads arXiv's RSS feeds politely; raises SourceUnavailable on any failure.

    At most one request every `min_interval` seconds per client, one at a time across threads:
    a lock is held from the wait through the whole request. `clock` and `sleep` are injectable.
    Every request is bounded (`bot.sources.get_bounded`): `deadline` seconds in all (default:
    the client's timeout) and `max_bytes` of body.
    """

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        min_interval: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        deadline: float | None = None,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._deadline, self._max_bytes = deadline, max_bytes
        self._lock = threading.Lock()
        self._last_request: float | None = None

    def feed(
        self, categories: Sequence[str], etag: str | None = None, modified: str | None = None
    ) -> FeedFetch:
        """Today's announcements in `categories` (one combined feed); conditional on etag/modified.

        A 304, or a 200 carrying the very ETag we sent, is `not_modified` and is not parsed.
        A body that is malformed or flagged by feedparser (`bozo`: not well-formed, cut short),
        refused (a DTD, too many items), an arXiv feed error, or with items of which none is
        usable raises SourceUnavailable. Zero items (a weekend) is an empty result.
        """
        names = [normalize_category(c) or c.strip() for c in categories if c.strip()]
        if not names:
            raise ValueError("at least one arXiv category is needed")
        url = f"{self._base}/rss/{'+'.join(quote(n, safe='.-') for n in dict.fromkeys(names))}"
        headers = {"If-None-Match": etag} if etag else {}
        if modified:
            headers["If-Modified-Since"] = modified
        response = self._get(url, headers)
        sent_back = response.headers.get("etag")
        last_modified = response.headers.get("last-modified") or modified
        size = len(response.content)
        unchanged = response.status_code == 200 and etag is not None and sent_back == etag
        if response.status_code == 304 or unchanged:
            return FeedFetch("not_modified", None, sent_back or etag, last_modified, size)
        _raise_for_status(response)
        result = _checked(response.content)
        log.info(
            "arXiv %s: %d papers (%d cross), %d replaced, %d skipped, %d bytes",
            "+".join(names), len(result.papers), len(result.cross), result.replaced,
            result.skipped, size,
        )  # fmt: skip
        return FeedFetch("ok", result, sent_back, last_modified, size)

    def _get(self, url: str, headers: Mapping[str, str]) -> Answer:
        with self._lock:
            if self._last_request is not None:
                wait = self._last_request + self._min_interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            self._last_request = self._clock()
            return get_bounded(self._http, url, source=SOURCE, headers=headers,
                               deadline=self._deadline, max_bytes=self._max_bytes)  # fmt: skip


def _raise_for_status(response: Answer) -> None:
    status = response.status_code
    if status == 200:
        return
    retry_after = wait_seconds(response.headers.get("retry-after"), response.headers.get("date"))
    if status == 429:
        raise SourceUnavailable(SOURCE, "rate limited (HTTP 429)", retry_after=retry_after)
    error = parse_feed(response.content).error if status == 400 and response.content else None
    reason = f"HTTP {status}: {error[:160]}" if error else f"HTTP {status}"
    raise SourceUnavailable(SOURCE, reason, retry_after=retry_after)


def _checked(body: bytes) -> FeedResult:
    """Parse a 200's body, refusing what is empty, malformed, flagged, an error feed, cut short
    or without one usable item."""
    if not body.strip():
        raise SourceUnavailable(SOURCE, "empty body")  # seen when requests come too fast
    result = parse_feed(body)
    if result.malformed:
        raise SourceUnavailable(SOURCE, f"malformed feed ({result.problem})")
    if result.error:
        raise SourceUnavailable(SOURCE, f"feed error: {result.error[:160]}")
    if result.problem and not body.rstrip().endswith(_FEED_ENDS):
        raise SourceUnavailable(SOURCE, f"truncated body ({len(body)} bytes)")
    if result.problem:
        raise SourceUnavailable(SOURCE, f"not well-formed ({result.problem[:160]})")
    if result.skipped and not result.papers and not result.replaced:
        raise SourceUnavailable(SOURCE, f"no usable paper in {result.skipped} items")
    if result.skipped:
        log.warning("arXiv feed: dropped %d items (no arXiv id or title, unknown type)",
                    result.skipped)  # fmt: skip
    return result
