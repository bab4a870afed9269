"""Relevance: is a paper about a topic, how much, and why (pure).

A topic is one or more ideas (see `bot.core.query`). For each idea the paper earns evidence
from every field it appears in, weighted by where (title, then Hugging Face's keywords, then its
summary, then the abstract), by how tightly the idea's words stand together, and, in the
abstract, by how often. A paper is about a topic when its strongest idea clears THRESHOLD and
every other idea is at least mentioned; papers that use a word in another field's sense
(`bot.core.senses`), mention an excluded word, or miss an author or category filter are out.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.core.models import Match, Paper
from bot.core.query import Concept, Idea, Phrase, Topic, parse_topic
from bot.core.senses import other_sense
from bot.core.text import BREAK, defined_acronyms, fold, known_acronyms, stem, tokens, words

__all__ = ["THRESHOLD", "Topic", "filter_relevant", "parse_topic", "relevance", "stem"]

# Field weights: where an idea appears says how central it is to the paper.
FIELD_WEIGHTS: dict[str, float] = {"title": 3.0, "keywords": 2.0, "summary": 1.5, "abstract": 2.25}
THRESHOLD = 1.5  # the evidence for the main idea: the title alone, or the abstract twice
MENTIONED = 0.5  # the least evidence for each further idea: one mention in the abstract
ABSTRACT_SATURATION = 3  # the abstract counts up to this many mentions
SLACK = 1  # words allowed between two words of an idea for them to count as "together"
FIELD_TERM_WEIGHT = 0.8  # a match on the field's term for an idea, not the user's own words
BEST_VIA_FIELD_TERM = FIELD_TERM_WEIGHT * sum(FIELD_WEIGHTS.values()) * 1.1
WITHOUT_GENERIC = 0.7  # "attention" for "attention mechanism": the head noun is missing


@dataclass(frozen=True, slots=True)
class PaperText:
    """A paper's searchable text, analysed once: token streams and where each token is."""

    fields: dict[str, list[str]]
    positions: dict[str, dict[str, list[int]]]
    sentences: dict[str, list[int]]  # per field: the sentence number of each token
    vocabulary: frozenset[str]
    authors: tuple[frozenset[str], ...]


@lru_cache(maxsize=32768)
def analyse(paper: Paper) -> PaperText:
    """Tokens and positions of a paper's fields (memoised: papers are immutable)."""
    expansions = {**known_acronyms(), **_definitions(paper)}
    endings: dict[str, list[tuple[str, Phrase]]] = {}
    for short, form in expansions.items():
        endings.setdefault(form[-1], []).append((short, form))
    keyword_tokens: list[str] = []
    for keyword in paper.keywords:
        keyword_tokens += [*_stream(keyword, expansions, endings), BREAK]
    fields = {
        "title": _stream(paper.title, expansions, endings),
        "keywords": keyword_tokens,
        "summary": _stream(paper.ai_summary or "", expansions, endings),
        "abstract": _stream(paper.abstract, expansions, endings),
    }
    positions: dict[str, dict[str, list[int]]] = {}
    sentences: dict[str, list[int]] = {}
    for name, stream in fields.items():
        where: dict[str, list[int]] = {}
        numbers, number = [], 0
        for i, tok in enumerate(stream):
            where.setdefault(tok, []).append(i)
            number += tok == BREAK
            numbers.append(number)
        positions[name] = where
        sentences[name] = numbers
    vocabulary = frozenset(tok for where in positions.values() for tok in where)
    authors = tuple(frozenset(fold(w) for w in words(name)) for name in paper.authors)
    return PaperText(fields, positions, sentences, vocabulary, authors)


def _definitions(paper: Paper) -> dict[str, tuple[str, ...]]:
    return {**defined_acronyms(paper.title), **defined_acronyms(paper.abstract)}


def _stream(
    text: str, expansions: dict[str, Phrase], endings: dict[str, list[tuple[str, Phrase]]]
) -> list[str]:
    """Tokens of `text`, with each acronym also read as its long form and vice versa."""
    out: list[str] = []
    for tok in tokens(text):
        if out and out[-1] == tok and tok in expansions:
            continue  # "retrieval-augmented generation (RAG)": RAG was read already
        long_form = expansions.get(tok)
        if long_form is not None and tuple(out[-len(long_form) :]) != long_form:
            out += [*long_form, tok]
            continue
        out.append(tok)
        for short, form in endings.get(tok, ()):
            if tuple(out[-len(form) :]) == form:
                out.append(short)
    return out


def relevance(paper: Paper, topic: Topic) -> Match | None:
    """How much `paper` is about `topic`, with why, or None when it is not about it."""
    if topic.is_empty:
        return None
    text = analyse(paper)
    if topic.concepts and text.vocabulary.isdisjoint(topic.anchors):
        return None
    if not _passes_filters(paper, text, topic):
        return None
    if not topic.concepts:
        return Match(score=1.0, reason=_filter_reason(topic))
    best: tuple[float, str] | None = None
    evidence: dict[int, tuple[float, str]] = {}  # by id(idea): concepts share ideas
    senses: dict[str, bool] = {}
    vocabulary = text.vocabulary
    for concept in topic.concepts:  # the user's own words first, then the field's terms
        if concept.via and best is not None and best[0] >= BEST_VIA_FIELD_TERM:
            break  # no field term can beat this
        if not concept.needed <= vocabulary or _other_sense(text, concept, topic, senses):
            continue
        scored = _concept_score(text, concept, evidence)
        if scored is not None and (best is None or scored[0] > best[0]):
            best = scored
    if best is None:
        return None
    return Match(score=round(best[0], 3), reason=best[1])


