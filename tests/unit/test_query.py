"""Topic syntax: phrases, exclusions, OR, author:, cat:, relation words, and bad input."""

import pytest

from bot.core.models import Paper
from bot.core.query import MAX_KEY_CHARS, make_idea, parse_topic
from bot.core.text import defined_acronyms, stem
from bot.core.topics import relevance


def paper(title: str, abstract: str = "", **kw: object) -> Paper:
    return Paper(arxiv_id="2501.00001", title=title, abstract=abstract, **kw)  # type: ignore[arg-type]


def ideas(text: str) -> list[list[tuple[str, ...]]]:
    return [[i.words for i in c.ideas] for c in parse_topic(text).concepts if not c.via]


def test_a_question_in_plain_words_keeps_only_the_words_a_paper_can_be_about() -> None:
    assert ideas("can you find papers about making videos from text prompts") == ideas(
        "videos from text prompts"
    )
    assert ideas("how do I get things like speculative decoding") == ideas("speculative decoding")
    found = paper("Text-to-video generation from text prompts",
                  "We generate videos from text prompts with a diffusion model.")  # fmt: skip
    assert relevance(found, parse_topic("making videos from text prompts")) is not None
    # in quotes every word counts: "all you need" is a phrase, not a request
    title = paper("Attention is all you need", "The Transformer.")
    scrambled = paper("Attention: what you need is all here", "Nothing else.")
    phrase = parse_topic('"attention is all you need"')
    assert relevance(title, phrase) is not None  # stop words in quotes: matched by their places
    assert relevance(scrambled, phrase) is None
    assert ideas('"attention is all you need"')[0][0][-1] == stem("need")


def test_adjacent_words_are_one_idea_and_relation_words_split_ideas() -> None:
    assert ideas("value alignment") == [[(stem("value"), stem("alignment"))]]
    assert ideas("attention in transformers") == [[(stem("attention"),), (stem("transformers"),)]]
    assert ideas("mixture of experts") == [[(stem("mixture"), stem("experts"))]]


def test_quotes_minus_or_author_and_cat() -> None:
    topic = parse_topic('“reward hacking” agents -"code generation" -robotics OR '
                        'author:"Yann LeCun" cat:cs.cl')  # fmt: skip
    assert topic.concepts[0].ideas[0] == make_idea(["reward", "hacking"], exact=True)
    assert topic.concepts[0].ideas[0].exact
    assert topic.concepts[0].ideas[1].words == (stem("agents"),)
    assert topic.excluded == ((stem("code"), stem("generation")), (stem("robotics"),))
    assert topic.authors == (("yann", "lecun"),)
    assert topic.categories == ("cs.CL",)
    assert len([c for c in topic.concepts if not c.via]) == 1  # nothing after OR but filters


def test_or_makes_alternatives() -> None:
    assert ideas("speculative decoding OR early exit") == [
        [(stem("speculative"), stem("decoding"))], [(stem("early"), stem("exit"))]
    ]  # fmt: skip
    assert ideas("cats or dogs") == [[(stem("cats"), stem("dogs"))]]  # lower-case "or": a word


def test_keys_ignore_order_case_and_word_form() -> None:
    assert parse_topic("Aligned Values").key == parse_topic("value alignment").key
    assert parse_topic("a -b c").key != parse_topic("a c").key
    assert len(parse_topic(" ".join(f"w{i}x" * 3 for i in range(80))).key) <= MAX_KEY_CHARS


@pytest.mark.parametrize(
    "text",
    ["the of and", "a", "", "   ", "-", "- OR OR", "OR OR", '"', '"unbalanced quote', "😀😀",
     "<!channel>", "x" * 5000, "author:", "cat:", "cat:cs.XX!", '-""',
     "a b c d e f g h i j k l m n o p", "注意力 机制", "внимание трансформеры", "—", "|||",
     "author:: cat::"],
)  # fmt: skip
def test_bad_input_parses_and_matches_without_raising(text: str) -> None:
    topic = parse_topic(text)
    result = relevance(paper("Attention is all you need", "The Transformer."), topic)
    if topic.is_empty:
        assert result is None


def test_invalid_category_and_empty_author_are_reported() -> None:
    assert parse_topic("cat:cs.XX!").problems
    assert parse_topic("author:").problems
    assert not parse_topic("cat:physics.flu-dyn").problems


def test_topic_words_are_capped_and_text_is_cut() -> None:
    topic = parse_topic(" ".join(f"word{i}" for i in range(40)))
    assert len(topic.terms) == 12
    assert len(parse_topic("y" * 5000).text) == 200


def test_acronym_definitions_need_matching_initials() -> None:
    found = defined_acronyms("We propose Mixture-of-Depths (MoD) for large language models "
                             "(LLMs), as shown (see Fig. 2) and in (CVPR).")  # fmt: skip
    assert found == {
        "mod": (stem("mixture"), "of", stem("depths")),
        "llm": (stem("large"), stem("language"), stem("models")),
    }


