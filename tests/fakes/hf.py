"""A loopback fake of the Hugging Face Daily Papers / Paper Pages API.

Speaks the real wire format (see docs/reference/data_sources.md, section 1):

- ``GET /api/daily_papers?date=YYYY-MM-DD[&limit=N][&p=P][&sort=publishedAt|trending]``
  (also ``week=YYYY-Www`` and ``month=YYYY-MM``) -> JSON array of daily-papers items;
- ``GET /api/papers/search?q=...[&limit=N]`` -> JSON array of items (word-match "search");
- ``GET /api/papers/{arxiv_id}`` -> the flat ``paper`` object, or 404 ``Paper not found``;
- anything else -> 404.

Content comes from the fixture corpus ``tests/data/hf/corpus.json`` (see `load_corpus`). Tests
pick which feed days exist with `FakeHuggingFace.serve_days`, which rewrites each item's
``paper.submittedOnDailyAt`` to the served date.

Faults come from the base class (`FakeServer.inject`) plus the thin helpers `fail`,
`rate_limit`, `bad_json`, `slow` and `truncate`, and the hostile ones: `garbage` (any JSON
value, with an ETag like a real answer), `trickle` (the body a few bytes at a time, optionally
without a Content-Length) and `oversize` (a body of a given size). `BodyFaults` gives the
trickling to any FakeServer (the arXiv fake uses it too).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlencode

from tests.fakes.server import Call, FakeServer, Reply, reason_phrase

Item = dict[str, Any]

CORPUS_PATH = Path(__file__).resolve().parent.parent / "data" / "hf" / "corpus.json"

DAILY_PATH = "/api/daily_papers"
SEARCH_PATH = "/api/papers/search"
PAPER_PREFIX = "/api/papers/"

DAILY_LIMIT_DEFAULT = 50
DAILY_LIMIT_MAX = 100
SEARCH_LIMIT_DEFAULT = 20
SEARCH_LIMIT_MAX = 120

RATE_QUOTA = 500
RATE_WINDOW = 300
RATE_POLICY = f'"fixed window";"api";q={RATE_QUOTA};w={RATE_WINDOW}'

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_WORD_RE = re.compile(r"[a-z0-9]+")
_ARXIV_ID_RE = re.compile(r"^\d{4}\.\d{4,5}$")

_SEARCH_ITEM_KEYS = (
    "paper",
    "publishedAt",
    "title",
    "summary",
    "mediaUrls",
    "thumbnail",
    "numComments",
    "submittedBy",
    "organization",
    "isAuthorParticipating",
)


# --------------------------------------------------------------------------- corpus
@dataclass
class Corpus:
    """The fixture corpus: `days[0]` is the most recent feed day, `days[-1]` the oldest.

    Each day-list is sorted by ``paper.upvotes`` descending. `search` holds older papers that
    were never in Daily Papers (no ``submittedOnDaily*`` fields) and only show up in search.
    """

    days: list[list[Item]]
    search: list[Item] = field(default_factory=list)

    def day_items(self) -> list[Item]:
        return [item for day in self.days for item in day]

    def all_items(self) -> list[Item]:
        return self.day_items() + list(self.search)

    def ids(self) -> list[str]:
        return [str(item["paper"]["id"]) for item in self.all_items()]

    def item(self, arxiv_id: str) -> Item:
        """A deep copy of the item whose ``paper.id`` is `arxiv_id` (KeyError if absent)."""
        for item in self.all_items():
            if item["paper"]["id"] == arxiv_id:
                return copy.deepcopy(item)
        raise KeyError(arxiv_id)

    def day_of(self, arxiv_id: str) -> int | None:
        """Index of the day-list holding `arxiv_id`, or None (search-only or unknown)."""
        for index, day in enumerate(self.days):
            if any(item["paper"]["id"] == arxiv_id for item in day):
                return index
        return None


def load_corpus(path: Path | None = None) -> Corpus:
    """Read the fixture corpus (a fresh deep copy on every call, so tests may mutate it)."""
    data = json.loads((path or CORPUS_PATH).read_text(encoding="utf-8"))
    return Corpus(days=data["days"], search=data.get("search", []))


# --------------------------------------------------------------------------- helpers
def iso_z(moment: datetime) -> str:
    """HF's timestamp form: ``2025-12-10T08:03:11.654Z`` (UTC, milliseconds)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _feed_day(item: Item) -> date | None:
    stamp = item.get("paper", {}).get("submittedOnDailyAt")
    if not isinstance(stamp, str) or len(stamp) < 10:
        return None
    try:
        return date.fromisoformat(stamp[:10])
    except ValueError:
        return None


