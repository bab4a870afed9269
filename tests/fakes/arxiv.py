"""A loopback fake of arXiv's RSS announcement feeds (``https://rss.arxiv.org``).

Speaks the real wire format (docs/reference/data_sources.md, section 2.2, and arXiv's own feed
service, arXiv/arxiv-feed):

- ``GET /rss/<query>``, where <query> is one or more archives or categories joined with ``+``
  (``cs.CL``, ``cs``, ``cs.CL+stat.ML``; any case) -> RSS 2.0 with every served item that is in
  any of them, each listed once;
- announce types depend on the request, as on arXiv: an item whose primary category (its first)
  is requested is ``new`` (``replace`` when it is a new version), one that is only cross-listed
  into the request is ``cross`` (``replace-cross``). Items come in that order, like the real feed;
- an unknown archive or subject class -> HTTP 400 whose body is still a valid RSS document: no
  items, channel title ``Feed error for query: ...``, arXiv's message as the description. That is
  what arxiv-feed's serializer returns (and what clients such as zotero-arxiv-daily check for);
  defunct archives (``chao-dyn``) count as unknown here;
- every feed answer carries ``ETag`` (a sha256 of the body, quoted) and ``Last-Modified`` (the
  announcement's midnight, US Eastern); a matching ``If-None-Match`` (or, without one, an
  ``If-Modified-Since`` not older than the content) -> 304 with an empty body;
- anything else -> 404.

Content comes from ``tests/data/arxiv/items.json`` (see `load_fixture` and the README there).
Tests swap it with `FakeArxiv.serve`, and `weekend` serves valid feeds with zero items.

Faults: the thin helpers `fail`, `rate_limit`, `malformed`, `slow` and `truncate` act on the next
``times`` feed requests; `FakeServer.inject` still works but bypasses the byte count.
`requests` and `bytes_served` count what the feed endpoint answered. Hostile answers: `hostile`
(any body, with ETag and Last-Modified like a real answer, e.g. `entity_expansion_feed()` or
`feed_of(45_000)`) and `trickle` (the body a few bytes at a time, optionally unsized).
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from bot.core.categories import ARCHIVES, archive_of, categories_in, normalize_category
from tests.fakes.hf import BodyFaults, Pacing
from tests.fakes.server import Call, FakeServer, Reply, reason_phrase

Item = dict[str, Any]

FIXTURE_PATH = Path(__file__).resolve().parent.parent / "data" / "arxiv" / "items.json"
RSS_PREFIX = "/rss/"
PUBLIC_BASE = "http://rss.arxiv.org"  # the links inside the feed, as in the real documents
RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
EASTERN = ZoneInfo("America/New_York")
_TYPE_ORDER = {"new": 0, "cross": 1, "replace": 2, "replace-cross": 3}
_MALFORMED_BODY = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n<rss version=\"2.0\"><channel>"
    b"<title>cs.AI updates on arXiv.org</title><item><title>Broken <<feed</title></channel>"
)


# --------------------------------------------------------------------------- fixture
@dataclass
class Fixture:
    """The fixture day: `announced` (a weekday) and its items (see tests/data/arxiv/README.md)."""

    announced: date
    items: list[Item]

    def ids(self) -> list[str]:
        return [str(item["id"]) for item in self.items]

    def item(self, arxiv_id: str) -> Item:
        """A deep copy of the item with this id (KeyError if absent)."""
        for item in self.items:
            if item["id"] == arxiv_id:
                return copy.deepcopy(item)
        raise KeyError(arxiv_id)


def load_fixture(path: Path | None = None) -> Fixture:
    """Read the fixture (a fresh copy on every call, so tests may mutate it)."""
    data = json.loads((path or FIXTURE_PATH).read_text(encoding="utf-8"))
    return Fixture(announced=date.fromisoformat(data["announced"]), items=data["items"])


# --------------------------------------------------------------------------- feed rendering
class QueryError(Exception):
    """A feed query arXiv refuses (its message is arxiv-feed's wording)."""


def parse_query(query: str) -> list[str]:
    """'cs.cl+STAT' -> ['cs.CL', 'stat'] (canonical, once each); QueryError when arXiv says no."""
    parts = query.split("+")
    if any(not part.strip() for part in parts):
        raise QueryError(
            f"Invalid archive specification '{query}'. Correct format is one or more archive "
            "names delimited by '+'. Each name can be either of the form 'archive' or "
            "'archive.category'. For example: 'math+cs.CG' (all from math and only "
            "computational geometry from computer science)."
        )
    names: list[str] = []
    for part in (p.strip() for p in parts):
        pieces = part.split(".")
        if len(pieces) > 2:
            raise QueryError(
                f"Bad archive/subject class structure '{part}'. Valid names include an archive, "
                "possibly followed by a single period and subject class."
            )
        archive = pieces[0].lower()
        if archive not in ARCHIVES:
            raise QueryError(
                f"Bad archive '{archive}'. Valid archive names are: {', '.join(ARCHIVES)}."
            )
        name = archive if len(pieces) == 1 else normalize_category(part)
        if name is None or (len(pieces) == 2 and archive_of(name) != archive):
            raise QueryError(
                f"Bad subject class '{pieces[1]}'. Valid subject classes for the archive "
                f"'{archive}' are: {', '.join(categories_in(archive))}."
            )
        if name not in names:
            names.append(name)
    return names


def announce_type(item: Item, requested: Sequence[str]) -> str | None:
    """How arXiv would announce `item` in a feed of `requested`; None when it is not in it."""
    wanted = set(requested)
    categories = [normalize_category(c) or c for c in item["categories"]]

    def inside(cat: str) -> bool:
        return cat in wanted or archive_of(cat) in wanted

    replacement = item.get("kind") == "replace"
    if categories and inside(categories[0]):
        return "replace" if replacement else "new"
    if any(inside(cat) for cat in categories[1:]):
        return "replace-cross" if replacement else "cross"
    return None


def select(items: Iterable[Item], requested: Sequence[str]) -> list[tuple[str, Item]]:
    """The (announce type, item) pairs of a feed: new, cross, replace, replace-cross; each once."""
    chosen: dict[str, tuple[str, Item]] = {}
    for item in items:
        kind = announce_type(item, requested)
        if kind is not None and item["id"] not in chosen:
            chosen[item["id"]] = (kind, item)
    return sorted(chosen.values(), key=lambda pair: _TYPE_ORDER[pair[0]])


def announced_at(day: date) -> datetime:
    """Midnight US Eastern of an announcement day (the feed's pubDate)."""
    return datetime.combine(day, time(0), tzinfo=EASTERN)


def render_feed(names: Sequence[str], day: date, entries: Sequence[tuple[str, Item]]) -> bytes:
    """A feed document exactly in arXiv's RSS 2.0 layout (see tests/data/arxiv/*.xml)."""
    query = "+".join(names)
    midnight = announced_at(day)
    lines = _channel_head(
        title=f"{', '.join(names)} updates on arXiv.org",
        link=f"{PUBLIC_BASE}/rss/{query}",
        description=f"{', '.join(names)} updates on the arXiv.org e-print archive.",
        built=midnight.astimezone(UTC) + timedelta(seconds=3),
        published=midnight,
    )
    lines += ["    <skipDays>", "      <day>Sunday</day>", "      <day>Saturday</day>"]
    lines.append("    </skipDays>")
    for kind, item in entries:
        lines += _item_lines(kind, item, midnight)
    lines += ["  </channel>", "</rss>", ""]
    return "\n".join(lines).encode("utf-8")


def render_error(query: str, message: str, day: date) -> bytes:
    """arXiv's error document for a bad query: a valid, item-less feed that names the error."""
    midnight = announced_at(day)
    lines = _channel_head(
        title=f"Feed error for query: {PUBLIC_BASE}/rss/{query}",
        link=f"{PUBLIC_BASE}/rss/{query}",
        description=message,
        built=midnight.astimezone(UTC) + timedelta(seconds=3),
        published=midnight,
    )
    lines += ["  </channel>", "</rss>", ""]
    return "\n".join(lines).encode("utf-8")


def _channel_head(
    *, title: str, link: str, description: str, built: datetime, published: datetime
) -> list[str]:
    return [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">',
        "  <channel>",
        f"    <title>{escape(title)}</title>",
        f"    <link>{escape(link)}</link>",
        f"    <description>{escape(description)}</description>",
        f'    <atom:link href={quoteattr(link)} rel="self" type="application/rss+xml"/>',
        "    <docs>http://www.rssboard.org/rss-specification</docs>",
        "    <language>en-us</language>",
        f"    <lastBuildDate>{format_datetime(built)}</lastBuildDate>",
        "    <managingEditor>rss-help@arxiv.org</managingEditor>",
        f"    <pubDate>{format_datetime(published)}</pubDate>",
    ]


def _item_lines(kind: str, item: Item, midnight: datetime) -> list[str]:
    full_id = f"{item['id']}v{item.get('version', 1)}"
    description = f"arXiv:{full_id} Announce Type: {kind} \nAbstract: {item.get('abstract', '')}"
    lines = [
        "    <item>",
        f"      <title>{escape(item['title'])}</title>",
        f"      <link>https://arxiv.org/abs/{escape(item['id'])}</link>",
        f"      <description>{escape(description)}</description>",
        f'      <guid isPermaLink="false">oai:arXiv.org:{escape(full_id)}</guid>',
    ]
    lines += [f"      <category>{escape(cat)}</category>" for cat in item["categories"]]
    lines += [
        f"      <pubDate>{format_datetime(midnight)}</pubDate>",
        f"      <arxiv:announce_type>{kind}</arxiv:announce_type>",
        f"      <dc:rights>{escape(item.get('license') or '')}</dc:rights>",
    ]
    if item.get("doi"):
        lines.append(f"      <arxiv:DOI>{escape(item['doi'])}</arxiv:DOI>")
    if item.get("journal_ref"):
        reference = escape(item["journal_ref"])
        lines.append(f"      <arxiv:journal_reference>{reference}</arxiv:journal_reference>")
    creator = item.get("creator") or ", ".join(item.get("authors") or [])
    if creator:
        lines.append(f"      <dc:creator>{escape(creator)}</dc:creator>")
    lines.append("    </item>")
    return lines


def entity_expansion_feed(levels: int = 9) -> bytes:
    """A "billion laughs" feed: nested internal entities that would expand to 10**levels
    copies of "lol" in an item's title and abstract, if a parser expanded them."""
    entities = ['  <!ENTITY lol0 "lol">'] + [
        f'  <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels + 1)
    ]
    top = f"&lol{levels};"
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE rss [\n" + "\n".join(entities)
        + "\n]>\n<rss version=\"2.0\"><channel><title>cs.CL updates on arXiv.org</title>"
        f"<item><title>{top}</title><link>https://arxiv.org/abs/2512.00001</link>"
        f"<description>arXiv:2512.00001v1 Announce Type: new \nAbstract: {top}</description>"
        "<guid isPermaLink=\"false\">oai:arXiv.org:2512.00001v1</guid></item>"
        "</channel></rss>\n"
    ).encode()  # fmt: skip


def feed_of(count: int, day: date = date(2025, 12, 11)) -> bytes:
    """A well-formed feed of `count` minimal new items (ids 2512.00000 upwards)."""
    items = [
        {"id": f"2512.{n:05d}", "title": f"Paper {n}", "categories": ["cs.CL"], "authors": []}
        for n in range(count)
    ]
    return render_feed(["cs.CL"], day, [("new", item) for item in items])


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest() + '"'


def _etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 weak comparison of an ``If-None-Match`` list (or ``*``) with our ETag."""
    tags = [t.strip().removeprefix("W/").strip('"') for t in header.split(",")]
    return "*" in tags or etag.strip('"') in tags


def _not_modified_since(header: str, modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return modified <= since


@dataclass
class _Tweak:
    """A change applied to the reply of the next `times` feed requests."""

    times: int
    apply: Callable[[Reply], Reply]


# --------------------------------------------------------------------------- the fake
class FakeArxiv(FakeServer):
    """A loopback rss.arxiv.org serving fixture items for one announcement day.

    Typical use::

        with FakeArxiv() as arxiv:
            httpx.get(f"{arxiv.url}/rss/cs.CL+cs.LG")
            arxiv.weekend()  # Saturday: valid feeds with zero items
    """

    def __init__(self, fixture: Fixture | None = None) -> None:
        super().__init__()
        fixture = fixture if fixture is not None else load_fixture()
        self._state_lock = threading.Lock()
        self._items: list[Item] = copy.deepcopy(fixture.items)
        self._announced: date = fixture.announced
        self._tweaks: list[_Tweak] = []
        self._bytes_served = 0
        # Set to False to imitate a server (or proxy) that ignores conditional request headers.
        self.honor_conditional = True
        self._body_faults = BodyFaults()
        self._pacings: list[Pacing] = []

    def start(self) -> Self:
        super().start()
        self._body_faults.install(self)
        return self

    # -- content -----------------------------------------------------------
    def serve(self, items: Iterable[Item], announced: date | None = None) -> None:
        """Serve `items` (deep-copied) from now on, optionally as another announcement day."""
        with self._state_lock:
            self._items = copy.deepcopy(list(items))
            if announced is not None:
                self._announced = announced

    def weekend(self, day: date | None = None) -> None:
        """No announcements (Saturday/Sunday): every valid feed is empty but well-formed."""
        self.serve([], announced=day)

    def served_items(self) -> list[Item]:
        with self._state_lock:
            return copy.deepcopy(self._items)

    @property
    def announced(self) -> date:
        with self._state_lock:
            return self._announced

    def feed_body(self, query: str) -> bytes:
        """The exact bytes a 200 for ``/rss/<query>`` carries now (ValueError for a bad query)."""
        try:
            names = parse_query(query)
        except QueryError as exc:
            raise ValueError(str(exc)) from None
        with self._state_lock:
            return render_feed(names, self._announced, select(self._items, names))

    # -- counters ----------------------------------------------------------
    @property
    def requests(self) -> int:
        """How many feed requests arrived (faults and 304s included)."""
        return len(self.calls_to(RSS_PREFIX))

    @property
    def bytes_served(self) -> int:
        """Body bytes the feed endpoint sent (a truncated reply counts what was sent)."""
        with self._state_lock:
            return self._bytes_served

    # -- fault helpers -----------------------------------------------------
    def fail(self, status: int = 503, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next `times` feed requests with HTTP `status` and an HTML error page."""
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        body = f"<html><body><h1>{status} {reason_phrase(status)}</h1></body></html>".encode()
        self._add_tweak(times, lambda _reply: Reply(status, body, headers=dict(headers)))

    def rate_limit(self, retry_after: int = 5, times: int = 1) -> None:
        """Answer 429 Too Many Requests with ``Retry-After: <seconds>``."""
        self.fail(429, times=times, retry_after=retry_after)

    def malformed(self, body: bytes | None = None, times: int = 1) -> None:
        """Answer 200 with an RSS content type but a broken body (default: bad XML, no items)."""
        data = _MALFORMED_BODY if body is None else body
        reply = Reply(200, data, headers={"Content-Type": RSS_CONTENT_TYPE})
        self._add_tweak(times, lambda _reply: copy.deepcopy(reply))

    def slow(self, seconds: float, times: int = 1) -> None:
        """Delay the next `times` replies by `seconds` before anything is sent (content intact)."""

        def delayed(reply: Reply) -> Reply:
            reply.delay = seconds
            return reply

        self._add_tweak(times, delayed)

    def truncate(self, at: int | None = None, times: int = 1, *, declared: bool = True) -> None:
        """Cut the next `times` replies after `at` body bytes (default: half the body).

        With `declared` (the default) ``Content-Length`` still announces the full body and the
        connection closes early. With ``declared=False`` the short body is sent as if complete
        (as a misbehaving proxy would), so only the document itself shows the cut.
        """

        def cut(reply: Reply) -> Reply:
            data, headers = reply.encoded()
            keep = len(data) // 2 if at is None else at
            if declared:
                return Reply(reply.status, data, headers=headers, truncate_at=keep)
            return Reply(reply.status, data[:keep], headers=headers)

        self._add_tweak(times, cut)

    def hostile(self, body: bytes, times: int = 1) -> None:
        """Answer 200 with `body` as the feed, carrying an ETag and Last-Modified of its own as
        a real answer would (so a client that kept them would ask conditionally next time)."""

        def swap(reply: Reply) -> Reply:
            headers = self._headers(body, self.announced)
            return Reply(200, body, headers=headers)

        self._add_tweak(times, swap)

    def trickle(
        self, piece: int = 1, every: float = 0.5, times: int = 1, *, unsized: bool = False
    ) -> None:
        """Send the next `times` feed bodies `piece` bytes every `every` seconds (the headers at
        once); with `unsized`, without Content-Length (the close ends the body)."""
        with self._state_lock:
            self._pacings += [Pacing(piece, every, unsized) for _ in range(times)]

    def clear_faults(self) -> None:
        super().clear_faults()
        with self._state_lock:
            self._tweaks.clear()
            self._pacings.clear()

    def reset(self) -> None:
        """Forget calls, faults and counters (the served content stays)."""
        super().reset()
        with self._state_lock:
            self._tweaks.clear()
            self._pacings.clear()
            self._bytes_served = 0

    def _add_tweak(self, times: int, apply: Callable[[Reply], Reply]) -> None:
        with self._state_lock:
            self._tweaks.append(_Tweak(times, apply))

    def _take_tweak(self) -> _Tweak | None:
        with self._state_lock:
            for tweak in self._tweaks:
                if tweak.times > 0:
                    tweak.times -= 1
                    if tweak.times == 0:
                        self._tweaks.remove(tweak)
                    return tweak
        return None

    # -- routing -----------------------------------------------------------
    def route(self, call: Call) -> Reply:
        with self._state_lock:
            pacing = self._pacings.pop(0) if self._pacings else None
        self._body_faults.pace(pacing)
        if call.method not in ("GET", "HEAD") or not call.path.startswith(RSS_PREFIX):
            return Reply(404, b"Not Found", headers={"Content-Type": "text/plain"})
        reply = self._feed(call, unquote(call.path[len(RSS_PREFIX) :]))
        tweak = self._take_tweak()
        if tweak is not None:
            reply = tweak.apply(reply)
        data, _ = reply.encoded()
        sent = len(data) if reply.truncate_at is None else min(len(data), reply.truncate_at)
        with self._state_lock:
            self._bytes_served += 0 if call.method == "HEAD" else sent
        return reply

    def _feed(self, call: Call, query: str) -> Reply:
        with self._state_lock:
            day, items = self._announced, list(self._items)
        try:
            names = parse_query(query)
        except QueryError as exc:
            body = render_error(query, str(exc), day)
            return Reply(400, body, headers=self._headers(body, day))
        body = render_feed(names, day, select(items, names))
        headers = self._headers(body, day)
        if self.honor_conditional and self._unchanged(call, headers["ETag"], day):
            return Reply(304, b"", headers={k: headers[k] for k in ("ETag", "Last-Modified")})
        return Reply(200, body, headers=headers)

    @staticmethod
    def _headers(body: bytes, day: date) -> dict[str, str]:
        modified = announced_at(day).astimezone(UTC)
        return {
            "Content-Type": RSS_CONTENT_TYPE,
            "ETag": strong_etag(body),
            "Last-Modified": format_datetime(modified, usegmt=True),
        }

    @staticmethod
    def _unchanged(call: Call, etag: str, day: date) -> bool:
        if "if-none-match" in call.headers:  # RFC 9110: it overrides If-Modified-Since
            return _etag_matches(call.headers["if-none-match"], etag)
        since = call.headers.get("if-modified-since")
        return since is not None and _not_modified_since(since, announced_at(day))


__all__ = [
    "FIXTURE_PATH",
    "FakeArxiv",
    "Fixture",
    "Item",
    "QueryError",
    "announce_type",
    "load_fixture",
    "parse_query",
    "render_feed",
    "select",
]
