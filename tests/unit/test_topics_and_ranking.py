from datetime import UTC, date, datetime

import pytest

from bot.core.models import Paper
from bot.core.ranking import HALF_LIFE_DAYS, rank, trending_score
from bot.core.topics import parse_topic, relevance, stem
from bot.core.window import feed_days, feed_today

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # a Friday


def paper(pid: str, title: str, abstract: str = "", **kw: object) -> Paper:
    return Paper(arxiv_id=pid, title=title, abstract=abstract, **kw)  # type: ignore[arg-type]


ALIGNMENT = paper(
    "2510.26707",
    "Value Drifts: Tracing Value Alignment During LLM Post-Training",
    "We study how LLMs align with human values during post-training.",
)
VALUE_FUNCTION = paper(
    "2507.07986",
    "EXPO: Stable Reinforcement Learning with Expressive Policies",
    "Stable value maximization with a value function. Policies are aligned with the critic.",
    keywords=("value function", "alignment of actions"),
)


@pytest.mark.parametrize(
    ("words", "same"),
    [
        (("align", "aligned", "alignment", "aligning"), True),
        (("value", "values", "valued"), True),
        (("model", "models", "modeling"), True),
        (("agent", "agents"), True),
        (("tokenisation", "tokenization", "tokenizer", "tokenizers", "tokenise"), True),
        (("quantisation", "quantization", "quantized", "quantised", "quantizer"), True),
        (("behaviour", "behavior"), True),
        (("fibre", "fiber"), True),
        (("analyse", "analyze", "analysed"), True),
        (("modelling", "modeling"), True),
        (("tokenization", "tokens"), False),
        (("personalization", "person"), False),
        (("visualization", "visual"), False),
        (("generalization", "general"), False),
    ],
)
def test_word_forms_share_a_stem(words: tuple[str, ...], same: bool) -> None:
    assert (len({stem(w) for w in words}) == 1) is same


def test_a_tokenisation_topic_finds_tokenizer_papers_not_every_paper_with_tokens() -> None:
    tokenizer = paper("2412.00001", "TokSuite: the impact of tokenizer choice",
                      "We train models that differ only in their tokenizers.")  # fmt: skip
    tokens = paper("2412.00002", "Token-efficient long video understanding",
                   "We compress visual tokens. Fewer tokens make video LLMs faster.")  # fmt: skip
    for text in ("tokenisation", "tokenization"):
        found = {p.arxiv_id for p in (tokenizer, tokens) if relevance(p, parse_topic(text))}
        assert found == {"2412.00001"}, text


def test_value_alignment_matches_alignment_paper_not_value_function_paper() -> None:
    topic = parse_topic("value alignment")
    match = relevance(ALIGNMENT, topic)
    assert match is not None
    assert match.reason == "matched: value alignment in title"
    assert relevance(VALUE_FUNCTION, topic) is None


def test_word_order_and_forms_do_not_matter_when_words_stand_together() -> None:
    p = paper("2401.00001", "Aligning values of language models", "")
    assert relevance(p, parse_topic("value alignment")) is not None


def test_single_word_only_in_passing_is_not_enough() -> None:
    p = paper("2401.00002", "Speech recognition at scale", "We use attention once here.")
    assert relevance(p, parse_topic("attention")) is None
    twice = paper("2401.00003", "Speech at scale", "Attention heads. More attention.")
    assert relevance(twice, parse_topic("attention")) is not None


@pytest.mark.parametrize(
    "text", ["the of and", "a", "", "   ", "- OR OR", "😀😀", "<!channel>", "x" * 5000]
)
def test_topics_without_content_words_match_nothing_and_never_raise(text: str) -> None:
    topic = parse_topic(text)
    if topic.is_empty:
        assert relevance(ALIGNMENT, topic) is None
    else:
        relevance(ALIGNMENT, topic)  # no exception


def test_non_latin_topics_are_searchable() -> None:
    p = paper("2401.00004", "注意力 机制 研究", "")
    assert relevance(p, parse_topic("注意力")) is not None


