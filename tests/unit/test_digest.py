from datetime import UTC, date, datetime

from bot.core.digest import digest_days, header_title, select
from bot.core.models import Paper
from bot.core.topics import parse_topic

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # Friday 03:00 in New York


def p(pid: str, title: str, upvotes: int, day: date) -> Paper:
    return Paper(arxiv_id=pid, title=title, upvotes=upvotes, feed_day=day)


PAPERS = [
    p("2511.00001", "Value alignment of LLMs", 50, date(2026, 11, 26)),
    p("2511.00002", "Value alignment under pressure", 10, date(2026, 11, 25)),
    p("2511.00003", "LLM agents that plan", 80, date(2026, 11, 26)),
    p("2511.00004", "Video diffusion", 300, date(2026, 11, 24)),
]


def test_digest_draws_on_settled_days_before_todays_feed_day() -> None:
    assert digest_days(NOW, 3) == [date(2026, 11, 26), date(2026, 11, 25), date(2026, 11, 24)]
    monday = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert digest_days(monday, 2) == [date(2026, 11, 27), date(2026, 11, 26)]


def test_select_keeps_relevant_unposted_papers_in_trending_order() -> None:
    topics = [parse_topic("value alignment"), parse_topic("agents")]
    chosen = select(PAPERS, topics, {"2511.00001"}, NOW, 5)
    assert [r.paper.arxiv_id for r in chosen] == ["2511.00003", "2511.00002"]
    assert chosen[0].match is not None


def test_unfiltered_digest_takes_everything_and_respects_the_size() -> None:
    chosen = select(PAPERS, [], set(), NOW, 2)
    assert [r.paper.arxiv_id for r in chosen] == ["2511.00004", "2511.00003"]
    assert select(PAPERS, [], set(), NOW, 50)[10:] == []


def test_nothing_new_selects_nothing() -> None:
    assert select(PAPERS, [], {x.arxiv_id for x in PAPERS}, NOW, 5) == []


def test_header_titles() -> None:
    day = date(2026, 11, 27)
    assert header_title(["value alignment"], day) == "Top papers on value alignment, Fri 27 Nov"
    assert header_title([], day) == "Top trending papers, Fri 27 Nov"
    assert header_title(["value alignment", ""], day) == "Top trending papers, Fri 27 Nov"
    assert header_title(list("abcde"), day) == "Top papers on a, b, c and 2 more, Fri 27 Nov"
