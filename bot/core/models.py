"""Value objects of the domain: papers and what ranking says about them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core.schedule import Schedule

_ARXIV_ID = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?$", re.I)


def normalize_arxiv_id(raw: str) -> str | None:
    """'arXiv:2502.08640v2' -> '2502.08640'; None when it is not an arXiv id."""
    match = _ARXIV_ID.match(raw.strip())
    return match.group(1).lower() if match else None


@dataclass(frozen=True, slots=True)
class Paper:
    """One research paper as the bot knows it, whatever source it came from."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...] = ()
    abstract: str = ""
    published_at: datetime | None = None
    feed_day: date | None = None  # the Hugging Face Daily Papers day it was listed on
    upvotes: int = 0
    ai_summary: str | None = None
    keywords: tuple[str, ...] = ()
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    num_comments: int = 0
    categories: tuple[str, ...] = ()

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.arxiv_id}"

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"


@dataclass(frozen=True, slots=True)
class Match:
    """Why a paper is about a topic: a relevance score and a short human reason."""

    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Ranked:
    """A paper with its trending score and, for a topic search, why it matched."""

    paper: Paper
    score: float
    match: Match | None = None


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """What `/papers <topic>` shows: trending results, or labelled older matches, plus notes."""

    topic: str
    results: tuple[Ranked, ...]
    older: tuple[
        Ranked, ...
    ] = ()  # not trending: from paper search, shown only when results is empty
    notes: tuple[str, ...] = field(default=())  # e.g. "Hugging Face is unreachable; cached data"
    window_days: int = 7
    hint: str | None = None  # e.g. "that topic has no searchable words"
    sources: tuple[str, ...] = ("Hugging Face Daily Papers",)


@dataclass(frozen=True, slots=True)
class ChannelDigest:
    """A channel's digest settings and the topics it follows ('' = everything)."""

    team_id: str
    channel_id: str
    schedule: Schedule
    size: int
    status: str  # active | paused | inactive
    created_by: str
    next_due_at: datetime
    topics: tuple[str, ...] = ()
    note_when_empty: bool = False
    status_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RunKey:
    """One channel's digest of one local day."""

    team_id: str
    channel_id: str
    digest_date: date


@dataclass(frozen=True, slots=True)
class WindowPapers:
    """Hugging Face papers of a window of feed days, and which days could not be (re)fetched."""

    papers: tuple[Paper, ...]
    failed: tuple[date, ...] = ()  # no data at all for these days: the source failed
    stale: tuple[date, ...] = ()  # older copies served: the refresh is failing

    @property
    def complete(self) -> bool:
        return not self.failed and not self.stale


@dataclass(frozen=True, slots=True)
class CategoryPapers:
    """The latest announcements of arXiv categories, and which ones are missing or old."""

    papers: tuple[Paper, ...] = ()
    failed: tuple[str, ...] = ()  # nothing stored: arXiv failed
    stale: tuple[str, ...] = ()  # an older announcement served: the refresh is failing