def test_feed_days_are_the_last_weekdays_in_us_eastern_time() -> None:
    assert feed_days(NOW, 7) == [
        date(2026, 11, 27), date(2026, 11, 26), date(2026, 11, 25), date(2026, 11, 24),
        date(2026, 11, 23), date(2026, 11, 20), date(2026, 11, 19),
    ]  # fmt: skip
    # 02:00 UTC on Saturday is still Friday evening in New York
    assert feed_today(datetime(2026, 11, 28, 2, 0, tzinfo=UTC)) == date(2026, 11, 27)
    # on a Sunday the newest feed day is Friday
    assert feed_days(datetime(2026, 11, 29, 18, 0, tzinfo=UTC), 1) == [date(2026, 11, 27)]


def test_trending_score_halves_every_half_life() -> None:
    today = paper("1", "t", upvotes=100, feed_day=date(2026, 11, 27))
    older = paper("2", "t", upvotes=100, feed_day=date(2026, 11, 24))
    assert trending_score(today, NOW) == 100
    assert trending_score(older, NOW) == pytest.approx(100 * 0.5 ** (3 / HALF_LIFE_DAYS))


def test_a_popular_paper_that_only_mentions_the_topic_never_pushes_out_papers_about_it() -> None:
    day = date(2026, 11, 27)
    about = [paper(f"2510.1000{i}", f"Speculative decoding with draft heads {i}",
                   "We make speculative decoding faster. Speculative decoding drafts tokens.",
                   upvotes=10 + i, feed_day=day, keywords=("speculative decoding",))
             for i in range(2)]  # fmt: skip
    mentions = paper("2510.10009", "A general LLM serving system",
                     "The system batches requests. It supports speculative decoding. "
                     "Speculative decoding is one of its options.", upvotes=900,
                     feed_day=day)  # fmt: skip
    topic = parse_topic("speculative decoding")
    assert relevance(mentions, topic) is not None  # it passes the gate ...
    shown = rank([mentions, *about], topic, NOW, 2)
    # ... but the two papers about the topic are shown, in trending order
    assert [r.paper.arxiv_id for r in shown] == ["2510.10001", "2510.10000"]
    with_room = rank([mentions, *about], topic, NOW, 3)
    assert with_room[0].paper.arxiv_id == "2510.10009"  # with room, it is shown, by trending


def test_rank_gates_by_relevance_then_orders_by_trending_score() -> None:
    strong_old = paper("2510.00001", "Value alignment of LLMs", upvotes=90,
                       feed_day=date(2026, 11, 20))  # fmt: skip
    weak_new = paper("2510.00002", "Value alignment in practice", upvotes=30,
                     feed_day=date(2026, 11, 27))  # fmt: skip
    popular_irrelevant = paper("2510.00003", "Video diffusion", upvotes=500,
                               feed_day=date(2026, 11, 27))  # fmt: skip
    ranked = rank(
        [strong_old, weak_new, popular_irrelevant], parse_topic("value alignment"), NOW, 5
    )
    assert [r.paper.arxiv_id for r in ranked] == ["2510.00002", "2510.00001"]  # 30 > 90/2^(7/3)


def test_rank_never_pads_with_irrelevant_papers_and_dedupes() -> None:
    a = paper("2510.00001", "Value alignment", upvotes=5, feed_day=date(2026, 11, 27))
    a_again = paper("2510.00001", "Value alignment", upvotes=9, feed_day=date(2026, 11, 26))
    other = paper("2510.00009", "Protein folding", upvotes=99, feed_day=date(2026, 11, 27))
    ranked = rank([a, a_again, other], parse_topic("value alignment"), NOW, 5)
    assert [(r.paper.arxiv_id, r.paper.upvotes) for r in ranked] == [("2510.00001", 9)]


def test_rank_without_topic_is_plain_trending_order() -> None:
    papers = [paper(f"2510.0000{i}", f"P{i}", upvotes=i, feed_day=date(2026, 11, 27))
              for i in range(1, 8)]  # fmt: skip
    assert [r.paper.upvotes for r in rank(papers, None, NOW, 3)] == [7, 6, 5]
