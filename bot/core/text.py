"""Text analysis shared by topics and papers: words, stems, sentences and acronyms (pure)."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

# fmt: off
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in",
    "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was",
    "were", "which", "with", "via", "we", "our", "us", "using", "use", "based", "towards",
    "toward", "new", "paper", "papers", "about", "what", "how", "why", "when", "do", "does",
    "i", "you", "me", "my", "any", "all", "some", "recent", "latest", "trending", "work",
    "works", "research", "study", "studies",
})
# Words that join two separate ideas ("attention in transformers"), as opposed to the glue
# inside one compound idea ("mixture of experts", "text to video").
RELATION_WORDS = frozenset({
    "in", "for", "on", "with", "and", "via", "using", "under", "from", "by", "about", "across",
    "between", "within", "through", "versus", "vs", "applied", "against", "beyond", "without",
})
# Head nouns that add nothing to what a topic is about: "attention mechanism" is "attention".
GENERIC_WORDS = frozenset({
    "model", "models", "mechanism", "mechanisms", "method", "methods", "approach", "approaches",
    "framework", "frameworks", "system", "systems", "technique", "techniques", "algorithm",
    "algorithms", "architecture", "architectures", "paradigm", "strategy", "strategies",
})
# Well-known acronyms of the field, in both directions: "RAG" finds "retrieval-augmented
# generation" and the long form finds "RAG". Papers' own "(ABC)" definitions add to these.
ACRONYMS: dict[str, str] = {
    "llm": "large language model", "lm": "language model", "vlm": "vision language model",
    "mllm": "multimodal large language model", "lmm": "large multimodal model",
    "rag": "retrieval augmented generation", "moe": "mixture of experts",
    "rlhf": "reinforcement learning from human feedback", "rl": "reinforcement learning",
    "rlaif": "reinforcement learning from ai feedback", "dpo": "direct preference optimization",
    "ppo": "proximal policy optimization", "grpo": "group relative policy optimization",
    "sft": "supervised fine tuning", "peft": "parameter efficient fine tuning",
    "lora": "low rank adaptation", "cot": "chain of thought", "icl": "in context learning",
    "gnn": "graph neural network", "cnn": "convolutional neural network",
    "rnn": "recurrent neural network", "gan": "generative adversarial network",
    "vae": "variational autoencoder", "vit": "vision transformer", "ssm": "state space model",
    "asr": "automatic speech recognition", "tts": "text to speech",
    "nlp": "natural language processing",
    "ner": "named entity recognition", "ocr": "optical character recognition",
    "nas": "neural architecture search",
    "ddpm": "denoising diffusion probabilistic model", "prm": "process reward model",
    "nerf": "neural radiance field", "qa": "question answering", "vqa": "visual question answering",
    "mcts": "monte carlo tree search", "ptq": "post training quantization",
    "qat": "quantization aware training", "t2i": "text to image", "t2v": "text to video",
    "gui": "graphical user interface",
}
# fmt: on
BREAK = "\x00"  # a token that never matches: nothing stands together across a sentence end
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?;:]\s|\n|\s[-–—]\s")
_ACRONYM_PLURAL = re.compile(r"\b([A-Z][A-Za-z]*[A-Z])s\b")  # LLMs, MoEs, VLMs
_DEFINITION = re.compile(r"\(([A-Za-z][A-Za-z0-9-]{1,9})\)")
_local = threading.local()  # Snowball stemmers keep state while they work: one per thread
_GLUE = frozenset({"of", "and", "for", "to", "the", "in", "on", "with", "a"})


# British spellings the suffix rules below do not reach: one stem for both spellings.
SPELLINGS = {
    "behaviour": "behavior", "behaviours": "behaviors", "behavioural": "behavioral",
    "colour": "color", "colours": "colors", "favour": "favor", "neighbour": "neighbor",
    "neighbours": "neighbors", "labour": "labor", "humour": "humor", "flavour": "flavor",
    "fibre": "fiber", "fibres": "fibers", "centre": "center", "centres": "centers",
    "metre": "meter", "metres": "meters", "litre": "liter", "theatre": "theater",
    "dialogue": "dialog", "dialogues": "dialogs", "analogue": "analog", "catalogue": "catalog",
    "programme": "program", "programmes": "programs", "defence": "defense", "licence": "license",
    "offence": "offense", "grey": "gray", "aluminium": "aluminum", "tumour": "tumor",
    "tumours": "tumors", "oesophagus": "esophagus", "haemorrhage": "hemorrhage",
    "anaemia": "anemia", "paediatric": "pediatric", "oestrogen": "estrogen",
}  # fmt: skip
# -ise/-isation and -yse spellings ("tokenisation", "analyse"): the -ize/-yze ones.
_BRITISH_IZE = re.compile(r"(?<=[a-z]{3})is(ation|ations|e|es|ed|ing|er|ers)$")
_BRITISH_YZE = re.compile(r"(?<=[a-z]{3})ys(e|es|ed|ing|er|ers)$")
# Porter2 strips -ize entirely: tokenization -> "token", personalization -> "person",
# visualization -> "visual", so a topic about tokenizers matched every paper with "tokens".
# These words keep an "-iz" stem of their own: tokenize/tokenizer/tokenization -> "tokeniz".
_IZE = re.compile(r"^([a-z]{3,}?iz)(ation|ations|ational|e|es|ed|ing|er|ers)$")


@lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """The stem of a lower-case word, one for both spellings: align/aligned/alignment ->
    align (Porter2); tokenisation/tokenizer -> tokeniz; behaviour/behavior -> behavior."""
    word = SPELLINGS.get(word, word)
    word = _BRITISH_YZE.sub(r"yz\1", _BRITISH_IZE.sub(r"iz\1", word))
    ize = _IZE.match(word)
    if ize is not None:
        return ize.group(1)
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def fold(text: str) -> str:
    """Lower case without accents: 'Müller' -> 'muller'."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The words of `text`, folded; an acronym's plural 's' is dropped (LLMs -> llm)."""
    return _WORD.findall(fold(_ACRONYM_PLURAL.sub(r"\1", text)))


