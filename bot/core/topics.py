"""Topics: turn user text into terms and decide whether a paper is about them (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.core.models import Match, Paper

# fmt: off
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in",
    "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was",
    "were", "which", "with", "via", "we", "our", "us", "using", "use", "based", "towards",
    "toward", "new", "paper", "papers", "about", "what", "how", "why", "when",
})
# fmt: on
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Field weights: where a word appears says how central it is to the paper.
FIELD_WEIGHTS: dict[str, float] = {"title": 3.0, "keywords": 2.5, "summary": 1.5, "abstract": 1.0}
_CLAUSE_END = re.compile(r"[.!?;:,()\[\]]\s|\n")
_BREAK = "\x00"  # a token that never matches: keeps separate keywords from looking adjacent


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: what the user typed and its content terms (stemmed, in order)."""

    text: str
    terms: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light, predictable English stemmer: align/aligned/alignment/aligning -> align."""
    w = word
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ations", "ation", "ments", "ment", "ingly", "ing", "edly", "ed", "ly"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def tokens(text: str) -> list[str]:
    """Lower-cased, stemmed word tokens of `text` (stop words kept, so adjacency is honest).

    Sentence and clause ends become a break token, so words never stand together across them.
    """
    out: list[str] = []
    for clause in _CLAUSE_END.split(text.lower()):
        out += [stem(w) for w in _WORD.findall(clause)]
        out.append(_BREAK)
    return out[:-1]


def parse_topic(text: str) -> Topic:
    """User text -> Topic; stop words and one-letter words carry no meaning and are dropped."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1]
    terms = tuple(dict.fromkeys(stem(w) for w in words))
    return Topic(text=" ".join(text.split()), terms=terms[:12])


@lru_cache(maxsize=16384)
def paper_fields(paper: Paper) -> dict[str, list[str]]:
    """The token streams of a paper's searchable fields (memoised: papers are immutable).

    Callers must not mutate the result.
    """
    keyword_tokens: list[str] = []
    for keyword in paper.keywords:
        keyword_tokens += [*tokens(keyword), _BREAK]
    return {
        "title": tokens(paper.title),
        "keywords": keyword_tokens,
        "summary": tokens(paper.ai_summary or ""),
        "abstract": tokens(paper.abstract),
    }


@lru_cache(maxsize=16384)
def vocabulary(paper: Paper) -> frozenset[str]:
    """Every token of the paper: a paper lacking any topic term is rejected at once."""
    return frozenset(tok for stream in paper_fields(paper).values() for tok in stream)


def _near(stream: Sequence[str], terms: Sequence[str], slack: int = 2) -> bool:
    """True when all terms occur within a window of len(terms) + slack tokens, any order."""
    if len(terms) == 1:
        return terms[0] in stream
    width = len(terms) + slack
    wanted = set(terms)
    positions = [i for i, tok in enumerate(stream) if tok in wanted]
    return any(wanted <= _until_break(stream[start : start + width]) for start in positions)


def _until_break(window: Sequence[str]) -> set[str]:
    return set(window[: window.index(_BREAK)] if _BREAK in window else window)


def relevance(paper: Paper, topic: Topic) -> Match | None:
    """How much `paper` is about `topic`, or None when it is not.

    A paper is about a topic when all the topic's terms stand together (within a couple of
    words) in one field, or all of them are in the title. A single-word topic must be in the
    title, keywords or summary, or twice in the abstract.
    """
    if topic.is_empty or not vocabulary(paper).issuperset(topic.terms):
        return None
    fields = paper_fields(paper)
    score, best = 0.0, ""
    for name, stream in fields.items():
        weight = FIELD_WEIGHTS[name]
        if _near(stream, topic.terms):
            count = 2 if len(topic.terms) > 1 else min(stream.count(topic.terms[0]), 3)
            gain = weight * count
            if gain > 0 and not best:
                best = name
            score += gain
        else:
            present = sum(term in stream for term in topic.terms)
            score += weight * 0.25 * present / len(topic.terms)
    if not _is_about(fields, topic.terms):
        return None
    if all(term in fields["title"] for term in topic.terms):
        best = "title"
    return Match(score=round(score, 3), reason=_reason(topic, best or "abstract"))


def _is_about(fields: dict[str, list[str]], terms: Sequence[str]) -> bool:
    if len(terms) == 1:
        term = terms[0]
        strong = any(term in fields[name] for name in ("title", "keywords", "summary"))
        return strong or fields["abstract"].count(term) >= 2
    together = any(_near(stream, terms) for stream in fields.values())
    return together or all(term in fields["title"] for term in terms)


def _reason(topic: Topic, field_name: str) -> str:
    where = {"title": "title", "keywords": "keywords", "summary": "summary"}
    return f"matched: {topic.text} in {where.get(field_name, 'abstract')}"


def filter_relevant(papers: Iterable[Paper], topic: Topic) -> list[tuple[Paper, Match]]:
    """The papers about `topic`, each with its match."""
    found = []
    for paper in papers:
        match = relevance(paper, topic)
        if match is not None:
            found.append((paper, match))
    return found
