"""The slow part of `/papers subscribe|unsubscribe|list|schedule|size|note|preview|resume`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.core.schedule import SCHEDULE_HELP
from bot.slack import channel_messages as msg
from bot.slack.blocks import escape, section
from bot.slack.parsing import (
    PreviewDigest,
    Resume,
    SetNote,
    SetSchedule,
    SetSize,
    ShowChannel,
    Subscribe,
    Unsubscribe,
)  # fmt: skip
from bot.slack.poster import NOT_A_MEMBER, PostFailed, post_message
from bot.subscriptions import SubscriptionService

ChannelCommand = (
    Subscribe | Unsubscribe | ShowChannel | SetSchedule | SetSize | SetNote | PreviewDigest | Resume
)


def run(
    parsed: ChannelCommand, team: str, command: dict[str, Any], respond: Respond,
    client: WebClient, channels: SubscriptionService,
) -> None:  # fmt: skip
    """Carry out one channel command in the authorized workspace `team` and answer: changes
    in the channel, the rest privately."""
    channel = str(command.get("channel_id"))
    user, now = str(command.get("user_id")), datetime.now(UTC)
    if isinstance(parsed, Subscribe):
        _subscribe(parsed, team, channel, user, respond, client, channels)
    elif isinstance(parsed, Unsubscribe):
        result = channels.unsubscribe(team, channel, parsed.topic)
        if result.ok:
            _public(respond, msg.unsubscribed(user, result, parsed.topic))
        else:
            _private(respond, msg.unsubscribe_problem(result, parsed.topic))
    elif isinstance(parsed, ShowChannel):
        text, blocks = msg.channel_status(channels.channel(team, channel))
        respond(text=text, blocks=blocks, response_type="ephemeral")
    elif isinstance(parsed, PreviewDigest):
        text, blocks = msg.preview_message(channels.preview(team, channel, now), now)
        respond(text=text, blocks=blocks, response_type="ephemeral")
    else:
        _setting(parsed, team, channel, user, now, respond, channels)


def _subscribe(
    parsed: Subscribe, team: str, channel: str, user: str, respond: Respond, client: WebClient,
    channels: SubscriptionService,
) -> None:  # fmt: skip
    result = channels.subscribe(team, channel, user, parsed.topic, datetime.now(UTC))
    if not result.ok:
        _private(respond, msg.subscribe_problem(result))
        return
    text = msg.subscribed(user, result)
    try:  # posting the confirmation also proves the bot can post here
        post_message(client, channel, text, [section(text)])
    except PostFailed as failure:
        if failure.code in NOT_A_MEMBER:
            channels.unsubscribe(team, channel, parsed.topic)
            _private(respond, msg.CANNOT_POST)
        else:
            _private(respond, f"Subscribed, but I could not post here: {failure.user_text}")


def _setting(
    parsed: SetSchedule | SetSize | SetNote | Resume, team: str, channel: str, user: str,
    now: datetime, respond: Respond, channels: SubscriptionService,
) -> None:  # fmt: skip
    if isinstance(parsed, SetSchedule):
        result = channels.set_schedule(team, channel, parsed.text, now)
        if result.problem == "bad_schedule":
            _private(respond, escape(result.detail) if parsed.text else SCHEDULE_HELP)
        elif result.ok and result.channel:
            _public(respond, msg.schedule_changed(user, result.channel))
        else:
            _private(respond, msg.NOT_SUBSCRIBED)
        return
    if isinstance(parsed, SetSize):
        result = channels.set_size(team, channel, parsed.size)
        done = f"<@{user}> set this channel's digest to at most {parsed.size} papers."
    elif isinstance(parsed, SetNote):
        result = channels.set_note(team, channel, parsed.on)
        how = "post a one-line note" if parsed.on else "stay quiet"
        done = f"<@{user}> set this channel's digest to {how} on days with nothing new."
    else:
        result = channels.resume(team, channel, now)
        nxt = msg.next_post_text(result.channel) if result.channel else ""
        done = f"<@{user}> resumed this channel's paper digest. Next: {nxt}."
    if result.ok:
        _public(respond, done)
    else:
        _private(respond, msg.NOT_SUBSCRIBED)


def _public(respond: Respond, text: str) -> None:
    respond(text=text, blocks=[section(text)], response_type="in_channel")


def _private(respond: Respond, text: str) -> None:
    respond(text=text, blocks=[section(text)], response_type="ephemeral")
