"""Outbound posts: pacing per channel and per workspace, 429 Retry-After, named failures."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.installs import NotInstalled

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
# The channel is gone for good: stop its digests.
CHANNEL_GONE = {"channel_not_found", "is_archived", "method_not_supported_for_channel_type"}
# The workspace's token no longer works: stop the workspace.
WORKSPACE_DEAD = {
    "token_revoked", "account_inactive", "invalid_auth", "not_authed", "team_access_not_granted",
    "not_installed",
}  # fmt: skip
# Worth trying again later.
TRANSIENT = {
    "ratelimited", "rate_limited", "service_unavailable", "fatal_error", "request_timeout",
    "internal_error", "team_added_to_org", "org_login_required", "connection_error", "http_5xx",
}  # fmt: skip


class PostFailed(Exception):
    """Slack refused a post; `code` is Slack's error code (or connection_error / http_5xx).

    `retry_after` is set when trying again later may work (429, 5xx, timeouts).
    """

    def __init__(self, code: str, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after

    @property
    def user_text(self) -> str:
        return FAILURE_TEXT.get(self.code, GENERIC_FAILURE)


class Poster:
    """Posts for background jobs with each workspace's client; one attempt, failures named."""

    def __init__(self, clients: Callable[[str], WebClient]) -> None:
        self._clients = clients

    def post(self, team_id: str, channel_id: str, text: str, blocks: list[dict[str, Any]]) -> str:
        """Post visibly in the channel (joining it if public and needed); the message ts."""
        try:
            client = self._clients(team_id)
        except NotInstalled:
            raise PostFailed("not_installed") from None
        return post_message(client, channel_id, text, blocks)

    def direct_message(self, team_id: str, user_id: str, text: str) -> bool:
        """A one-line DM to a person (e.g. the one who set up a channel); False if it failed."""
        try:
            self._clients(team_id).chat_postMessage(channel=user_id, text=text)
        except (SlackApiError, OSError, NotInstalled) as exc:
            log.warning("team=%s DM to %s failed: %s", team_id, user_id, exc)
            return False
        return True


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
        raise _failure(exc) from exc
    except OSError as exc:  # connection refused, reset, timed out
        raise PostFailed("connection_error", retry_after=2.0) from exc
    return str(response["ts"])


def _failure(exc: SlackApiError) -> PostFailed:
    status = exc.response.status_code
    code = str(exc.response.get("error") or f"http_{status}")
    if status == 429:
        headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
        raw = headers.get("retry-after", "1")
        value = str(raw[0] if isinstance(raw, list) else raw).strip()
        return PostFailed("ratelimited", retry_after=float(value) if value.isdigit() else 1.0)
    if status >= 500:
        return PostFailed("http_5xx", retry_after=2.0)
    if code in TRANSIENT:
        return PostFailed(code, retry_after=2.0)
    log.warning("chat.postMessage failed: %s", code)
    return PostFailed(code)


def _join(client: WebClient, channel: str) -> bool:
    try:
        client.conversations_join(channel=channel)
    except SlackApiError as exc:
        log.info("could not join %s: %s", channel, exc.response.get("error"))
        return False
    return True
