import pytest

from bot.slack.parsing import (
    ExportList,
    Help,
    Invalid,
    PreviewDigest,
    SavedList,
    Search,
    SetNote,
    SetSchedule,
    SetSize,
    ShowChannel,
    Subscribe,
    Unsubscribe,
    clean_slack_text,
    parse_command,
)  # fmt: skip

LIMIT_HELP = "`--limit` takes a number from 1 to 10, like `--limit 3`."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("value alignment", Search("value alignment", 5)),
        ("", Search("", 5)),
        ("   ", Search("", 5)),
        ("help", Help()),
        ("HELP me", Help()),
        ("value alignment 3", Search("value alignment", 3)),
        ("diffusion --limit 2", Search("diffusion", 2)),
        ("--limit=7 agents", Search("agents", 7)),
        ("gpt 2024", Search("gpt 2024", 5)),
        ("3", Search("", 3)),
        ("gpt4", Search("gpt4", 5)),
        ("agents --limit 50", Search("agents", 10, "Showing at most 10 papers.")),
        ("agents --limit 0", Invalid(LIMIT_HELP)),
        (
            "agents --limit many",
            Invalid(LIMIT_HELP),
        ),
        ("subscribe value alignment", Subscribe("value alignment")),
        ("subscribe", Subscribe("")),
        ("unsubscribe all", Unsubscribe(None)),
        ("unsubscribe <@U1> agents", Unsubscribe("agents")),
        ("schedule 9:30 Europe/Berlin", SetSchedule("9:30 Europe/Berlin")),
        ("size 7", SetSize(7)),
        ("note on", SetNote(True)),
        ("preview", PreviewDigest()),
        ("saved", SavedList("")),
        ("saved value alignment", SavedList("value alignment")),
        ("export", ExportList("bibtex")),
        ("export md", ExportList("markdown")),
        ("list", ShowChannel()),
        ("list decoding", Search("list decoding", 5)),
    ],
)
def test_parse_command(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<!channel> value <@U123> alignment", "value alignment"),
        ("<#C123|general> topic", "general topic"),
        ("<!subteam^S1|@team> rlhf", "rlhf"),
        ("*bold* _italic_ ~strike~ `code`", "bold italic strike code"),
        ("<https://example.com|label> x", "label x"),
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        ("snake_case stays", "snake_case stays"),
        ("\u201cexact phrase\u201d", '"exact phrase"'),
    ],
)
def test_slack_markup_is_reduced_to_words(raw: str, clean: str) -> None:
    assert clean_slack_text(raw) == clean


@pytest.mark.parametrize(
    "text",
    ["x" * 5000, "(((", "'; DROP TABLE papers; --", ".*+?[](){}|\\^$", "😀 注意力 внимание", '"a'],
)
def test_hostile_text_parses_to_a_bounded_search(text: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Search)
    assert len(parsed.topic) <= 300


@pytest.mark.parametrize(
    "text",
    ["unsubscribe", "size 0", "size 11", "size five", "note maybe", "subscribe " + "x" * 201],
)
def test_channel_subcommands_with_bad_arguments_explain_themselves(text: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Invalid)
    assert "/papers" in parsed.message or "characters" in parsed.message
