"""Relevance: is a paper about a topic, how much, and why (pure).

A topic is one or more ideas (see `bot.core.query`). For each idea the paper earns evidence
from every field it appears in, weighted by where (title, then Hugging Face's keywords, then its
summary, then the abstract), by how tightly the idea's words stand together, and, in the
abstract, by how often. A paper is about a topic when its strongest idea clears THRESHOLD and
every other idea is at least mentioned; papers that use a word in another field's sense
(`bot.core.senses`), mention an excluded word, or miss an author or category filter are out.
"""

from __future__ import annotations

from bot.core.analysis import (
    ABSTRACT,
    FIELD_SHIFT,
    FIELDS,
    TITLE,
    PaperText,
    Positions,
    analyse,
    near,
    phrase_starts,
)
from bot.core.models import Match, Paper
from bot.core.query import Concept, Idea, Phrase, Topic, parse_topic
from bot.core.senses import OTHER_SENSES, other_sense
from bot.core.text import stem

__all__ = ["THRESHOLD", "Topic", "analyse", "parse_topic", "relevance", "stem"]

# Field weights (title, keywords, summary, abstract): where an idea appears says how central
# it is to the paper.
FIELD_WEIGHTS = (3.0, 2.0, 1.5, 2.25)
THRESHOLD = 1.5  # the evidence for the main idea: the title alone, or the abstract twice
MENTIONED = 0.5  # the least evidence for each further idea: one mention in the abstract
ABSTRACT_SATURATION = 3  # the abstract counts up to this many mentions
SLACK = 1  # words allowed between two words of an idea for them to count as "together"
FIELD_TERM_WEIGHT = 0.8  # a match on the field's term for an idea, not the user's own words
BEST_VIA_FIELD_TERM = FIELD_TERM_WEIGHT * sum(FIELD_WEIGHTS) * 1.1
WITHOUT_GENERIC = 0.7  # "attention" for "attention mechanism": the head noun is missing
APART_IN_TITLE = 0.5  # an idea's words all in the title, but not together

Evidence = tuple[float, int]  # weighted evidence, and the field that gave the most


def relevance(paper: Paper, topic: Topic) -> Match | None:
    """How much `paper` is about `topic`, with why, or None when it is not about it."""
    if topic.is_empty:
        return None
    text = analyse(paper)
    if topic.concepts and text.where.keys().isdisjoint(topic.anchors):
        return None
    if not _passes_filters(paper, text, topic):
        return None
    if not topic.concepts:
        return Match(score=1.0, reason=_filter_reason(topic))
    best: tuple[float, Concept] | None = None
    evidence: dict[int, Evidence] = {}  # by id(idea): concepts share ideas
    senses: dict[str, bool] = {}
    vocabulary = text.where.keys()
    for concept in topic.concepts:  # the user's own words first, then the field's terms
        if concept.via and best is not None and best[0] >= BEST_VIA_FIELD_TERM:
            break  # no field term can beat this
        if not vocabulary >= concept.needed or _other_sense(text, concept, topic, senses):
            continue
        score = _concept_score(text, concept, evidence)
        if score is None:
            continue
        if best is None or score > best[0]:
            best = (score, concept if not best or best[1].via else best[1])
    if best is None:
        return None  # the reason names the user's own words whenever they matched
    return Match(score=round(best[0], 3), reason=_reason(best[1], evidence))


def _other_sense(text: PaperText, concept: Concept, topic: Topic, seen: dict[str, bool]) -> bool:
    if concept.needed.isdisjoint(OTHER_SENSES):
        return False
    for word in concept.needed:
        found = seen.get(word)
        if found is None:
            found = seen[word] = other_sense(word, text.where.keys(), topic.own_words)
        if found:
            return True
    return False


def _passes_filters(paper: Paper, text: PaperText, topic: Topic) -> bool:
    if any(_mentions(text, phrase) for phrase in topic.excluded):
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


def _mentions(text: PaperText, phrase: Phrase) -> bool:
    if len(phrase) == 1:
        return phrase[0] in text.where
    return bool(phrase_starts(text, phrase))


def _field_counts(found: Positions) -> list[int]:
    counts = [0, 0, 0, 0]
    for position in found:
        counts[position >> FIELD_SHIFT] += 1
    return counts


def _weigh(counts: list[int], closeness: tuple[float, ...] | list[float]) -> Evidence:
    """Weighted evidence from per-field counts, and the field that gave the most."""
    total, best_field, best_gain = 0.0, ABSTRACT, 0.0
    for field, count in enumerate(counts):
        if count:
            gain = FIELD_WEIGHTS[field] * closeness[field]
            if field == ABSTRACT:
                gain *= min(count, ABSTRACT_SATURATION) / ABSTRACT_SATURATION
            total += gain
            if gain > best_gain:
                best_field, best_gain = field, gain
    return total, best_field


def _concept_score(
    text: PaperText, concept: Concept, evidence: dict[int, Evidence]
) -> float | None:
    """How much the paper is about the concept, or None when it is not: its strongest idea
    must clear THRESHOLD (a field term counting at FIELD_TERM_WEIGHT) and every other idea be
    at least mentioned."""
    found = []
    for idea in concept.ideas:
        scored = evidence.get(id(idea))
        if scored is None:
            scored = evidence[id(idea)] = _idea_evidence(text, idea)
        found.append(scored[0])
    weight = FIELD_TERM_WEIGHT if concept.via else 1.0
    if max(found) * weight < THRESHOLD or min(found) < MENTIONED:
        return None
    return (sum(found) / len(found) + 0.1 * max(found)) * weight


def _reason(concept: Concept, evidence: dict[int, Evidence]) -> str:
    """'matched: value alignment in title', naming the concept's strongest idea."""
    idea = max(concept.ideas, key=lambda i: evidence[id(i)][0])
    label = f"“{idea.label}”" if idea.exact else idea.label
    reason = f"matched: {label} in {FIELDS[evidence[id(idea)][1]]}"
    return f"{reason} (for {concept.via})" if concept.via else reason


def _idea_evidence(text: PaperText, idea: Idea) -> Evidence:
    """The idea's weighted evidence across fields, and the most telling field."""
    where = text.where
    if idea.exact:
        return _weigh(_field_counts(tuple(phrase_starts(text, idea.words))), (1.0,) * 4)
    generic = [where.get(w, ()) for w in idea.words if w not in idea.core_set]
    if len(idea.core) == 1 and not generic:
        return _weigh(_field_counts(where[idea.core[0]]), (1.0,) * 4)
    lists = sorted((where[w] for w in idea.core), key=len)
    anchor, others = lists[0], lists[1:]
    reach = len(idea.core) + SLACK - 1 + (len(idea.core) > 2)  # how far its words may stand
    counts, complete = [0, 0, 0, 0], [not generic] * 4
    for position in anchor:
        if all(near(found, position, reach) for found in others):
            field = position >> FIELD_SHIFT
            counts[field] += 1
            complete[field] = complete[field] or all(
                near(found, position, reach + len(generic)) for found in generic
            )
    closeness = [1.0 if done else WITHOUT_GENERIC for done in complete]
    if not counts[TITLE] and all(found[0] >> FIELD_SHIFT == TITLE for found in lists):
        counts[TITLE], closeness[TITLE] = 1, APART_IN_TITLE  # a title is about one thing
    return _weigh(counts, closeness)


def _filter_reason(topic: Topic) -> str:
    parts = [f"author {' '.join(a)}" for a in topic.authors]
    parts += [f"category {c}" for c in topic.categories]
    return "matched: " + ", ".join(parts)
