"""Outbound posts to Slack channels: join when allowed, name every failure."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

# What a person sees when a post fails; one place for all of it.
FAILURE_TEXT = {
    "not_in_channel": "I'm not in this channel. Invite me with `/invite @papers-bot`, then retry.",
    "channel_not_found": "I can't see this channel. Invite me with `/invite @papers-bot` first.",
    "is_archived": "This channel is archived, so I can't post in it.",
    "restricted_action": "Posting in this channel is restricted for apps.",
    "missing_scope": "The app needs to be reinstalled to post here (missing permission).",
    "ratelimited": "Slack is busy right now. Please try again in a minute.",
}
GENERIC_FAILURE = "Slack did not accept the post. Please try again in a minute."
# Errors where answering through the command's response_url still works (DMs, private channels).
NOT_A_MEMBER = {"not_in_channel", "channel_not_found", "method_not_supported_for_channel_type"}


class PostFailed(Exception):
    """Slack refused a post; `code` is Slack's error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    @property
    def user_text(self) -> str:
        return FAILURE_TEXT.get(self.code, GENERIC_FAILURE)


def post_message(client: WebClient, channel: str, text: str, blocks: list[dict[str, Any]]) -> str:
    """Post visibly in `channel` (joining it first if it is public); returns the message ts."""
    try:
        return _post(client, channel, text, blocks)
    except PostFailed as failure:
        if failure.code != "not_in_channel" or not _join(client, channel):
            raise
    return _post(client, channel, text, blocks)


def _post(client: WebClient, channel: str, text: str, blocks: list[dict[str, Any]]) -> str:
    try:
        response = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "unknown_error")
        log.warning("chat.postMessage to %s failed: %s", channel, code)
        raise PostFailed(code) from exc
    return str(response["ts"])


def _join(client: WebClient, channel: str) -> bool:
    try:
        client.conversations_join(channel=channel)
    except SlackApiError as exc:
        log.info("could not join %s: %s", channel, exc.response.get("error"))
        return False
    return True
