"""Topic syntax: what a user types after `/papers` -> a structured Topic (pure).

    value alignment               papers about the idea "value alignment"
    "reward hacking"              the exact phrase
    diffusion -physics -"heat equation"   without papers that mention these
    speculative decoding OR early exit    about either
    author:"Yann LeCun"  author:lecun     by an author (any part of the name)
    cat:cs.CL  cat:cs                     in an arXiv category (or a whole archive)
    attention in transformers     two ideas joined by a relation word: both must be there

Words next to each other form one idea, and must stand together in the paper; relation words
("in", "for", "with" ...) join separate ideas, each of which must be present.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.core.text import RELATION_WORDS, STOP_WORDS, fold, stem, words

MAX_TOPIC_CHARS = 200  # the longest topic a channel can store
MAX_KEY_CHARS = 200
MAX_WORDS = 12
MAX_ALTERNATIVES = 6
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_CATEGORY = re.compile(r"^[a-z][a-z-]*(?:\.[a-z][a-z-]*)?$", re.I)
_PIECE = re.compile(r'(-?)(?:(author|au|cat):)?(?:"([^"]*)"?|(\S+))', re.I)

_EMPTY_FILTER = re.compile(r"^(?:author|au|cat):$", re.I)

Phrase = tuple[str, ...]  # stemmed words that must appear in this order, side by side


@dataclass(frozen=True, slots=True)
class Idea:
    """Words that must stand together in a paper (any order, a little slack), or one phrase."""

    words: Phrase
    exact: bool = False  # a quoted phrase: these words, in this order, side by side

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True, slots=True)
class Concept:
    """One alternative of a topic: every idea in it must be in the paper."""

    ideas: tuple[Idea, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: alternatives (OR), and filters that apply to all of them."""

    text: str
    concepts: tuple[Concept, ...] = ()
    excluded: tuple[Phrase, ...] = ()
    authors: tuple[tuple[str, ...], ...] = ()  # each: folded name words that must all match
    categories: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # what was ignored, e.g. an invalid category

    @property
    def is_empty(self) -> bool:
        """True when nothing in the topic can select a paper."""
        return not (self.concepts or self.authors or self.categories)

    @property
    def terms(self) -> tuple[str, ...]:
        """Every stemmed word the topic looks for, in order."""
        seen = [w for c in self.concepts for idea in c.ideas for w in idea.words]
        return tuple(dict.fromkeys(seen))

    @property
    def key(self) -> str:
        """A canonical form: two topics with the same key select the same papers."""
        concepts = sorted(
            " + ".join(
                sorted("=" + i.text if i.exact else " ".join(sorted(i.words)) for i in c.ideas)
            )
            for c in self.concepts
        )
        parts = [" | ".join(concepts)]
        parts += sorted("-" + " ".join(p) for p in self.excluded)
        parts += sorted("author:" + " ".join(a) for a in self.authors)
        parts += sorted("cat:" + c for c in self.categories)
        key = " ".join(p for p in parts if p)
        if len(key) <= MAX_KEY_CHARS:
            return key
        return key[: MAX_KEY_CHARS - 41] + "#" + hashlib.sha1(key.encode()).hexdigest()


def parse_topic(text: str) -> Topic:
    """User text -> Topic. Never raises: what cannot be used is dropped and noted."""
    clean = " ".join(text.translate(_QUOTES).split())[:MAX_TOPIC_CHARS]
    concepts: list[Concept] = []
    current: list[Idea] = []
    loose: list[str] = []
    excluded: list[Phrase] = []
    authors: list[tuple[str, ...]] = []
    categories: list[str] = []
    problems: list[str] = []

    def close_idea() -> None:
        if loose:
            current.append(Idea(tuple(dict.fromkeys(loose))))
            loose.clear()

    def close_concept() -> None:
        close_idea()
        if current:
            concepts.append(Concept(tuple(dict.fromkeys(current))))
            current.clear()

    budget = MAX_WORDS
    for match in _PIECE.finditer(clean):
        negate, field, quoted, bare = match.groups()
        raw = quoted if quoted is not None else bare
        if field is None and _EMPTY_FILTER.match(raw):
            field, raw = raw[:-1], ""
        if field:
            _add_filter(field.lower(), raw, authors, categories, problems)
        elif bare == "OR" or bare == "|":
            close_concept()
        elif negate:
            phrase = tuple(stem(w) for w in words(raw))
            if phrase:
                excluded.append(phrase)
        elif quoted is not None:
            close_idea()
            phrase = tuple(stem(w) for w in words(raw) if _meaningful(w) or w in STOP_WORDS)
            if phrase and budget > 0:
                current.append(Idea(phrase[:budget], exact=len(phrase) > 1))
                budget -= len(phrase)
        else:
            for word in words(raw):
                if word in RELATION_WORDS:
                    close_idea()
                elif _meaningful(word) and budget > 0:
                    loose.append(stem(word))
                    budget -= 1
    close_concept()
    return Topic(
        text=clean,
        concepts=tuple(dict.fromkeys(concepts))[:MAX_ALTERNATIVES],
        excluded=tuple(dict.fromkeys(excluded)),
        authors=tuple(dict.fromkeys(authors)),
        categories=tuple(dict.fromkeys(categories)),
        problems=tuple(problems),
    )


def _meaningful(word: str) -> bool:
    """Stop words and single Latin letters or digits carry no topic."""
    return word not in STOP_WORDS and (len(word) > 1 or not word.isascii())


def _add_filter(
    field: str, raw: str, authors: list[tuple[str, ...]], cats: list[str], problems: list[str]
) -> None:
    if field in {"author", "au"}:
        name = tuple(fold(w) for w in words(raw))
        if name:
            authors.append(name)
        else:
            problems.append("author: needs a name, e.g. author:lecun")
    elif _CATEGORY.match(raw):
        archive, _, sub = raw.partition(".")
        cats.append(
            f"{archive.lower()}.{sub.upper() if len(sub) == 2 else sub}" if sub else archive.lower()
        )
    else:
        problems.append(
            f"`{raw}` is not an arXiv category, e.g. cat:cs.CL"
            if raw
            else "cat: needs an arXiv category, e.g. cat:cs.CL"
        )
