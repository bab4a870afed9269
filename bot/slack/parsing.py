"""`/papers` text -> a command (pure). Slack markup and oversize input are tamed here."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.services import DEFAULT_LIMIT, MAX_LIMIT

MAX_TOPIC_CHARS = 300

MAX_SUBSCRIPTION_CHARS = 200

EXPORT_FORMATS = ("bibtex", "ris", "csv", "markdown")


@dataclass(frozen=True, slots=True)
class Help:
    """Show the grammar."""


@dataclass(frozen=True, slots=True)
class Search:
    """Trending papers about `topic` (all trending papers when it is empty)."""

    topic: str
    limit: int = DEFAULT_LIMIT
    note: str | None = None  # e.g. the limit was capped


@dataclass(frozen=True, slots=True)
class Invalid:
    """The text cannot be understood; `message` says how to fix it."""

    message: str


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Follow a topic in this channel ('' = every trending paper)."""

    topic: str


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """Stop following a topic (None = all of them)."""

    topic: str | None


@dataclass(frozen=True, slots=True)
class ShowChannel:
    """The channel's topics, schedule and next digest."""


@dataclass(frozen=True, slots=True)
class SetSchedule:
    text: str


@dataclass(frozen=True, slots=True)
class SetSize:
    size: int


@dataclass(frozen=True, slots=True)
class PreviewDigest:
    """What the channel's next digest would hold."""


@dataclass(frozen=True, slots=True)
class SavedList:
    """The person's reading list, optionally only papers matching `text`."""

    text: str


@dataclass(frozen=True, slots=True)
class ExportList:
    """The whole reading list as a file in the person's DM."""

    fmt: str = "bibtex"


@dataclass(frozen=True, slots=True)
class Resume:
    """Restart a paused digest (after the bot was invited back)."""


@dataclass(frozen=True, slots=True)
class SetNote:
    """Post a one-line note on days with nothing new (or not)."""

    on: bool


Command = (
    Help
    | Search
    | Invalid
    | Subscribe
    | Unsubscribe
    | ShowChannel
    | SetSchedule
    | SetSize
    | PreviewDigest
    | SetNote
    | Resume
    | SavedList
    | ExportList
)

_USER_OR_SPECIAL = re.compile(r"<[@!][^>]*>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]*)(?:\|([^>]*))?>")
_FORMATTING = re.compile(r"[*~`]|(?<!\w)_|_(?!\w)")
_LIMIT_FLAG = re.compile(r"(?:^|\s)(?:--limit|-n)(?:=|\s+)(\S+)", re.I)
_TRAILING_NUMBER = re.compile(r"^(.*?)\s*\b(\d{1,2})$")


def clean_slack_text(text: str) -> str:
    """Plain words from Slack text: mentions and broadcasts dropped, links to their labels."""
    text = _USER_OR_SPECIAL.sub(" ", text)
    text = _CHANNEL.sub(lambda m: f" {m.group(1) or ''} ", text)
    text = _LINK.sub(lambda m: f" {m.group(2) or m.group(1)} ", text)
    text = html.unescape(text).replace("\u201c", '"').replace("\u201d", '"')
    text = _FORMATTING.sub(" ", text)
    return " ".join(text.split())


def parse_command(raw: str) -> Command:
    """Parse what follows `/papers`."""
    text = clean_slack_text(raw or "")
    first, _, rest = text.partition(" ")
    word = first.lower()
    if word in {"help", "-h", "--help", "?"}:
        return Help()
    if word == "saved":
        return SavedList(rest.strip()[:100])
    if word == "export":
        fmt = {"bib": "bibtex", "md": "markdown"}.get(rest.lower(), rest.lower() or "bibtex")
        if fmt not in EXPORT_FORMATS:
            return Invalid("`/papers export` takes `bibtex` (the default), `ris`, `csv` or "
                           "`markdown`.")  # fmt: skip
        return ExportList(fmt)
    channel_command = _channel_command(word, rest.strip())
    return channel_command if channel_command is not None else _search(text)


def _channel_command(word: str, rest: str) -> Command | None:
    """Subcommands about this channel's digest, or None when `word` starts a topic."""
    if word == "subscribe":
        if len(rest) > MAX_SUBSCRIPTION_CHARS:
            return Invalid(f"A topic can be at most {MAX_SUBSCRIPTION_CHARS} characters.")
        return Subscribe(rest)
    if word == "unsubscribe":
        if not rest:
            return Invalid(
                "Which topic? `/papers unsubscribe value alignment`, or "
                "`/papers unsubscribe all`. `/papers list` shows this channel's topics."
            )
        return Unsubscribe(None if rest.lower() == "all" else rest[:MAX_SUBSCRIPTION_CHARS])
    if word == "schedule":
        return SetSchedule(rest)
    if word == "size":
        if not rest.isdigit() or not 1 <= int(rest) <= MAX_LIMIT:
            return Invalid(
                f"`/papers size` takes a number from 1 to {MAX_LIMIT}, like `/papers size 5`."
            )
        return SetSize(int(rest))
    if word == "note":
        if rest.lower() not in {"on", "off"}:
            return Invalid(
                "`/papers note on` posts a one-line note on days with nothing new; "
                "`/papers note off` (the default) stays quiet."
            )
        return SetNote(rest.lower() == "on")
    if word == "list" and not rest:
        return ShowChannel()
    if word == "preview" and not rest:
        return PreviewDigest()
    if word == "resume" and not rest:
        return Resume()
    return None


def _search(text: str) -> Command:
    limit, note = DEFAULT_LIMIT, None
    flag = _LIMIT_FLAG.search(text)
    if flag:
        value = flag.group(1)
        if not value.isdigit() or int(value) < 1:
            return Invalid(f"`--limit` takes a number from 1 to {MAX_LIMIT}, like `--limit 3`.")
        limit = int(value)
        text = (text[: flag.start()] + " " + text[flag.end() :]).strip()
    else:
        trailing = _TRAILING_NUMBER.match(text)
        if trailing and 1 <= int(trailing.group(2)) <= MAX_LIMIT:
            text, limit = trailing.group(1), int(trailing.group(2))
    if limit > MAX_LIMIT:
        limit, note = MAX_LIMIT, f"Showing at most {MAX_LIMIT} papers."
    topic = " ".join(text.split())
    if len(topic) > MAX_TOPIC_CHARS:
        topic = topic[:MAX_TOPIC_CHARS].rsplit(" ", 1)[0]
        note = f"Your topic was long, so only its first {MAX_TOPIC_CHARS} characters were used."
    return Search(topic=topic, limit=limit, note=note)
