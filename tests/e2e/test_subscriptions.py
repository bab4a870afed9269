"""Channel subscriptions through signed slash commands, against the Slack fake."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import BotServer


def text_of(message: dict[str, Any]) -> str:
    return message.get("text", "") + json.dumps(message.get("blocks", []))


@pytest.fixture
def berliner(bot: BotServer) -> BotServer:
    bot.slack.add_user("U0001", tz="Europe/Berlin")
    return bot


def test_subscribe_confirms_in_the_channel_with_the_subscribers_zone(berliner: BotServer) -> None:
    bot = berliner
    ack = bot.command("subscribe value alignment")
    assert ack.status_code == 200
    post = bot.slack.wait_for_posts("C0001")[-1]
    assert "<@U0001> subscribed this channel to *value alignment*" in post["text"]
    assert "weekdays at 09:00 (Europe/Berlin)" in post["text"]
    bot.command("list", response="r2")
    status = text_of(bot.answer("r2"))
    assert "value alignment" in status
    assert "Next digest:" in status
    assert "(Europe/Berlin)" in status


def test_subscribing_twice_keeps_one_subscription(berliner: BotServer) -> None:
    bot = berliner
    bot.command("subscribe value alignment")
    bot.slack.wait_for_posts("C0001")
    bot.command("subscribe Value  Alignment", response="r2")
    assert "already follows" in bot.answer("r2")["text"]
    runtime_channel = bot.runtime.store.channel("T0001", "C0001")
    assert runtime_channel is not None
    assert runtime_channel.topics == ("value alignment",)


def test_subscribe_with_no_topic_follows_everything(berliner: BotServer) -> None:
    berliner.command("subscribe")
    post = berliner.slack.wait_for_posts("C0001")[-1]
    assert "*all trending papers*" in post["text"]


def test_subscribe_where_the_bot_cannot_post_stores_nothing(berliner: BotServer) -> None:
    bot = berliner
    bot.slack.add_channel("G0009", name="secret", is_private=True, members=())
    bot.command("subscribe agents", channel="G0009")
    told = bot.answer()
    assert told["response_type"] == "ephemeral"
    assert "I can't post in this conversation" in told["text"]
    assert bot.runtime.store.channel("T0001", "G0009") is None


def test_subscribe_in_a_public_channel_joins_it(berliner: BotServer) -> None:
    bot = berliner
    bot.slack.add_channel("C0002", name="ml", members=())
    bot.command("subscribe agents", channel="C0002")
    assert bot.slack.wait_for_posts("C0002")
    assert bot.slack.api_calls("conversations.join")


def test_unsubscribe_unknown_lists_what_the_channel_follows(berliner: BotServer) -> None:
    bot = berliner
    bot.command("subscribe value alignment")
    bot.slack.wait_for_posts("C0001")
    bot.command("unsubscribe protein folding", response="r2")
    told = bot.answer("r2")
    assert told["response_type"] == "ephemeral"
    assert "does not follow *protein folding*" in told["text"]
    assert "*value alignment*" in told["text"]
    bot.command("unsubscribe all", response="r3")
    done = bot.answer("r3")
    assert done["response_type"] == "in_channel"
    assert bot.runtime.store.channel("T0001", "C0001") is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("schedule 25:99 Mars/Olympus", "not a time of day"),
        ("schedule 09:30 Mars/Olympus", "IANA name"),
        ("schedule", "Valid forms"),
    ],
)
def test_bad_schedules_are_explained_and_change_nothing(
    berliner: BotServer, text: str, says: str
) -> None:
    bot = berliner
    bot.command("subscribe agents")
    bot.slack.wait_for_posts("C0001")
    before = bot.runtime.store.channel("T0001", "C0001")
    bot.command(text, response="r2")
    told = bot.answer("r2")
    assert told["response_type"] == "ephemeral"
    assert says in told["text"]
    assert bot.runtime.store.channel("T0001", "C0001") == before


def test_schedule_size_note_and_resume_change_the_channel_visibly(berliner: BotServer) -> None:
    bot = berliner
    bot.command("subscribe agents")
    bot.slack.wait_for_posts("C0001")
    bot.command("schedule 7:15am Asia/Tokyo daily", response="s")
    assert bot.answer("s")["response_type"] == "in_channel"
    bot.command("size 3", response="z")
    assert "at most 3 papers" in bot.answer("z")["text"]
    bot.command("note on", response="n")
    assert "one-line note" in bot.answer("n")["text"]
    channel = bot.runtime.store.channel("T0001", "C0001")
    assert channel is not None
    assert (channel.schedule.hour, channel.schedule.minute) == (7, 15)
    assert (channel.schedule.zone, channel.schedule.days) == ("Asia/Tokyo", "daily")
    assert (channel.size, channel.note_when_empty) == (3, True)
    bot.runtime.store.update_channel("T0001", "C0001", status="paused", status_reason="x")
    bot.command("resume", response="p")
    assert "resumed" in bot.answer("p")["text"]
    assert bot.runtime.store.channel("T0001", "C0001").status == "active"  # type: ignore[union-attr]


def test_settings_commands_without_a_subscription_say_how_to_start(berliner: BotServer) -> None:
    for i, text in enumerate(["list", "size 3", "schedule 10:00", "preview", "note on"]):
        berliner.command(text, response=f"q{i}")
        assert "no paper digest yet" in berliner.answer(f"q{i}")["text"]


def test_topic_cap_and_hostile_topics(berliner: BotServer) -> None:
    bot = berliner
    for i in range(25):
        bot.command(f"subscribe topic number{i} words", response=f"t{i}")
    bot.slack.wait_for_posts("C0001", count=25, timeout=20)
    bot.command("subscribe one more", response="full")
    assert "25 topics already" in bot.answer("full")["text"]
    ack = bot.command("subscribe " + "x" * 5000, response="long")
    assert "at most 200 characters" in ack.text
    bot.command("subscribe the of and", response="stop")
    assert "no words to match" in bot.answer("stop")["text"]
    channel = bot.runtime.store.channel("T0001", "C0001")
    assert channel is not None
    assert len(channel.topics) == 25


def test_markup_in_topics_is_stored_as_plain_words(berliner: BotServer) -> None:
    berliner.command("subscribe <!channel> *value* <@U9> alignment")
    post = berliner.slack.wait_for_posts("C0001")[-1]
    assert "<!channel>" not in post["text"]
    channel = berliner.runtime.store.channel("T0001", "C0001")
    assert channel is not None
    assert channel.topics == ("value alignment",)


def test_preview_shows_the_next_digest_only_to_the_asker(berliner: BotServer) -> None:
    bot = berliner
    bot.command("subscribe diffusion models")
    bot.slack.wait_for_posts("C0001")
    bot.command("preview", response="pv")
    shown = bot.answer("pv")
    assert shown["response_type"] == "ephemeral"
    assert shown["text"].startswith("Preview of the next digest")
    assert "diffusion" in json.dumps(shown["blocks"]).lower()
    assert (
        len(berliner.slack.posted_messages("C0001")) == 1
    )  # only the confirmation: a preview posts nothing
