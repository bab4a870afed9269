"""Buttons on /papers answers: Share in channel and Save, as block_actions payloads."""

from __future__ import annotations

import json

from tests.e2e.conftest import BotServer

PAPER = "2404.10636"


def test_share_posts_the_paper_visibly_as_its_own_message(bot: BotServer) -> None:
    assert bot.click("share_paper", PAPER).status_code == 200
    post = bot.slack.wait_for_posts("C0001")[-1]
    blocks = json.dumps(post["blocks"])
    assert f"https://huggingface.co/papers/{PAPER}" in blocks
    assert "Shared by <@U0001>" in blocks
    assert "share_paper" not in blocks  # a shared paper has no second Share button
    assert "save_paper" in blocks
    assert post["text"]


def test_share_in_a_public_channel_joins_it_first(bot: BotServer) -> None:
    bot.slack.add_channel("C0002", name="ml", members=())
    bot.click("share_paper", PAPER, channel="C0002")
    assert bot.slack.wait_for_posts("C0002")
    assert bot.slack.api_calls("conversations.join")[0].params["channel"] == "C0002"


def test_share_where_the_bot_cannot_post_goes_through_the_response_url(bot: BotServer) -> None:
    bot.slack.add_channel("G0003", name="private", is_private=True, members=())
    bot.click("share_paper", PAPER, channel="G0003", response="b3")
    shared = bot.slack.wait_for_response("b3")[-1]
    assert shared["response_type"] == "in_channel"
    assert shared["replace_original"] is False
    assert PAPER in json.dumps(shared["blocks"])


def test_share_in_an_archived_channel_explains_why_not(bot: BotServer) -> None:
    bot.slack.add_channel("C0004", name="old", archived=True)
    bot.click("share_paper", PAPER, channel="C0004", response="b4")
    told = bot.slack.wait_for_response("b4")[-1]
    assert told["response_type"] == "ephemeral"
    assert "archived" in told["text"]


def test_share_of_an_unknown_paper_is_a_clear_message(bot: BotServer) -> None:
    bot.click("share_paper", "9999.99999", response="b5")
    told = bot.slack.wait_for_response("b5")[-1]
    assert "not available" in told["text"]
    assert bot.slack.posted_messages() == []


def test_share_of_a_paper_outside_the_cache_is_looked_up(bot: BotServer) -> None:
    bot.click("share_paper", "1706.03741")  # in Hugging Face's search corpus only
    post = bot.slack.wait_for_posts("C0001")[-1]
    assert "1706.03741" in json.dumps(post["blocks"])
