"""Build and sign requests exactly as Slack sends them to the app.

- slash commands and interactivity (block_actions) arrive form-encoded
  (`application/x-www-form-urlencoded`); interactivity puts JSON in a single `payload` field;
- Events API deliveries arrive as JSON (`application/json`);
- every request carries `X-Slack-Request-Timestamp` and
  `X-Slack-Signature: v0=hex(HMAC-SHA256(signing_secret, "v0:{ts}:{raw body}"))`.

Sign the exact bytes you send: Bolt verifies the raw body, so re-encoding breaks the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
# the deprecated verification token Slack still puts in payloads (Bolt ignores it)
VERIFICATION_TOKEN = "verification-token-not-used"

_counter = itertools.count(1)


def _compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _trigger_id() -> str:
    n = next(_counter)
    return f"{1_000_000_000 + n}.{2_000_000_000 + n}.{uuid.uuid4().hex[:32]}"


def _action_ts() -> str:
    now = time.time()
    return f"{now:.6f}"


def sign(secret: str, body: bytes | str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers for `body` (timestamp defaults to now)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = b"v0:" + ts.encode("ascii") + b":" + raw
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def slash_command_body(
    text: str,
    *,
    command: str = "/papers",
    team_id: str = "T0001",
    team_domain: str = "papers-test",
    channel_id: str = "C0001",
    channel_name: str | None = None,
    user_id: str = "U0001",
    user_name: str = "alice",
    response_url: str,
    api_app_id: str = "A0001",
    trigger_id: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str | None = None,
    is_enterprise_install: bool = False,
    token: str = VERIFICATION_TOKEN,
) -> bytes:
    """A slash-command POST body, with every field Slack sends, in Slack's order.

    `channel_name` defaults like Slack's: "directmessage" for D… channels, "privategroup" for
    G… ones, otherwise "general".
    """
    if channel_name is None:
        if channel_id.startswith("D"):
            channel_name = "directmessage"
        elif channel_id.startswith("G"):
            channel_name = "privategroup"
        else:
            channel_name = "general"
    fields: list[tuple[str, str]] = [
        ("token", token),
        ("team_id", team_id),
        ("team_domain", team_domain),
    ]
    if enterprise_id is not None:
        fields.append(("enterprise_id", enterprise_id))
        fields.append(("enterprise_name", enterprise_name or ""))
    fields += [
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "true" if is_enterprise_install else "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id or _trigger_id()),
    ]
    return urlencode(fields).encode("ascii")


def block_actions_body(
    action_id: str,
    value: str,
    *,
    team_id: str = "T0001",
    team_domain: str = "papers-test",
    channel_id: str = "C0001",
    channel_name: str = "general",
    user_id: str = "U0001",
    user_name: str = "alice",
    response_url: str,
    container_is_ephemeral: bool = True,
    message_ts: str | None = None,
    block_id: str = "b1",
    button_text: str | None = None,
    message: dict[str, Any] | None = None,
    api_app_id: str = "A0001",
    bot_user_id: str = "UBOT",
    bot_id: str = "B0001",
    trigger_id: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> bytes:
    """A button click (`block_actions`) as Slack posts it: form field `payload=<json>`.

    Clicks on ephemeral messages carry no `message` object (Slack omits it); for normal
    messages a minimal bot message holding the button is included unless `message` is given.
    """
    ts = message_ts or _action_ts()
    text = button_text if button_text is not None else value
    button = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "value": value,
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id,
            "is_ephemeral": container_is_ephemeral,
        },
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
    }
    if not container_is_ephemeral:
        payload["message"] = message or {
            "user": bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": bot_id,
            "app_id": api_app_id,
            "text": text,
            "team": team_id,
            "blocks": [{"type": "actions", "block_id": block_id, "elements": [button]}],
        }
    payload["state"] = {"values": {}}
    payload["response_url"] = response_url
    payload["actions"] = [{**button, "block_id": block_id, "action_ts": _action_ts()}]
    return urlencode({"payload": _compact(payload)}).encode("ascii")


def _event_context(event: Mapping[str, Any], team_id: str, api_app_id: str) -> str:
    item = event.get("item")
    channel = event.get("channel") or (item.get("channel") if isinstance(item, dict) else None)
    ctx = {"et": event.get("type"), "tid": team_id, "aid": api_app_id, "cid": channel}
    return "4-" + base64.urlsafe_b64encode(_compact(ctx).encode()).decode().rstrip("=")


def event_body(
    event: dict[str, Any],
    *,
    team_id: str = "T0001",
    event_id: str | None = None,
    api_app_id: str = "A0001",
    bot_user_id: str = "UBOT",
    event_time: int | None = None,
    enterprise_id: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> bytes:
    """An Events API `event_callback` envelope around `event` (JSON bytes).

    `event_id` defaults to a fresh unique `Ev…` id; reuse one to simulate a redelivery.
    """
    envelope: dict[str, Any] = {
        "token": token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": enterprise_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": enterprise_id,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": _event_context(event, team_id, api_app_id),
    }
    if enterprise_id is not None:
        envelope["enterprise_id"] = enterprise_id
    return _compact(envelope).encode("utf-8")


def _reaction_event(
    kind: str,
    user: str,
    channel: str,
    ts: str,
    reaction: str,
    item_user: str | None,
    event_ts: str | None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "user": user,
        "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": ts},
    }
    # item_user is absent for items not authored by a user (e.g. incoming-webhook posts)
    if item_user is not None:
        event["item_user"] = item_user
    event["event_ts"] = event_ts or _action_ts()
    return event


def reaction_added_event(
    user: str,
    channel: str,
    ts: str,
    reaction: str = "bookmark",
    item_user: str | None = "UBOT",
    event_ts: str | None = None,
) -> dict[str, Any]:
    """The inner `reaction_added` event: `user` reacted with `reaction` on message `ts`."""
    return _reaction_event("reaction_added", user, channel, ts, reaction, item_user, event_ts)


def reaction_removed_event(
    user: str,
    channel: str,
    ts: str,
    reaction: str = "bookmark",
    item_user: str | None = "UBOT",
    event_ts: str | None = None,
) -> dict[str, Any]:
    """The inner `reaction_removed` event (same shape as `reaction_added`)."""
    return _reaction_event("reaction_removed", user, channel, ts, reaction, item_user, event_ts)


def app_home_opened_event(
    user: str, channel: str = "D0001", tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The inner `app_home_opened` event (`view` only when a Home view was published before)."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": _action_ts(),
    }
    if view is not None:
        event["view"] = view
    return event


def url_verification_body(challenge: str, token: str = VERIFICATION_TOKEN) -> bytes:
    return _compact({"token": token, "challenge": challenge, "type": "url_verification"}).encode()


def retry_headers(num: int, reason: str = "http_timeout") -> dict[str, str]:
    """Headers of an Events API redelivery (num 1..3)."""
    return {"X-Slack-Retry-Num": str(num), "X-Slack-Retry-Reason": reason}


def post_signed(
    client: httpx.Client,
    url: str,
    body: bytes,
    secret: str,
    *,
    content_type: str,
    extra_headers: Mapping[str, str] | None = None,
    timestamp: int | None = None,
) -> httpx.Response:
    """POST `body` to `url` with Slack's headers and a valid signature (unless overridden)."""
    headers = {
        "Content-Type": content_type,
        "User-Agent": SLACK_USER_AGENT,
        **sign(secret, body, timestamp),
        **(extra_headers or {}),
    }
    return client.post(url, content=body, headers=headers)