def _upvotes(item: Item) -> int:
    value = item.get("paper", {}).get("upvotes", 0)
    return value if isinstance(value, int) else 0


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"error": message})


class _BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _int_param(query: dict[str, str], name: str, default: int, lo: int, hi: int | None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _BadRequest("Invalid input: expected number, received NaN") from None
    if value < lo:
        raise _BadRequest(f"Too small: expected number to be >={lo}")
    if hi is not None and value > hi:
        raise _BadRequest(f"Too big: expected number to be <={hi}")
    return value


@dataclass
class _Tweak:
    """A change applied to the *normal* reply of the next `times` matching requests."""

    path: str
    times: int
    apply: Callable[[Reply], Reply]


# --------------------------------------------------------------------------- body faults
@dataclass
class Pacing:
    piece: int  # body bytes per write
    every: float  # seconds between writes
    unsized: bool  # drop Content-Length: the body ends when the connection closes
    headers_sent: bool = False


class BodyFaults:
    """Trickled bodies for a started FakeServer: `pace()` (called by `route`, in the handler's
    thread) marks the reply being built; its socket writer then sends the headers at once and the
    body `piece` bytes every `every` seconds. A client that hangs up ends it quietly."""

    def __init__(self) -> None:
        self._local = threading.local()

    def install(self, fake: FakeServer) -> None:
        server = fake._server
        assert server is not None, "start the fake first"
        base: Any = server.RequestHandlerClass
        faults = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def setup(self) -> None:
                super().setup()
                self.wfile = _PacedWriter(self.wfile, faults, self)

        server.RequestHandlerClass = Handler

    def pace(self, pacing: Pacing | None) -> None:
        self._local.pacing = pacing

    def current(self) -> Pacing | None:
        return getattr(self._local, "pacing", None)


class _PacedWriter:
    def __init__(self, inner: Any, faults: BodyFaults, handler: Any) -> None:
        self._inner, self._faults, self._handler = inner, faults, handler

    def write(self, data: bytes) -> int:
        pacing = self._faults.current()
        if pacing is None:
            try:
                return int(self._inner.write(data))
            except OSError:  # a client that stopped reading (a cap, a deadline) hung up
                self._handler.close_connection = True
                return len(data)
        if not pacing.headers_sent:  # the first write is the status line and headers
            pacing.headers_sent = True
            if pacing.unsized:  # the body then ends when the connection closes
                lines = data.split(b"\r\n")
                kept = [h for h in lines if not h.lower().startswith(b"content-length:")]
                data = b"\r\n".join([kept[0], b"Connection: close", *kept[1:]])
                self._handler.close_connection = True
            return int(self._inner.write(data))
        try:
            for start in range(0, len(data), pacing.piece):
                time.sleep(pacing.every)
                self._inner.write(data[start : start + pacing.piece])
        except OSError:  # the client gave up: that is the point
            pass
        self._faults.pace(None)
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


# --------------------------------------------------------------------------- the fake
class FakeHuggingFace(FakeServer):
    """A loopback Hugging Face papers API serving items from a `Corpus`.

    Typical use::

        with FakeHuggingFace() as hf:
            hf.serve_days([date(2025, 12, 12), date(2025, 12, 11)])
            httpx.get(f"{hf.url}/api/daily_papers", params={"date": "2025-12-12"})
    """

    def __init__(self, corpus: Corpus | None = None) -> None:
        super().__init__()
        self.corpus: Corpus = corpus if corpus is not None else load_corpus()
        self._served: dict[date, list[Item]] = {}
        self._tweaks: list[_Tweak] = []
        self._state_lock = threading.Lock()
        self._window_start = time.monotonic()
        self._api_calls_in_window = 0
        # When set, dates after this day are rejected with 400 like HF does for future dates.
        self.today: date | None = None
        self._body_faults = BodyFaults()
        self._pacings: list[tuple[str, int, Pacing]] = []

    def start(self) -> Self:
        super().start()
        self._body_faults.install(self)
        return self

    # -- content -----------------------------------------------------------
    def serve_days(self, days: Sequence[date], *, shift_published: bool = False) -> None:
        """Serve corpus day-list ``i`` on ``days[i]`` (so ``days[0]`` is the most recent day).

        Each item's ``paper.submittedOnDailyAt`` is rewritten to that date around 08:00 UTC.
        Only ``min(len(days), len(corpus.days))`` days are served; extra dates raise ValueError.
        With `shift_published`, ``paper.publishedAt`` (and the top-level copy) is also moved to
        1-3 days before the feed day, as for fresh arXiv papers.
        """
        if len(days) > len(self.corpus.days):
            raise ValueError(f"corpus has only {len(self.corpus.days)} day-lists")
        for index, day in enumerate(days):
            self.serve(day, self.corpus.days[index], shift_published=shift_published)

    def serve(
        self,
        day: date,
        items: Iterable[Item],
        *,
        rewrite_dates: bool = True,
        shift_published: bool = False,
    ) -> None:
        """Serve explicit `items` (deep-copied) for `day`, replacing what was served there.

        Items are ordered by ``paper.upvotes`` descending, as HF does for ``date=`` queries.
        """
        prepared: list[Item] = []
        for rank, original in enumerate(items):
            item = copy.deepcopy(original)
            paper = item.setdefault("paper", {})
            if rewrite_dates:
                at = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(
                    minutes=(rank * 7) % 60,
                    seconds=(rank * 13) % 60,
                    milliseconds=(rank * 137) % 1000,
                )
                paper["submittedOnDailyAt"] = iso_z(at)
            if shift_published:
                published = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(
                    days=1 + rank % 3
                )
                paper["publishedAt"] = iso_z(published)
                # the top-level copy is the same instant shifted by the US-Eastern offset
                item["publishedAt"] = iso_z(published - timedelta(hours=5))
            prepared.append(item)
        prepared.sort(key=lambda it: -_upvotes(it))
        with self._state_lock:
            self._served[day] = prepared

    def clear_days(self) -> None:
        with self._state_lock:
            self._served.clear()

    def served_dates(self) -> list[date]:
        """Served dates, most recent first."""
        with self._state_lock:
            return sorted(self._served, reverse=True)

    def items_for(self, day: date) -> list[Item]:
        """A deep copy of what ``/api/daily_papers?date=day`` returns (unpaged)."""
        with self._state_lock:
            return copy.deepcopy(self._served.get(day, []))

    def served_items(self) -> list[Item]:
        """Every served item, most recent day first (deep copies)."""
        with self._state_lock:
            return copy.deepcopy(
                [item for day in sorted(self._served, reverse=True) for item in self._served[day]]
            )

    # -- fault helpers -----------------------------------------------------
    def fail(self, status: int = 503, times: int = 1, path: str = DAILY_PATH) -> None:
        """Answer the next `times` requests under `path` with HTTP `status`."""
        self.inject(path, _error(status, reason_phrase(status)), times=times)

    def rate_limit(self, retry_after: int = 7, times: int = 1, path: str = DAILY_PATH) -> None:
        """Answer with 429 plus ``Retry-After`` and IETF-draft ``RateLimit`` headers."""
        reply = Reply(
            429,
            {"error": "Too Many Requests: you have reached your 'api' rate limit."},
            headers={
                "Retry-After": str(retry_after),
                "RateLimit": f'"api";r=0;t={retry_after}',
                "RateLimit-Policy": RATE_POLICY,
            },
        )
        self.inject(path, reply, times=times)

    def bad_json(self, times: int = 1, path: str = DAILY_PATH) -> None:
        """Answer 200 with a JSON content type but a body that is not JSON."""
        reply = Reply(
            200, b"{not json", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        self.inject(path, reply, times=times)

    def slow(self, seconds: float, times: int = 1, path: str = DAILY_PATH) -> None:
        """Delay the next `times` *normal* replies under `path` by `seconds` (content intact)."""

        def delayed(reply: Reply) -> Reply:
            reply.delay = seconds
            return reply

        self._add_tweak(path, times, delayed)

    def truncate(self, at: int | None = None, times: int = 1, path: str = DAILY_PATH) -> None:
        """Cut the next `times` normal replies after `at` body bytes (default: half the body)."""

        def cut(reply: Reply) -> Reply:
            data, _ = reply.encoded()
            reply.truncate_at = len(data) // 2 if at is None else at
            return reply

        self._add_tweak(path, times, cut)

    def garbage(self, value: Any, times: int = 1, path: str = DAILY_PATH) -> None:
        """Answer 200 with `value` as the JSON body (any JSON value: `[]`, an object, items with
        null ids), with a fresh ETag as a real answer would carry."""
        data = value if isinstance(value, bytes) else json.dumps(value).encode()

        def swap(reply: Reply) -> Reply:
            headers = dict(reply.headers)
            headers["ETag"] = 'W/"' + hashlib.sha1(data).hexdigest()[:32] + '"'
            return Reply(200, data, headers=headers)

        self._add_tweak(path, times, swap)

    def oversize(self, size: int, times: int = 1, path: str = DAILY_PATH) -> None:
        """Answer 200 with a JSON list of `size` bytes (padded items), declared in full."""
        item = b'{"paper":{"id":"2501.00001","title":"' + b"x" * 1000 + b'"}}'
        count = max(1, size // (len(item) + 1))
        self.garbage(b"[" + b",".join([item] * count) + b"]", times=times, path=path)

    def trickle(self, piece: int = 1, every: float = 0.5, times: int = 1, *,
                unsized: bool = False, path: str = DAILY_PATH) -> None:  # fmt: skip
        """Send the next `times` bodies under `path` `piece` bytes every `every` seconds (the
        headers at once); with `unsized`, without Content-Length (the close ends the body)."""
        with self._state_lock:
            self._pacings.append((path, times, Pacing(piece, every, unsized)))

    def clear_faults(self) -> None:
        super().clear_faults()
        with self._state_lock:
            self._tweaks.clear()
            self._pacings.clear()

    def reset(self) -> None:
        super().reset()
        with self._state_lock:
            self._tweaks.clear()
            self._pacings.clear()

    def _take_pacing(self, path: str) -> Pacing | None:
        with self._state_lock:
            for index, (prefix, times, pacing) in enumerate(self._pacings):
                if path.startswith(prefix):
                    if times > 1:
                        self._pacings[index] = (prefix, times - 1, pacing)
                    else:
                        del self._pacings[index]
                    return Pacing(pacing.piece, pacing.every, pacing.unsized)
        return None

    def _add_tweak(self, path: str, times: int, apply: Callable[[Reply], Reply]) -> None:
        with self._state_lock:
            self._tweaks.append(_Tweak(path, times, apply))

    def _take_tweak(self, path: str) -> _Tweak | None:
        with self._state_lock:
            for tweak in self._tweaks:
                if path.startswith(tweak.path) and tweak.times > 0:
                    tweak.times -= 1
                    if tweak.times == 0:
                        self._tweaks.remove(tweak)
                    return tweak
        return None

    # -- routing -----------------------------------------------------------
    def route(self, call: Call) -> Reply:
        self._body_faults.pace(self._take_pacing(call.path))
        if call.method not in ("GET", "HEAD"):
            reply = _error(404, "Not Found")
        elif call.path == DAILY_PATH:
            reply = self._daily_papers(call)
        elif call.path == SEARCH_PATH:
            reply = self._search(call)
        elif call.path.startswith(PAPER_PREFIX) and "/" not in call.path[len(PAPER_PREFIX) :]:
            reply = self._paper(call.path[len(PAPER_PREFIX) :])
        else:
            reply = _error(404, "Not Found")
        reply = self._finish(call, reply)
        tweak = self._take_tweak(call.path)
        return tweak.apply(reply) if tweak else reply

    def _finish(self, call: Call, reply: Reply) -> Reply:
        """Add the headers real HF sends on /api/* (content type, ETag, rate limit, CORS)."""
        data, headers = reply.encoded()
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        remaining, reset = self._tick_rate_window()
        headers["RateLimit"] = f'"api";r={remaining};t={reset}'
        headers["RateLimit-Policy"] = RATE_POLICY
        origin = call.headers.get("origin")
        if origin:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Vary"] = "Origin"
        if reply.status == 200:
            etag = 'W/"' + hashlib.sha1(data).hexdigest()[:32] + '"'
            headers["ETag"] = etag
            if call.headers.get("if-none-match") == etag:
                return Reply(304, b"", headers=dict(headers))
        return Reply(reply.status, data, headers=headers, delay=reply.delay)

    def _tick_rate_window(self) -> tuple[int, int]:
        with self._state_lock:
            now = time.monotonic()
            if now - self._window_start >= RATE_WINDOW:
                self._window_start = now
                self._api_calls_in_window = 0
            self._api_calls_in_window += 1
            remaining = max(0, RATE_QUOTA - self._api_calls_in_window)
            reset = max(1, int(RATE_WINDOW - (now - self._window_start)))
        return remaining, reset

    # /api/daily_papers
    def _daily_papers(self, call: Call) -> Reply:
        query = call.query
        try:
            limit = _int_param(query, "limit", DAILY_LIMIT_DEFAULT, 1, DAILY_LIMIT_MAX)
            page = _int_param(query, "p", 0, 0, None)
            sort = query.get("sort", "publishedAt")
            if sort not in ("publishedAt", "trending"):
                raise _BadRequest('Invalid option: expected one of "publishedAt"|"trending"')
            items = self._select_daily(query, sort)
        except _BadRequest as exc:
            return _error(400, exc.message)
        start = page * limit
        chunk = items[start : start + limit]
        headers: dict[str, str] = {}
        if start + limit < len(items):
            next_query = dict(query)
            next_query["p"] = str(page + 1)
            next_query["limit"] = str(limit)
            headers["Link"] = f'<{self.url}{DAILY_PATH}?{urlencode(next_query)}>; rel="next"'
        return Reply(200, chunk, headers=headers)

    def _select_daily(self, query: dict[str, str], sort: str) -> list[Item]:
        with self._state_lock:
            served = {day: list(items) for day, items in self._served.items()}
        if sort == "trending":  # global, star-driven, ignores date/month
            everything = [item for items in served.values() for item in items]
            return sorted(everything, key=lambda it: -int(it["paper"].get("githubStars") or 0))
        if "date" in query:
            day = self._parse_date(query["date"])
            return list(served.get(day, []))
        days: list[date]
        if "week" in query:
            match = _WEEK_RE.match(query["week"])
            if not match:
                raise _BadRequest("Invalid week, expected YYYY-Www")
            try:
                monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            except ValueError:
                raise _BadRequest("Invalid week, expected YYYY-Www") from None
            days = [d for d in served if monday <= d < monday + timedelta(days=7)]
            return sorted((item for d in days for item in served[d]), key=lambda it: -_upvotes(it))
        if "month" in query:
            match = _MONTH_RE.match(query["month"])
            if not match or not 1 <= int(match[2]) <= 12:
                raise _BadRequest("Invalid month, expected YYYY-MM")
            year, month = int(match[1]), int(match[2])
            days = [d for d in served if (d.year, d.month) == (year, month)]
            return sorted((item for d in days for item in served[d]), key=lambda it: -_upvotes(it))
        # no date: newest first
        everything = [item for items in served.values() for item in items]
        return sorted(
            everything, key=lambda it: it["paper"].get("submittedOnDailyAt", ""), reverse=True
        )

    def _parse_date(self, raw: str) -> date:
        if not _DATE_RE.match(raw):
            raise _BadRequest("Invalid date, expected YYYY-MM-DD")
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise _BadRequest("Invalid date, expected YYYY-MM-DD") from None
        if self.today is not None and day > self.today:
            raise _BadRequest("Date cannot be in the future")
        return day

    # /api/papers/search
    def _search(self, call: Call) -> Reply:
        try:
            limit = _int_param(call.query, "limit", SEARCH_LIMIT_DEFAULT, 1, SEARCH_LIMIT_MAX)
        except _BadRequest as exc:
            return _error(400, exc.message)
        q = call.query.get("q", "").strip()
        if not q:
            return _error(400, "Invalid input: expected string, received undefined")
        words = sorted({w for w in _words(q) if len(w) >= 3})
        if not words:
            return Reply(200, [])
        scored: list[tuple[int, int, int, Item]] = []
        for item in self._searchable():
            title_tokens = _words(str(item.get("paper", {}).get("title") or item.get("title")))
            body_tokens = _words(str(item.get("paper", {}).get("summary") or item.get("summary")))
            tokens = set(title_tokens) | set(body_tokens)
            matched = [w for w in words if any(t.startswith(w) for t in tokens)]
            if not matched:
                continue
            in_title = sum(1 for w in matched if any(t.startswith(w) for t in title_tokens))
            scored.append((len(matched), in_title, _upvotes(item), item))
        scored.sort(key=lambda row: (-row[0], -row[1], -row[2], row[3]["paper"]["id"]))
        return Reply(200, [_search_shape(row[3]) for row in scored[:limit]])

    def _searchable(self) -> list[Item]:
        seen: set[str] = set()
        out: list[Item] = []
        for item in self.served_items() + copy.deepcopy(self.corpus.search):
            pid = str(item.get("paper", {}).get("id"))
            if pid not in seen:
                seen.add(pid)
                out.append(item)
        return out

    # /api/papers/{id}
    def _paper(self, arxiv_id: str) -> Reply:
        if not _ARXIV_ID_RE.match(arxiv_id):
            return _error(404, "Paper not found")
        candidates = self.served_items() + copy.deepcopy(self.corpus.all_items())
        for item in candidates:
            paper = item.get("paper", {})
            if paper.get("id") == arxiv_id:
                flat = dict(paper)
                flat.update(
                    linkedModels=[],
                    numTotalModels=0,
                    linkedDatasets=[],
                    numTotalDatasets=0,
                    linkedSpaces=[],
                    numTotalSpaces=0,
                )
                return Reply(200, flat)
        return _error(404, "Paper not found")


def _search_shape(item: Item) -> Item:
    return {key: item[key] for key in _SEARCH_ITEM_KEYS if key in item}


__all__ = [
    "CORPUS_PATH",
    "Corpus",
    "FakeHuggingFace",
    "Item",
    "load_corpus",
]
