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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.core.categories import normalize_category, suggest
from bot.core.text import (
    ACRONYMS,
    GENERIC_WORDS,
    RELATION_WORDS,
    STOP_WORDS,
    fold,
    stem,
    words,
)
from bot.core.thesaurus import NARROWER, SYNONYMS

MAX_TOPIC_CHARS = 200  # the longest topic a channel can store
MAX_KEY_CHARS = 200
MAX_WORDS = 12
MAX_ALTERNATIVES = 6
MAX_FIELD_TERMS = 40
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
TAXONOMY_URL = "https://arxiv.org/category_taxonomy"
_PIECE = re.compile(r'(-?)(?:(author|au|cat):)?(?:"([^"]*)"?|(\S+))', re.I)

_GENERIC = frozenset(stem(w) for w in GENERIC_WORDS)
_EMPTY_FILTER = re.compile(r"^(?:author|au|cat):$", re.I)

Phrase = tuple[str, ...]  # stemmed words that must appear in this order, side by side


@dataclass(frozen=True, slots=True)
class Idea:
    """Words that must stand together in a paper (any order, a little slack), or one phrase."""

    words: Phrase
    exact: bool = False  # a quoted phrase: these words, in this order, side by side
    core: Phrase = ()  # the words that must be there: `words` without generic head nouns
    label: str = ""  # how to name it to the user
    core_set: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        return " ".join(self.words)


def make_idea(raw_words: Sequence[str], exact: bool = False, strict: bool = False) -> Idea:
    """An idea from folded words: stemmed, deduplicated, with its core and label.

    Generic head nouns are optional in the core unless `strict` (the thesaurus' terms:
    "consistency model" must not become "consistency").
    """
    stems = tuple(stem(w) for w in raw_words)
    if not exact:
        stems = tuple(dict.fromkeys(stems))
    optional = () if exact or strict else _GENERIC
    core = tuple(s for s in stems if s not in optional) or stems
    label = " ".join(raw_words)
    return Idea(stems, exact and len(stems) > 1, core, label, frozenset(core))


@dataclass(frozen=True, slots=True)
class Concept:
    """One alternative of a topic: every idea in it must be in the paper."""

    ideas: tuple[Idea, ...]
    via: str = ""  # set when this is the field's term for the user's idea `via`
    needed: frozenset[str] = frozenset()  # every word a paper must have (see `make_concept`)


def make_concept(ideas: Sequence[Idea], via: str = "") -> Concept:
    """The ideas, and the words a paper must have: their cores without stop words (a quoted
    phrase keeps its stop words for their places, but papers keep no positions for them)."""
    ideas = tuple(dict.fromkeys(ideas))
    needed = frozenset(w for idea in ideas for w in idea.core if w not in STOP_WORDS)
    return Concept(ideas, via, needed or frozenset(w for idea in ideas for w in idea.core))


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: alternatives (OR), and filters that apply to all of them."""

    text: str
    concepts: tuple[Concept, ...] = ()
    excluded: tuple[Phrase, ...] = ()
    authors: tuple[tuple[str, ...], ...] = ()  # each: folded name words that must all match
    categories: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # what was ignored, e.g. an invalid category
    # Derived by `parse_topic`, kept for speed: the user's own stemmed words, and one word of
    # each alternative (a paper with none of them matches no alternative).
    own_words: frozenset[str] = frozenset()
    anchors: frozenset[str] = frozenset()

    @property
    def plain(self) -> str:
        """The topic's own words, without syntax (for a plain-text search elsewhere)."""
        return " ".join(i.label for c in self.concepts if not c.via for i in c.ideas)

    @property
    def is_empty(self) -> bool:
        """True when nothing in the topic can select a paper."""
        return not (self.concepts or self.authors or self.categories)

    @property
    def terms(self) -> tuple[str, ...]:
        """Every stemmed word the topic looks for, in order."""
        seen = [w for c in self.concepts for idea in c.ideas for w in idea.words if not c.via]
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
            current.append(make_idea(list(dict.fromkeys(loose))))
            loose.clear()

    def close_concept() -> None:
        close_idea()
        if current:
            concepts.append(make_concept(current))
            current.clear()

    budget = MAX_WORDS
    for match in _PIECE.finditer(clean):
        negate, field, quoted, bare = match.groups()
        raw = quoted if quoted is not None else bare
        if field is None and _EMPTY_FILTER.match(raw):
            field, raw = raw[:-1], ""
        if field:
            _add_filter(field.lower(), raw, authors, categories, problems)
        elif bare in {"OR", "|"}:
            close_concept()
        elif negate:
            phrase = tuple(stem(w) for w in words(raw))
            if phrase:
                excluded.append(phrase)
        elif quoted is not None:
            close_idea()
            kept = STOP_WORDS | FILLERS  # in quotes every word counts
            quoted_words = [w for w in words(raw) if _meaningful(w) or w in kept][:budget]
            if quoted_words:
                current.append(make_idea(quoted_words, exact=True))
                budget -= len(quoted_words)
        else:
            hyphenated = "-" in raw.strip("-")  # "in-context": one word, never split
            for word in words(raw):
                if word in RELATION_WORDS and not hyphenated:
                    close_idea()
                elif _meaningful(word) and budget > 0:
                    loose.append(word)
                    budget -= 1
    close_concept()
    mine = tuple(dict.fromkeys(concepts))[:MAX_ALTERNATIVES]
    every = mine + _field_terms(mine)
    return Topic(
        text=clean,
        concepts=every,
        own_words=frozenset(w for c in mine for w in c.needed),
        anchors=frozenset(min(c.needed) for c in every if c.needed),
        excluded=tuple(dict.fromkeys(excluded)),
        authors=tuple(dict.fromkeys(authors)),
        categories=tuple(dict.fromkeys(categories)),
        problems=tuple(problems),
    )


