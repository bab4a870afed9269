"""The WSGI app: Bolt on /slack/events (commands, events, buttons), the OAuth pages, /healthz.

Verify first, then everything else. A POST to /slack/events is bounded (MAX_BODY_BYTES,
413 before the body is read), its signature checked on the raw bytes (401 when it fails), and
only then parsed (400 when Bolt cannot read it). Nothing of an unverified request reaches Bolt,
its listeners or its error handler, least of all its `response_url`.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse

from bot.slack.oauth_pages import secure_html
from bot.slack.verify import signed_by_slack

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1 << 20  # Slack's largest payloads (modal state) are far below 1 MiB
log = logging.getLogger(__name__)


def create_wsgi_app(
    app: App, health: Callable[[], tuple[bool, dict[str, Any]]], signing_secret: str | None,
    clock: Callable[[], float] = time.time,
) -> WSGIApp:  # fmt: skip
    """Route `/healthz` here, signed POSTs to Bolt, the OAuth pages to Bolt's flow (bodiless)."""
    pages = secure_html(SlackRequestHandler(app, path=EVENTS_PATH))

    def wsgi(environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if path == "/healthz" and method in {"GET", "HEAD"}:
            healthy, report = health()
            body = json.dumps({"status": "ok" if healthy else "degraded", **report}).encode()
            return _answer(start_response, 200 if healthy else 503, body, "application/json")
        if path == EVENTS_PATH and method == "POST":
            return _events(app, signing_secret, clock(), environ, start_response)
        # GET /slack/install, /slack/oauth_redirect, or a 404: no body is ever read
        return pages({**environ, "wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"},
                     start_response)  # fmt: skip

    return wsgi


def _events(
    app: App, secret: str | None, now: float, environ: WSGIEnviron, start_response: StartResponse
) -> Iterable[bytes]:
    body = _bounded_body(environ)
    if body is None:
        return _answer(start_response, 413, b"Request body too large")
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    if not signed_by_slack(secret, timestamp, environ.get("HTTP_X_SLACK_SIGNATURE"), body, now):
        if _ssl_check(body):  # Slack's certificate probe of a command URL: nothing acts on it
            return _answer(start_response, 200, b"")
        return _answer(start_response, 401, b"Invalid request signature")
    request = _bolt_request(body, environ)
    if request is None:
        return _answer(start_response, 400, b"Malformed request body")
    response = app.dispatch(request)
    wsgi_response = WsgiHttpResponse(response.status, response.headers, response.body)
    start_response(wsgi_response.status, wsgi_response.get_headers())
    return wsgi_response.get_body()


def _bounded_body(environ: WSGIEnviron) -> bytes | None:
    """The raw body, or None when it is (or claims to be) larger than MAX_BODY_BYTES. A claim
    is refused before anything is read; a chunked body is read only up to the limit."""
    stream = environ.get("wsgi.input")
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    if stream is None:
        return b""
    if declared:
        if not declared.isascii() or not declared.isdigit():
            return b""  # unreadable length: an empty body, which no signature covers
        if int(declared) > MAX_BODY_BYTES:
            return None
        return bytes(stream.read(int(declared)))
    if "chunked" not in str(environ.get("HTTP_TRANSFER_ENCODING") or "").lower():
        return b""
    data = bytes(stream.read(MAX_BODY_BYTES + 1))
    return None if len(data) > MAX_BODY_BYTES else data


def _ssl_check(body: bytes) -> bool:
    """`ssl_check=1` (with a verification token): answered 200 and otherwise ignored, as
    Bolt's own SslCheck middleware does, which runs before its signature check."""
    fields = parse_qs(body.decode("ascii", errors="replace"))
    return fields.get("ssl_check") == ["1"]


def _bolt_request(body: bytes, environ: WSGIEnviron) -> BoltRequest | None:
    """A verified body as Bolt reads it, or None when Bolt cannot: not UTF-8, not JSON where
    JSON belongs, a JSON value that is not an object, or a payload Bolt's context extraction
    trips over (wrong types in `team`, `authorizations` ...)."""
    try:
        text = body.decode("utf-8")
        headers = WsgiHttpRequest(environ).get_headers()
        request = BoltRequest(body=text, query=environ.get("QUERY_STRING", ""), headers=headers)
    except Exception as exc:  # any parse failure of a signed body is a 400
        log.warning("signed request with an unreadable body refused: %s", type(exc).__name__)
        return None
    if not isinstance(request.body, dict) or not slack_shaped(request.body):
        log.warning("signed request whose body is not shaped as Slack's payloads refused")
        return None
    return request


_OBJECT, _TEXT, _NONE = (dict,), (str,), (type(None),)
# The envelope fields Bolt reads before any listener runs (team, user and enterprise lookups,
# listener matching, self-event checks), with the JSON types Slack's payload references give
# them. Bolt assumes these types; a signed body with others would make it raise (a 500).
ENVELOPE: dict[str, tuple[type, ...]] = {
    "type": _TEXT, "event": _OBJECT, "view": _OBJECT, "container": _OBJECT,
    "message": _OBJECT, "team": _OBJECT + _TEXT + _NONE, "user": _OBJECT + _TEXT + _NONE,
    "enterprise": _OBJECT + _TEXT + _NONE, "channel": _OBJECT + _TEXT + _NONE,
    "actions": (list,), "authorizations": (list,), "team_id": _TEXT + _NONE,
    "enterprise_id": _TEXT + _NONE, "user_id": _TEXT, "channel_id": _TEXT, "command": _TEXT,
    "callback_id": _TEXT, "response_url": _TEXT, "trigger_id": _TEXT, "api_app_id": _TEXT,
    "is_enterprise_install": (bool, str), "function_data": _OBJECT, "bot_access_token": _TEXT,
}  # fmt: skip
_INNER: dict[str, tuple[type, ...]] = {  # fields of `event`, `view`, `user`, `team` ... read
    "type": _TEXT, "id": _TEXT, "team_id": _TEXT + _NONE, "enterprise_id": _TEXT + _NONE,
    "bot_id": _TEXT + _NONE, "app_installed_team_id": _TEXT + _NONE, "callback_id": _TEXT,
    "action_id": _TEXT, "block_id": _TEXT, "channel_id": _TEXT, "user_id": _TEXT,
    "is_enterprise_install": (bool, str, type(None)), "subtype": _TEXT + _NONE,
}  # fmt: skip


def slack_shaped(body: dict[str, Any]) -> bool:
    """Does every envelope field Bolt reads have the type Slack sends it with?"""
    for name, value in body.items():
        kinds = ENVELOPE.get(name)
        if kinds is not None and not isinstance(value, kinds):
            return False
        inner = value if name in {"actions", "authorizations"} else [value]
        if kinds is not None and not all(_inner_shaped(item, name) for item in inner):
            return False
    return True


def _inner_shaped(value: Any, name: str) -> bool:
    if not isinstance(value, dict):
        return name not in {"actions", "authorizations"}  # their items are objects
    return all(isinstance(value[k], t) for k, t in _INNER.items() if k in value)


def _answer(
    start_response: StartResponse, status: int, body: bytes, content_type: str = "text/plain"
) -> Iterable[bytes]:
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large",
              503: "Service Unavailable"}[status]  # fmt: skip
    start_response(f"{status} {reason}", [
        ("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(body))),
    ])  # fmt: skip
    return [body]