def tokens(text: str) -> list[str]:
    """Stemmed word tokens of `text`, stop words kept (so adjacency is honest), with a BREAK
    token between sentences."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        out += [stem(w) for w in words(sentence)]
        out.append(BREAK)
    return out[:-1]


def defined_acronyms(text: str) -> dict[str, tuple[str, ...]]:
    """Acronyms a text defines, 'retrieval-augmented generation (RAG)' -> {'rag': stems}.

    Only definitions whose initials spell the acronym count, so '(see Fig. 2)' does not.
    """
    found: dict[str, tuple[str, ...]] = {}
    for match in _DEFINITION.finditer(text):
        short = "".join(words(match.group(1)))
        before = text[max(0, match.start() - 120) : match.start()]
        long_words = words(_SENTENCE_END.split(before)[-1])[-8:]
        for start in range(len(long_words)):
            candidate = long_words[start:]
            if _initials_spell(candidate, short):
                found[short] = tuple(stem(w) for w in candidate)
                break
    return found


def _initials_spell(long_words: list[str], short: str) -> bool:
    """'mixture of experts' spells 'moe' and 'me'; one-word long forms spell nothing."""
    if len(long_words) < 2 or long_words[0] in _GLUE:
        return False
    content = [w for w in long_words if w not in _GLUE]
    spelled = {"".join(w[0] for w in long_words), "".join(w[0] for w in content)}
    return short in spelled or short.rstrip("s") in spelled


@lru_cache(maxsize=1)
def known_acronyms() -> dict[str, tuple[str, ...]]:
    """ACRONYMS with their long forms stemmed."""
    return {short: tuple(stem(w) for w in words(long)) for short, long in ACRONYMS.items()}