def _field_terms(concepts: Sequence[Concept]) -> tuple[Concept, ...]:
    """More alternatives: each idea replaced by the field's own terms for it (thesaurus)."""
    out: list[Concept] = []
    for concept in concepts:
        for i, idea in enumerate(concept.ideas):
            if idea.exact:
                continue
            for term in related_terms(idea.core):
                ideas = (*concept.ideas[:i], term, *concept.ideas[i + 1 :])
                out.append(make_concept(ideas, via=idea.label))
    # one-word terms first: they are the cheapest to score, and a good match among them lets
    # relevance skip longer terms that cannot beat it
    ordered = sorted(dict.fromkeys(out), key=lambda c: len(c.needed))
    return tuple(ordered)[:MAX_FIELD_TERMS]


@lru_cache(maxsize=4096)
def related_terms(core: Phrase) -> tuple[Idea, ...]:
    """The thesaurus' terms for an idea with these core stems (any order, acronyms read out).

    Left out: terms that would only loosen the idea (a subset of its words: "agentic" for
    "LLM agents"), terms that contain the idea's own words ("latent diffusion" for "diffusion":
    wherever they match, the idea does), and terms that contain another term.
    """
    table = _thesaurus()
    keys = [tuple(sorted(core))]
    if len(core) == 1 and core[0] in ACRONYMS:
        long_form = [w for w in words(ACRONYMS[core[0]]) if w not in STOP_WORDS]
        keys.append(tuple(sorted(make_idea(long_form).core)))
    terms = [t for key in keys for t in table.get(key, ())]
    mine = set(core)
    kept = [t for t in dict.fromkeys(terms) if not (set(t.core) < mine or mine <= set(t.core))]
    # a term needing more words than another one adds nothing the other does not find
    return tuple(
        t for t in kept if not any(set(o.core) < set(t.core) for o in kept if o is not t)
    )


@lru_cache(maxsize=1)
def _thesaurus() -> dict[Phrase, tuple[Idea, ...]]:
    def idea(text: str) -> Idea:
        return make_idea([w for w in words(text) if w not in STOP_WORDS], strict=True)

    def name(text: str) -> Phrase:
        return tuple(sorted(make_idea([w for w in words(text) if w not in STOP_WORDS]).core))

    table: dict[Phrase, list[Idea]] = {}
    for group in SYNONYMS:
        members = [idea(t) for t in group]
        for text, member in zip(group, members, strict=True):
            table.setdefault(name(text), []).extend(m for m in members if m is not member)
    for broad, narrower in NARROWER.items():
        table.setdefault(name(broad), []).extend(idea(t) for t in narrower)
    return {key: tuple(dict.fromkeys(terms)) for key, terms in table.items()}


# Conversational words of topics typed as questions or requests ("how do I make LLM
# inference cheaper", "can agents use a computer"): no paper is about them.
FILLERS = frozenset({
    "make", "making", "makes", "made", "get", "getting", "gets", "thing", "things", "stuff",
    "something", "anything", "can", "could", "should", "would", "will", "please", "show",
    "tell", "find", "give", "want", "need", "like", "really", "lot", "lots", "up", "way", "ways",
    "kind", "sort", "doing", "try", "trying", "whats", "there", "anyone", "someone",
})  # fmt: skip


def _meaningful(word: str) -> bool:
    """Stop words, conversational fillers and single Latin letters or digits carry no topic."""
    return word not in STOP_WORDS and word not in FILLERS and (len(word) > 1 or not word.isascii())


def _add_filter(
    field: str, raw: str, authors: list[tuple[str, ...]], cats: list[str], problems: list[str]
) -> None:
    if field in {"author", "au"}:
        name = tuple(fold(w) for w in words(raw))
        if name:
            authors.append(name)
        else:
            problems.append("author: needs a name, e.g. author:lecun")
    elif (category := normalize_category(raw)) is not None:
        cats.append(category)
    elif raw:
        close = suggest(raw)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        problems.append(f"`{raw}` is not an arXiv category.{hint} The list: {TAXONOMY_URL}")
    else:
        problems.append("cat: needs an arXiv category, e.g. cat:cs.CL")