def _other_sense(text: PaperText, concept: Concept, topic: Topic, seen: dict[str, bool]) -> bool:
    for word in concept.needed:
        found = seen.get(word)
        if found is None:
            found = seen[word] = other_sense(word, text.vocabulary, topic.own_words)
        if found:
            return True
    return False


def _passes_filters(paper: Paper, text: PaperText, topic: Topic) -> bool:
    if any(_phrase_anywhere(text, phrase) for phrase in topic.excluded):
        return False
    if topic.authors and not any(
        set(name) <= author for name in topic.authors for author in text.authors
    ):
        return False
    return not topic.categories or any(
        cat == wanted or cat.startswith(wanted + ".")
        for cat in paper.categories
        for wanted in topic.categories
    )


def _phrase_anywhere(text: PaperText, phrase: Phrase) -> bool:
    if not text.vocabulary.issuperset(phrase):
        return False
    return any(_exact_starts(text, name, phrase) for name in text.fields)


def _concept_score(
    text: PaperText, concept: Concept, evidence: dict[int, tuple[float, str]]
) -> tuple[float, str] | None:
    """Evidence for the concept: all its ideas present, the strongest one central."""
    scored = []
    for idea in concept.ideas:
        found = evidence.get(id(idea))
        if found is None:
            found = evidence[id(idea)] = _idea_evidence(text, idea)
        scored.append(found)
    if max(s for s, _ in scored) < THRESHOLD or min(s for s, _ in scored) < MENTIONED:
        return None
    main = max(range(len(scored)), key=lambda i: scored[i][0])
    idea = concept.ideas[main]
    label = f"“{idea.label}”" if idea.exact else idea.label
    reason = f"matched: {label} in {scored[main][1]}"
    if concept.via:
        reason += f" (for {concept.via})"
    score = sum(s for s, _ in scored) / len(scored) + 0.1 * max(s for s, _ in scored)
    return score * (FIELD_TERM_WEIGHT if concept.via else 1.0), reason


def _idea_evidence(text: PaperText, idea: Idea) -> tuple[float, str]:
    """The idea's weighted evidence across fields, and the most telling field."""
    total, best_field, best_gain = 0.0, "abstract", 0.0
    single = idea.words[0] if len(idea.words) == 1 else None
    for name, weight in FIELD_WEIGHTS.items():
        where = text.positions[name]
        if single is not None:  # the common case, without looking at positions
            found = where.get(single)
            count, closeness = (len(found), 1.0) if found else (0, 0.0)
        elif idea.core_set <= where.keys():
            count, closeness = _occurrences(text, name, idea)
        else:
            continue
        if count == 0:
            continue
        amount = min(count, ABSTRACT_SATURATION) / ABSTRACT_SATURATION if name == "abstract" else 1
        gain = weight * closeness * amount
        total += gain
        if gain > best_gain:
            best_field, best_gain = name, gain
    return total, best_field


def _occurrences(text: PaperText, name: str, idea: Idea) -> tuple[int, float]:
    """How often the idea occurs in a field, and how tightly (1.0: its words side by side).

    The caller has checked that every core word is in the field.
    """
    if idea.exact:
        return len(_exact_starts(text, name, idea.words)), 1.0
    where = text.positions[name]
    core = idea.core
    sentence = text.sentences[name]
    reach = len(core) + SLACK - 1 + (len(core) > 2)  # how far another word may stand
    lists = sorted((where[w] for w in core), key=len)
    anchor, others = lists[0], lists[1:]
    generic = [where.get(w, []) for w in idea.words if w not in idea.core_set]
    count, complete = 0, not generic
    for pos in anchor:
        if all(_near(found, pos, reach, sentence) for found in others):
            count += 1
            complete = complete or all(
                _near(found, pos, reach + len(generic), sentence) for found in generic
            )
    if count:
        return count, 1.0 if complete else WITHOUT_GENERIC
    if name == "title":
        return 1, 0.5  # a title is short: its words are about one thing even when apart
    return 0, 0.0


def _near(found: list[int], pos: int, reach: int, sentence: list[int]) -> bool:
    """True when one of the sorted positions `found` is within `reach` of `pos`, same sentence."""
    i = bisect_left(found, pos - reach)
    while i < len(found) and found[i] <= pos + reach:
        if sentence[found[i]] == sentence[pos]:
            return True
        i += 1
    return False


def _exact_starts(text: PaperText, name: str, phrase: Phrase) -> list[int]:
    where = text.positions[name]
    if any(w not in where for w in phrase):
        return []
    stream = text.fields[name]
    n = len(phrase)
    return [p for p in where[phrase[0]] if tuple(stream[p : p + n]) == phrase]


def _filter_reason(topic: Topic) -> str:
    parts = [f"author {' '.join(a)}" for a in topic.authors]
    parts += [f"category {c}" for c in topic.categories]
    return "matched: " + ", ".join(parts)


def filter_relevant(papers: Iterable[Paper], topic: Topic) -> list[tuple[Paper, Match]]:
    """The papers about `topic`, each with its match."""
    found = []
    for paper in papers:
        match = relevance(paper, topic)
        if match is not None:
            found.append((paper, match))
    return found