def test_exact_phrase_needs_order_and_adjacency() -> None:
    p = paper("Hacking the reward: a study", "We study reward hacking in RL.")
    assert relevance(p, parse_topic('"reward hacking"')) is None  # once, in the abstract only
    q = paper("Reward hacking in RLHF", "")
    assert relevance(q, parse_topic('"reward hacking"')) is not None
    assert relevance(paper("Hacking reward models", ""), parse_topic('"reward hacking"')) is None


def test_exclusions_drop_papers_mentioning_them_anywhere() -> None:
    p = paper("Video diffusion models", "Text-to-video generation with diffusion.")
    assert relevance(p, parse_topic("diffusion models")) is not None
    assert relevance(p, parse_topic("diffusion models -video")) is None
    assert relevance(p, parse_topic('diffusion models -"text to video"')) is None
    assert relevance(p, parse_topic('diffusion models -"video text"')) is not None


def test_or_matches_either_and_says_which() -> None:
    p = paper("Early exit for fast inference", "")
    match = relevance(p, parse_topic("speculative decoding OR early exit"))
    assert match is not None
    assert match.reason == "matched: early exit in title"


def test_author_and_category_filters() -> None:
    p = paper("Scaling laws", "", authors=("Jared Kaplan", "Sam McCandlish"),
              categories=("cs.LG", "stat.ML"))  # fmt: skip
    assert relevance(p, parse_topic("author:kaplan")) is not None
    assert relevance(p, parse_topic('author:"jared kaplan" scaling laws')) is not None
    assert relevance(p, parse_topic("author:lecun scaling laws")) is None
    assert relevance(p, parse_topic("cat:stat.ML")) is not None
    assert relevance(p, parse_topic("cat:cs")) is not None
    assert relevance(p, parse_topic("cat:cs.CL scaling")) is None
    assert relevance(paper("X", "", authors=("José Müller",)), parse_topic("author:muller"))


def test_acronyms_match_long_forms_both_ways() -> None:
    long_form = paper("Retrieval-augmented generation for code", "")
    short = paper("Benchmarking RAG pipelines", "")
    for topic in ("RAG", "retrieval augmented generation"):
        assert relevance(long_form, parse_topic(topic)) is not None, topic
        assert relevance(short, parse_topic(topic)) is not None, topic


def test_a_paper_defined_acronym_counts_as_its_long_form() -> None:
    p = paper("MoD transformers", "We introduce Mixture-of-Depths (MoD). MoD routes tokens.")
    match = relevance(p, parse_topic("mixture of depths"))
    assert match is not None
    assert "title" in match.reason


def test_relation_topics_need_every_idea() -> None:
    flash = paper("FlashAttention: fast exact attention",
                  "Transformers are slow on long sequences because self-attention is quadratic.")
    human = paper("Visual attention in infants", "Human attention develops early; gaze studies.")
    topic = parse_topic("attention in transformers")
    assert relevance(flash, topic) is not None
    assert relevance(human, topic) is None


def test_generic_head_nouns_are_optional_but_count_when_present() -> None:
    bare = relevance(paper("Ring attention for long context"), parse_topic("attention mechanism"))
    full = relevance(paper("An attention mechanism for speech"), parse_topic("attention mechanism"))
    assert bare is not None and full is not None
    assert full.score > bare.score


def test_the_field_terms_for_a_topic_match_and_say_so() -> None:
    dpo = paper("Direct Preference Optimization: your language model is a reward model",
                "Aligning language models with human preferences without RL.")  # fmt: skip
    match = relevance(dpo, parse_topic("value alignment"))
    assert match is not None
    assert match.reason.endswith("in title (for value alignment)")
    value_function = paper("Stop regressing: training value functions via classification")
    assert relevance(value_function, parse_topic("value alignment")) is None


def test_an_ambiguous_word_in_another_fields_sense_is_not_a_match() -> None:
    grid = paper("Fault diagnosis of power transformers",
                 "Dissolved gas analysis of transformer oil detects winding faults in the grid; "
                 "our transformer model uses voltage and load data.")  # fmt: skip
    assert relevance(grid, parse_topic("transformers")) is None
    assert relevance(grid, parse_topic("power transformers")) is not None
    ml = paper("Transformers for power-efficient inference",
               "We train transformer language models on GPU with fewer tokens.")  # fmt: skip
    assert relevance(ml, parse_topic("transformers")) is not None


def test_stemming_is_safe_from_many_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    words = [f"realignment{i}ations" for i in range(20_000)]  # all distinct: no cache hits
    with ThreadPoolExecutor(8) as pool:
        stems = list(pool.map(stem, words))
    assert stems == [stem(w) for w in words]
