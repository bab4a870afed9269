"""Word senses: when a paper uses an ML word in another field's sense (pure).

"transformer" in a paper about substations, "diffusion" in a paper about heat flow, "agents"
in a paper about nerve gas: the words match, the topic does not. Each entry names an ambiguous
stem and the words that give away its other senses. A paper is read in the other sense when
those words outnumber the ML vocabulary around them; a topic that names one of them ("power
transformers") asks for that sense, so the check is skipped.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from bot.core.text import stem, words


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(text))


# fmt: off
OTHER_SENSES: dict[str, frozenset[str]] = {
    stem("transformer"): _stems(
        "power voltage winding windings oil dissolved gas grid substation electrical insulation"
        " discharge tap changer load current kv mva distribution transmission thermal fault"
        " faults hotspot hot-spot bushing core loss losses magnetic inrush"
    ),
    stem("diffusion"): _stems(
        "heat thermal reaction anomalous brownian fick porous molecular coefficient"
        " concentration ion ions solute fluid lattice subdiffusion superdiffusion transport"
        " membrane tissue particle particles random walk walker walkers species cell cells"
        " equation pde physics physical kinetics"
    ),
    stem("attention"): _stems(
        "human humans cognitive cognition eye gaze saccade saccades adhd deficit cortex"
        " cortical participants subjects stimuli stimulus psychology psychological behavioral"
        " brain eeg fmri neuroscience perceptual perception visual selective infants children"
    ),
    stem("agent"): _stems(
        "chemical chemicals warfare nerve sarin vx toxic toxicity decontamination"
        " antimicrobial therapeutic pathogen pathogens pesticide pesticides simulant simulants"
        " exposure detection sensor sensors organophosphate mustard"
    ),
}
# Words that only machine-learning papers use: the context that keeps the ML sense.
ML_WORDS: frozenset[str] = _stems(
    "neural network networks learning learned deep training trained dataset datasets benchmark"
    " benchmarks llm llms language token tokens pretraining pretrained fine-tuning finetuning"
    " gpu gpus embedding embeddings supervised unsupervised self-supervised reinforcement"
    " prompt prompts prompting inference parameters generative denoising sampling image images"
    " video text vision multimodal encoder decoder self-attention architecture architectures"
    " sota state-of-the-art accuracy classifier classification tasks agentic tool tools"
    " reasoning autoregressive latent score-based"
)
# fmt: on


def other_sense(term: str, vocabulary: Container[str], topic_words: Iterable[str]) -> bool:
    """True when a paper with `vocabulary` uses `term` in a sense the topic did not ask for."""
    cues = OTHER_SENSES.get(term)
    if cues is None or not cues.isdisjoint(topic_words):
        return False
    foreign = sum(1 for cue in cues if cue in vocabulary)
    return foreign >= 3 and foreign > sum(1 for word in ML_WORDS if word in vocabulary) / 2
