"""`/papers` text -> a command (pure). Slack markup and oversize input are tamed here."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.services import DEFAULT_LIMIT, MAX_LIMIT

MAX_TOPIC_CHARS = 300

# Words that start subcommands of later features: never searched as a topic.
LATER = {
    "subscribe": "Channel subscriptions",
    "unsubscribe": "Channel subscriptions",
    "schedule": "Digest schedules",
    "size": "Digest sizes",
    "saved": "Reading lists",
    "export": "Reading list export",
}
LATER_ALONE = {"list": "Channel subscriptions", "preview": "Digest previews"}


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
class Later:
    """A subcommand of a feature that is not available yet."""

    feature: str


Command = Help | Search | Invalid | Later

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
    if word in LATER:
        return Later(LATER[word])
    if word in LATER_ALONE and not rest:
        return Later(LATER_ALONE[word])
    return _search(text)


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
