import json
from datetime import date
from pathlib import Path

from slack_sdk.models.blocks import Block

from bot.core.models import Match, Paper, Ranked, SearchAnswer
from bot.slack.blocks import (
    answer_message,
    authors_line,
    cut,
    escape,
    help_message,
    paper_blocks,
    shared_message,
    summary_line,
)
from bot.sources.hf import parse_daily

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def validate(blocks: list[dict[str, object]]) -> None:
    """Round-trip through slack_sdk's models: raises on any Block Kit limit violation."""
    assert len(blocks) <= 50
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None
        assert parsed.to_dict() == raw


def hostile_paper(**kw: object) -> Paper:
    fields: dict[str, object] = {
        "arxiv_id": "2511.00001",
        "title": "<!here> Attack <@U1> & <https://evil.example|click> " + "long " * 200,
        "authors": ("<!channel>", "B & C", "D", "E"),
        "abstract": "a < b && c > d. Second sentence.",
        "upvotes": 12,
        "feed_day": date(2026, 11, 27),
        "github_repo": "https://github.com/x/y|<evil>",
        "project_page": "javascript:alert(1)",
    }
    fields.update(kw)
    return Paper(**fields)  # type: ignore[arg-type]


def test_escape_neutralises_mentions_and_links() -> None:
    assert escape("<!here> <@U1> a & b") == "&lt;!here&gt; &lt;@U1&gt; a &amp; b"


def test_cut_respects_the_limit_and_never_splits_an_entity() -> None:
    text = "word &amp; " * 100
    for limit in range(5, 200, 7):
        out = cut(text, limit)
        assert len(out) <= limit
        assert not out.rstrip("…").endswith(("&", "&a", "&am", "&amp"))


def test_hostile_upstream_text_is_escaped_and_unsafe_links_dropped() -> None:
    blocks = paper_blocks(Ranked(hostile_paper(), 1.0, Match(1.0, "matched: x in title")))
    validate(blocks)
    rendered = json.dumps(blocks)
    assert "<!here>" not in rendered
    assert "<!channel>" not in rendered
    assert "<@U1>" not in rendered
    assert "evil" not in rendered.split("arxiv.org")[-1] or "&lt;https://evil" in rendered
    assert "javascript:" not in rendered
    assert "github.com/x/y" not in rendered


def test_paper_blocks_show_everything_a_reader_needs() -> None:
    paper = Paper(
        arxiv_id="2510.26707", title="Value Drifts", authors=("A", "B", "C", "D"),
        abstract="First sentence. Second.", upvotes=42, feed_day=date(2026, 11, 27),
        github_repo="https://github.com/o/r", github_stars=1234,
    )  # fmt: skip
    blocks = paper_blocks(Ranked(paper, 42.0, Match(3.0, "matched: value drifts in title")))
    validate(blocks)
    section = blocks[0]["text"]["text"]  # type: ignore[index]
    assert "<https://huggingface.co/papers/2510.26707|Value Drifts>" in section
    assert "A, B, C et al." in section
    assert "▲ 42 upvotes" in section
    assert "27 Nov 2026" in section
    assert "First sentence." in section and "Second" not in section
    links = blocks[1]["elements"][0]["text"]  # type: ignore[index]
    assert "<https://arxiv.org/abs/2510.26707|arXiv>" in links
    assert "<https://arxiv.org/pdf/2510.26707|PDF>" in links
    assert "<https://github.com/o/r|Code ★ 1.2k>" in links
    assert "matched: value drifts in title" in links
    actions = [e["action_id"] for e in blocks[2]["elements"]]  # type: ignore[index]
    assert actions == ["save_paper", "share_paper"]


def test_summary_prefers_ai_summary_then_first_sentence() -> None:
    assert summary_line(Paper("1", "t", ai_summary="AI says.", abstract="A. B.")) == "AI says."
    assert summary_line(Paper("1", "t", abstract="We study e.g. things. Then.")) in {
        "We study e.g. things.",
        "We study e.g.",
    }
    assert authors_line(()) == "Unknown authors"
    assert authors_line(("A", "B")) == "A, B"


def test_a_full_answer_of_ten_papers_stays_within_block_kit_limits() -> None:
    papers = [hostile_paper(arxiv_id=f"2511.000{i:02d}") for i in range(10)]
    ranked = tuple(Ranked(p, 1.0, Match(1.0, "matched: " + "x" * 500)) for p in papers)
    answer = SearchAnswer("t" * 400, ranked, notes=("note & <b>",))
    text, blocks = answer_message(answer, note="Showing at most 10 papers.")
    validate(blocks)
    assert len(text) <= 3000
    assert sum(len(json.dumps(b)) for b in blocks) < 40_000


def test_empty_answer_says_so_and_offers_labelled_older_matches() -> None:
    older = (Ranked(Paper("2101.00001", "Old protein folding"), 1.0, Match(1.0, "matched")),)
    _, blocks = answer_message(SearchAnswer("protein folding", (), older))
    validate(blocks)
    rendered = json.dumps(blocks)
    assert "Nothing trending on *protein folding*" in rendered
    assert "not trending" in rendered
    _, none = answer_message(SearchAnswer("zzz", ()))
    assert "No older matches either" in json.dumps(none)


def test_help_and_shared_messages_are_valid_block_kit() -> None:
    validate(help_message(7)[1])
    text, blocks = shared_message(hostile_paper(), "U0001")
    validate(blocks)
    assert "<@U0001>" in json.dumps(blocks)
    assert not any(b["type"] == "actions" and len(b["elements"]) > 1 for b in blocks)
    assert "<!here>" not in text


def test_real_sample_papers_render_within_limits() -> None:
    papers = parse_daily(json.loads((SAMPLES / "hf_daily_papers_3.json").read_text()))
    for paper in papers:
        validate(paper_blocks(Ranked(paper, 1.0)))
