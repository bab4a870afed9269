"""/papers end to end: signed requests to the real WSGI app, answers at the fake response_url."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.bootstrap import build_runtime
from tests.e2e.conftest import BotServer, running, settings_for
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.server import Reply
from tests.fakes.slack import FakeSlack

VALUE_ALIGNMENT = "2404.10636"
VALUE_FUNCTION_PAPERS = {"2403.03950", "2309.10150", "2110.06169", "2006.04779"}
HOSTILE_ABSTRACT = "2211.17192"


def paper_ids(message: dict[str, Any]) -> list[str]:
    return [
        b["block_id"].removeprefix("paper:")
        for b in message.get("blocks", [])
        if b["type"] == "actions" and b.get("block_id", "").startswith("paper:")
    ]


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False) + message.get("text", "")


def test_topic_command_acks_empty_then_answers_ephemerally_with_relevant_papers(
    bot: BotServer,
) -> None:
    ack = bot.command("value alignment")
    assert ack.status_code == 200
    assert ack.text == ""
    answer = bot.answer()
    assert answer["response_type"] == "ephemeral"
    ids = paper_ids(answer)
    assert VALUE_ALIGNMENT in ids  # with RLHF and preference-optimisation papers, by upvotes
    assert not VALUE_FUNCTION_PAPERS & set(ids)
    rendered = text_of(answer)
    assert "Trending papers: value alignment" in rendered
    assert "matched: value alignment in keywords" in rendered
    assert f"https://arxiv.org/pdf/{VALUE_ALIGNMENT}" in rendered
    assert "▲" in rendered


def test_no_topic_lists_the_top_trending_papers_up_to_the_limit(bot: BotServer) -> None:
    bot.command("")
    default = paper_ids(bot.answer())
    assert len(default) == 5
    bot.command("--limit 8", response="r2")
    assert len(paper_ids(bot.answer("r2"))) == 8
    bot.command("3", response="r3")
    assert paper_ids(bot.answer("r3")) == default[:3]


def test_help_is_answered_in_the_ack_itself(bot: BotServer) -> None:
    ack = bot.command("help")
    assert ack.status_code == 200
    body = ack.json()
    assert "/papers value alignment" in json.dumps(body)
    assert bot.slack.responses("r1") == []


def test_a_topic_nothing_trending_matches_offers_labelled_older_matches(bot: BotServer) -> None:
    bot.command("protein folding")
    rendered = text_of(bot.answer())
    assert "Nothing trending on *protein folding*" in rendered
    assert "not trending" in rendered
    assert "2209.15611" in rendered
    assert bot.hf.calls_to("/api/papers/search")


def test_a_topic_matching_nothing_anywhere_says_so_without_padding(bot: BotServer) -> None:
    bot.command("zymurgy brewing kinetics")
    answer = bot.answer()
    assert paper_ids(answer) == []
    assert "No older matches either" in text_of(answer)


def test_upstream_text_is_escaped_so_nobody_is_pinged(bot: BotServer) -> None:
    bot.command("speculative decoding")
    answer = bot.answer()
    assert HOSTILE_ABSTRACT in paper_ids(answer)
    rendered = text_of(answer)
    assert "<!here>" not in rendered
    assert "<@U123>" not in rendered


@pytest.mark.parametrize(
    "text",
    [
        "   ",
        "x" * 5000,
        "😀🔥 注意力机制",
        "<!channel> <@U123> <#C1|x> *bold*",
        '"unbalanced quote',
        "'; DROP TABLE papers; --",
        ".*+?[](){}|\\^$",
        "the of and",
        "- OR OR",
    ],
)
def test_hostile_topics_get_a_sane_answer(bot: BotServer, text: str) -> None:
    ack = bot.command(text)
    assert ack.status_code == 200
    answer = bot.answer()
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"]
    assert "Traceback" not in text_of(answer)


def test_forged_stale_and_future_signatures_get_401_and_no_answer(bot: BotServer) -> None:
    assert bot.command("value alignment", secret="wrong").status_code == 401
    stale = int(time.time()) - 301
    assert bot.command("value alignment", timestamp=stale).status_code == 401
    future = int(time.time()) + 301
    assert bot.command("value alignment", timestamp=future).status_code == 401
    time.sleep(0.3)
    assert bot.slack.calls_to("/response/") == []
    assert bot.hf.calls == []


def test_a_burst_of_100_commands_fetches_each_feed_day_once(bot: BotServer) -> None:
    bot.hf.slow(0.3, times=7)  # a slow upstream makes concurrent fetches likely
    with ThreadPoolExecutor(25) as pool:
        acks = list(pool.map(lambda i: bot.command("diffusion", response=f"b{i}"), range(100)))
    assert {a.status_code for a in acks} == {200}
    for i in range(100):
        bot.answer(f"b{i}")
    days = [c.query["date"] for c in bot.hf.calls_to("/api/daily_papers")]
    assert sorted(days) == sorted(set(days))
    assert len(days) == 7


def test_hugging_face_down_with_nothing_cached_gets_a_friendly_message(bot: BotServer) -> None:
    bot.hf.fail(503, times=100)
    ack = bot.command("value alignment")
    assert ack.status_code == 200
    rendered = text_of(bot.answer())
    assert "Hugging Face is not answering right now" in rendered
    assert bot.http.get(bot.url + "/healthz").status_code == 200


@pytest.mark.parametrize(
    "fault",
    [
        Reply(429, {"error": "rate limited"}, {"Retry-After": "7", "RateLimit": '"api";r=0;t=7'}),
        Reply(200, b"{not json", {"Content-Type": "application/json"}),
        Reply(500, "Internal Server Error"),
    ],
)
def test_partial_upstream_faults_still_answer_from_the_other_days(
    bot: BotServer, fault: Reply
) -> None:
    bot.hf.inject("/api/daily_papers", fault, times=2)
    bot.command("")
    answer = bot.answer()
    assert len(paper_ids(answer)) == 5
    assert "some days come from earlier data" in text_of(answer)


def test_a_slow_upstream_never_delays_the_ack_of_later_commands(bot: BotServer) -> None:
    bot.hf.slow(2.5, times=7)
    with ThreadPoolExecutor(10) as pool:
        acks = list(pool.map(lambda i: bot.command("agents", response=f"s{i}"), range(10)))
    assert [a.status_code for a in acks] == [200] * 10  # Bolt gives 404 if ack() missed 3 s
    assert all(a.text == "" for a in acks)
    for i in range(10):
        bot.answer(f"s{i}")


def test_weekend_style_empty_lists_are_not_an_error(bot: BotServer) -> None:
    bot.hf.clear_days()
    bot.command("")
    answer = bot.answer()
    assert paper_ids(answer) == []
    assert "No trending papers are available right now" in text_of(answer)


def test_health_and_unknown_paths(bot: BotServer) -> None:
    health = bot.http.get(bot.url + "/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert bot.http.get(bot.url + "/nope").status_code == 404


def test_the_hf_token_goes_to_hugging_face_only(
    slack: FakeSlack, hf: FakeHuggingFace, sqlite_url: str
) -> None:
    runtime = build_runtime(settings_for(slack, hf, sqlite_url, hf_token="hf_secret"))
    with running(runtime) as (url, http):
        bot = BotServer(url, runtime, slack, hf, http)
        for i in range(3):
            bot.command("diffusion", response=f"t{i}")
            bot.answer(f"t{i}")
    assert all(c.headers.get("authorization") == "Bearer hf_secret" for c in hf.calls)
    posts = slack.calls_to("/response/")
    assert len(posts) == 3
    assert not any("authorization" in c.headers for c in posts)
