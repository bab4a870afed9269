"""A paper's text, analysed once for topic matching: where each word stands (pure).

Every field (title, keywords, summary, abstract) is tokenised into Porter2 stems, acronyms are
read both ways ("RAG" also as "retrieval augmented generation" and the reverse), and each stem's
positions are kept as one sorted tuple of ints that encode field, sentence and offset:

    position = field << 20 | sentence << 9 | offset

so two positions are in the same sentence exactly when `a >> 9 == b >> 9`, and the distance
between words in a sentence is `b - a`. Stop words count for distances but are not stored: no
topic asks for them, and they are a third of all words.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.core.models import Paper
from bot.core.text import BREAK, STOP_WORDS, defined_acronyms, fold, known_acronyms, tokens, words

FIELDS = ("title", "keywords", "summary", "abstract")
TITLE, KEYWORDS, SUMMARY, ABSTRACT = range(4)
FIELD_SHIFT = 20
SENTENCE_SHIFT = 9
_MAX_OFFSET = (1 << SENTENCE_SHIFT) - 12  # room for a phrase to run past the end safely
_MAX_SENTENCE = (1 << (FIELD_SHIFT - SENTENCE_SHIFT)) - 1
_STOP_STEMS = frozenset(STOP_WORDS)  # stop words are their own stems (none has a suffix)

Positions = tuple[int, ...]
Expansions = dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class PaperText:
    """Where each (non-stop) stem of a paper stands, and its authors' folded names."""

    where: dict[str, Positions]
    authors: tuple[frozenset[str], ...]

    def has(self, stems: Iterable[str]) -> bool:
        """True when every stem occurs somewhere in the paper."""
        where = self.where
        return all(s in where for s in stems)


@lru_cache(maxsize=20000)
def analyse(paper: Paper) -> PaperText:
    """The paper's positions (memoised: papers are immutable)."""
    expansions = {**known_acronyms(), **defined_acronyms(paper.title),
                  **defined_acronyms(paper.abstract)}  # fmt: skip
    endings: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for short, form in expansions.items():
        endings.setdefault(form[-1], []).append((short, form))
    keywords: list[str] = []
    for keyword in paper.keywords:
        keywords += [*_stream(keyword, expansions, endings), BREAK]
    streams = (
        _stream(paper.title, expansions, endings),
        keywords,
        _stream(paper.ai_summary or "", expansions, endings),
        _stream(paper.abstract, expansions, endings),
    )
    found: dict[str, list[int]] = {}
    for field, stream in enumerate(streams):
        _place(field, stream, found)
    authors = tuple(frozenset(fold(w) for w in words(name)) for name in paper.authors)
    return PaperText({tok: tuple(at) for tok, at in found.items()}, authors)


def _place(field: int, stream: Sequence[str], found: dict[str, list[int]]) -> None:
    sentence, offset = 0, 0
    for tok in stream:
        if tok == BREAK or offset > _MAX_OFFSET:
            sentence, offset = sentence + 1, 0
            if sentence > _MAX_SENTENCE:
                return
            if tok == BREAK:
                continue
        if tok not in _STOP_STEMS:
            position = field << FIELD_SHIFT | sentence << SENTENCE_SHIFT | offset
            found.setdefault(tok, []).append(position)
        offset += 1


def _stream(
    text: str, expansions: Expansions, endings: dict[str, list[tuple[str, tuple[str, ...]]]]
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


def near(found: Positions, position: int, reach: int) -> bool:
    """True when one of `found` (sorted) is within `reach` words of `position`, same sentence."""
    i = bisect_left(found, position - reach)
    sentence = position >> SENTENCE_SHIFT
    while i < len(found) and found[i] <= position + reach:
        if found[i] >> SENTENCE_SHIFT == sentence:
            return True
        i += 1
    return False


def phrase_starts(text: PaperText, phrase: Sequence[str]) -> list[int]:
    """Where the words of `phrase` stand in this order, side by side (stop words unchecked)."""
    content = [(i, w) for i, w in enumerate(phrase) if w not in _STOP_STEMS]
    if not content or not text.has(w for _, w in content):
        return []
    first_index, first = content[0]
    rest = [(i - first_index, set(text.where[w])) for i, w in content[1:]]
    starts = [p - first_index for p in text.where[first]]
    return [p for p in starts if all(p + i in at for i, at in rest)]
