"""Outbound posts: pacing per channel and per workspace, 429 Retry-After, named failures."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
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
# The channel is gone for good: stop its digests.
CHANNEL_GONE = {"channel_not_found", "is_archived", "method_not_supported_for_channel_type"}
# The workspace's token no longer works: stop the workspace.
WORKSPACE_DEAD = {
    "token_revoked", "account_inactive", "invalid_auth", "not_authed", "team_access_not_granted",
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


class Pacer:
    """Spaces posts: at least `per_channel` seconds apart in a channel and `per_workspace`
    seconds apart in a workspace. Callers reserve a slot and sleep until it comes."""

    def __init__(
        self,
        per_channel: float = 1.0,
        per_workspace: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._per_channel, self._per_workspace = per_channel, per_workspace
        self._clock, self._sleep = clock, sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, team_id: str, channel_id: str) -> None:
        channel_key, team_key = f"{team_id}/{channel_id}", team_id
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(channel_key, 0.0), self._next.get(team_key, 0.0))
            self._next[channel_key] = slot + self._per_channel
            self._next[team_key] = slot + self._per_workspace
        if slot > now:
            self._sleep(slot - now)

    def hold(self, team_id: str, channel_id: str, seconds: float) -> None:
        """Slack said wait (429 Retry-After): nothing more to this channel until then."""
        key = f"{team_id}/{channel_id}"
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), self._clock() + seconds)


class Poster:
    """Posts messages for background jobs: paced, retried on 429 and 5xx, failures named."""

    def __init__(
        self, client: WebClient, pacer: Pacer, retries: int = 3, transient_wait: float = 2.0
    ) -> None:
        self._client, self._pacer, self._retries = client, pacer, retries
        self._transient_wait = transient_wait

    def post(self, team_id: str, channel_id: str, text: str, blocks: list[dict[str, Any]]) -> str:
        """Post visibly in the channel (joining it if public and needed); the message ts."""
        for attempt in range(self._retries + 1):
            self._pacer.wait(team_id, channel_id)
            try:
                return post_message(self._client, channel_id, text, blocks)
            except PostFailed as failure:
                if failure.retry_after is None or attempt == self._retries:
                    raise
                wait = failure.retry_after * 1.0
                if (
                    failure.code != "ratelimited"
                ):  # 5xx and timeouts: back off, a little more each time
                    wait = self._transient_wait * (attempt + 1)
                self._pacer.hold(team_id, channel_id, wait)
                log.info("team=%s channel=%s: %s, retry in %.1fs", team_id, channel_id,
                         failure.code, wait)  # fmt: skip
        raise AssertionError("unreachable")

    def direct_message(self, user_id: str, text: str) -> bool:
        """A one-line DM to a person (e.g. the one who set up a channel); False if it failed."""
        try:
            self._client.chat_postMessage(channel=user_id, text=text)
        except SlackApiError as exc:
            log.warning("DM to %s failed: %s", user_id, exc.response.get("error"))
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
