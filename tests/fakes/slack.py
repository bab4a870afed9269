"""A Slack Web API fake on loopback, speaking the real wire format.

Point a real client at it::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url)
        client.chat_postMessage(channel="C0001", text="hi")
        assert fake.posted_messages("C0001")[0]["text"] == "hi"

What it serves (all under `fake.url`):

- `/api/<method>`: the Web API. Bodies may be form-encoded (most methods), JSON (slack_sdk
  sends JSON for chat.postMessage / chat.postEphemeral / chat.update / views.publish) or
  multipart. The token comes from `Authorization: Bearer ...`, or from a `token` form field;
  like real Slack, a `token` inside a JSON body is ignored (JSON callers must use the header).
  Answers are HTTP 200 `{"ok": true, ...}` / `{"ok": false, "error": "<code>"}`, except rate
  limits: HTTP 429 + `Retry-After: <int seconds>` + `{"ok": false, "error": "ratelimited"}`.
- `/response/<name>`: a `response_url` (see `response_url()`), answering like hooks.slack.com.
- `/upload/<file_id>`: the upload URL handed out by files.getUploadURLExternal.

The world model is public and mutable: `tokens`, `channels`, `users`. `reset()` clears recorded
traffic and injected faults but keeps the world (tokens, channels, users, messages, views).

Deliberate realism choices (read these before writing a test that disagrees):

- Channel visibility: posting to an unknown channel, to a channel of another team, or to a
  *private* channel / DM the bot is not in gives `channel_not_found` (Slack hides private
  conversations from non-members). A *public* channel the bot is not in gives
  `not_in_channel`, unless the token has the `chat:write.public` scope (not granted by
  default). `add_channel()` makes the default bot user `UBOT` a member unless you pass
  `members=()`.
- Posting with `channel="U..."` (a user id) posts into the bot's DM with that user, as Slack
  does; the user must be known (`add_user`). `messages_tab_enabled = False` makes DM posts fail
  with `messages_tab_disabled`.
- Missing scopes: each token has `scopes`; methods check the scope Slack requires and answer
  `missing_scope` with `needed` / `provided`. The default scope set covers every method here
  except `chat:write.public`.
- Blocks are validated against the Block Kit limits Slack enforces server-side (50 blocks per
  message, 100 per view, section text 3000, header 150, button text 75, ...): violations give
  `invalid_blocks` with `response_metadata.messages` like real Slack; a `blocks` value that is
  not a JSON array gives `invalid_blocks_format`.
- Stored messages get a `block_id` on every block that lacked one, as Slack assigns them.
- response_url: at most `response_url_max_uses` (default 5, like Slack's "5 times within
  30 minutes") accepted posts per URL, then HTTP 404 `used_url`; `expire_response_url()` makes
  it answer HTTP 404 `expired_url`. See `_route_response` for the status-code choice.

Recording is derived from the base class's `calls`, so calls answered by a base-class
`inject(...)` fault are still visible in `api_calls()` (with the injected status).
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import hashlib
import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from tests.fakes.server import Call, FakeServer, Reply

DEFAULT_TOKEN = "xoxb-test"
DEFAULT_TEAM_ID = "T0001"
DEFAULT_BOT_USER_ID = "UBOT"
DEFAULT_BOT_ID = "B0001"
DEFAULT_APP_ID = "A0001"

# Bot scopes granted to tokens by default: everything the methods below need, except
# chat:write.public (so posting into a public channel the bot is not in fails realistically).
DEFAULT_BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "channels:join",
    "channels:read",
    "groups:read",
    "im:read",
    "im:write",
    "users:read",
    "reactions:read",
    "reactions:write",
    "files:write",
)

# Scope each method needs (Slack's granular bot scopes). Methods absent here need none.
METHOD_SCOPES: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "conversations.join": "channels:join",
    "conversations.open": "im:write",
    "conversations.info": "channels:read",
    "users.info": "users:read",
    "reactions.add": "reactions:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}

# Parameters Slack expects as JSON; in form bodies they arrive as JSON strings.
JSON_PARAMS = frozenset(
    {"blocks", "attachments", "view", "files", "metadata", "unfurls", "user_auth_blocks"}
)

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT_CHARS = 40_000

_TZ_LABELS = {
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "JST": "Japan Standard Time",
    "IST": "India Standard Time",
}


# -- model ------------------------------------------------------------------------------------
@dataclass
class TeamBot:
    """What a token stands for. For a bot token `user_id == bot_user_id` (as auth.test says)."""

    team_id: str
    bot_user_id: str | None = DEFAULT_BOT_USER_ID
    bot_id: str | None = DEFAULT_BOT_ID
    user_id: str = ""
    team_name: str = ""
    team_domain: str = ""
    user_name: str = "papers"
    app_id: str = DEFAULT_APP_ID
    enterprise_id: str | None = None
    scopes: tuple[str, ...] = DEFAULT_BOT_SCOPES
    # when set, every call with this token fails with this error (e.g. "token_revoked")
    revoked: str | None = None

    def __post_init__(self) -> None:
        if not self.user_id:
            self.user_id = self.bot_user_id or ""
        if not self.team_name:
            self.team_name = f"Team {self.team_id}"
        if not self.team_domain:
            self.team_domain = self.team_id.lower()


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    archived: bool = False
    members: set[str] = field(default_factory=set)
    # None: visible to every team; otherwise only to tokens of that team
    team_id: str | None = None
    # the other party of a DM
    user: str | None = None
    created: int = field(default_factory=lambda: int(time.time()))


@dataclass
class SlackUser:
    id: str
    team_id: str = DEFAULT_TEAM_ID
    name: str = ""
    real_name: str = ""
    tz: str = "Europe/Berlin"
    is_bot: bool = False
    deleted: bool = False
    locale: str = "en-US"


@dataclass
class UploadedFile:
    id: str
    team_id: str
    user: str
    filename: str
    length: int
    alt_txt: str | None = None
    snippet_type: str | None = None
    content: bytes | None = None
    completed: bool = False
    title: str | None = None
    channels: list[str] = field(default_factory=list)
    initial_comment: str | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class ApiCall:
    """One Web API request as the fake understood it, plus how it was answered.

    `status`/`ok`/`error`/`response` are None while the request is still being handled.
    """

    method: str
    token: str | None
    params: dict[str, Any]
    at: float
    headers: dict[str, str]
    content_type: str
    status: int | None = None
    ok: bool | None = None
    error: str | None = None
    response: Any = None


# -- internals --------------------------------------------------------------------------------
class SlackError(Exception):
    """Raised by method handlers: becomes `{"ok": false, "error": code, **extra}`."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


@dataclass
class _Parsed:
    method: str
    token: str | None
    params: dict[str, Any]
    content_type: str
    problem: str | None = None  # invalid_json / json_not_object / invalid_post_type
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Outcome:
    status: int
    ok: bool | None
    error: str | None
    response: Any


@dataclass
class _MethodFault:
    method: str
    reply: Reply
    times: int


@dataclass
class _ResponseUrlState:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    expired: bool = False


@dataclass
class _Bucket:
    tokens: float
    updated: float


Handler = Callable[[TeamBot, dict[str, Any]], dict[str, Any]]


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _decode_json_params(params: dict[str, Any]) -> None:
    for key in JSON_PARAMS & params.keys():
        value = params[key]
        if isinstance(value, str):
            # if it does not parse, leave it a string: validation reports it as badly formatted
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + body
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    out: dict[str, Any] = {}
    if not msg.is_multipart():
        return out
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            out[name] = data
        else:
            out[name] = data.decode("utf-8", "replace")
    return out


def _parse_api_call(call: Call) -> _Parsed:
    method = call.path[len("/api/") :]
    content_type = call.headers.get("content-type", "")
    ctype = content_type.split(";")[0].strip().lower()
    params: dict[str, Any] = dict(call.query)
    problem: str | None = None
    warnings: list[str] = []
    body_token: str | None = None
    if call.body:
        if ctype == "application/json":
            if "charset" not in content_type.lower():
                warnings.append("missing_charset")
            try:
                decoded = json.loads(call.body.decode("utf-8"))
            except ValueError:
                problem = "invalid_json"
            else:
                if isinstance(decoded, dict):
                    decoded.pop("token", None)  # Slack ignores tokens in JSON bodies
                    params.update(decoded)
                else:
                    problem = "json_not_object"
        elif ctype == "application/x-www-form-urlencoded" or not ctype:
            text = call.body.decode("utf-8", "replace")
            form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
            body_token = form.pop("token", None)
            params.update(form)
        elif ctype == "multipart/form-data":
            form = _parse_multipart(content_type, call.body)
            tok = form.pop("token", None)
            body_token = tok if isinstance(tok, str) else None
            params.update(form)
        else:
            problem = "invalid_post_type"
    query_token = params.pop("token", None)
    _decode_json_params(params)
    token: str | None = None
    auth = call.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[len("bearer ") :].strip() or None
    if token is None:
        token = body_token or query_token
    return _Parsed(method, token, params, content_type, problem, warnings)


def _json_reply(body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    return Reply(200, body, headers=dict(headers or {}))


def _error_body(code: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": code, **extra}


def _short_id(prefix: str, *parts: str, length: int = 10) -> str:
    digest = hashlib.sha1(":".join(parts).encode()).hexdigest().upper()
    return prefix + digest[:length]


def _tz_fields(tz: str) -> tuple[str, int]:
    try:
        now = datetime.now(UTC).astimezone(ZoneInfo(tz))
    except Exception:  # unknown zone: behave like UTC
        return "Coordinated Universal Time", 0
    offset = now.utcoffset()
    abbrev = now.tzname() or "UTC"
    seconds = int(offset.total_seconds()) if offset else 0
    return _TZ_LABELS.get(abbrev, abbrev), seconds


# -- Block Kit validation ---------------------------------------------------------------------
def _check_text(obj: Any, ptr: str, max_len: int, errs: list[str], *, plain_only: bool) -> None:
    if not isinstance(obj, dict):
        errs.append(f"[ERROR] must be an object [json-pointer:{ptr}]")
        return
    kind = obj.get("type")
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if kind not in allowed:
        errs.append(f"[ERROR] must be one of {list(allowed)} [json-pointer:{ptr}/type]")
    text = obj.get("text")
    if not isinstance(text, str):
        errs.append(f"[ERROR] missing required field: text [json-pointer:{ptr}]")
    elif len(text) == 0:
        errs.append(f"[ERROR] must be more than 0 characters [json-pointer:{ptr}/text]")
    elif len(text) > max_len:
        errs.append(f"[ERROR] must be less than {max_len + 1} characters [json-pointer:{ptr}/text]")


def _check_len(value: Any, max_len: int, ptr: str, errs: list[str]) -> None:
    if isinstance(value, str) and len(value) > max_len:
        errs.append(f"[ERROR] must be less than {max_len + 1} characters [json-pointer:{ptr}]")


def _check_element(el: Any, ptr: str, errs: list[str]) -> None:
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        errs.append(f"[ERROR] missing required field: type [json-pointer:{ptr}]")
        return
    _check_len(el.get("action_id"), 255, f"{ptr}/action_id", errs)
    if el["type"] == "button":
        _check_text(el.get("text"), f"{ptr}/text", 75, errs, plain_only=True)
        _check_len(el.get("value"), 2000, f"{ptr}/value", errs)
        _check_len(el.get("url"), 3000, f"{ptr}/url", errs)


def validate_blocks(blocks: Any, *, pointer: str = "/blocks", max_blocks: int = 50) -> list[str]:
    """Slack-style `[ERROR] ... [json-pointer:...]` messages for `blocks` (empty: valid)."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    errs: list[str] = []
    if len(blocks) > max_blocks:
        errs.append(f"[ERROR] no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        ptr = f"{pointer}/{i}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errs.append(f"[ERROR] missing required field: type [json-pointer:{ptr}]")
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            _check_len(block_id, 255, f"{ptr}/block_id", errs)
            if block_id in seen_ids:
                errs.append(f"[ERROR] duplicate block_id [json-pointer:{ptr}/block_id]")
            seen_ids.add(block_id)
        kind = block["type"]
        if kind == "section":
            if "text" not in block and "fields" not in block:
                errs.append(f"[ERROR] must provide either text or fields [json-pointer:{ptr}]")
            if "text" in block:
                _check_text(block["text"], f"{ptr}/text", 3000, errs, plain_only=False)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > 10:
                    errs.append(
                        f"[ERROR] no more than 10 items allowed [json-pointer:{ptr}/fields]"
                    )
                else:
                    for j, f in enumerate(fields):
                        _check_text(f, f"{ptr}/fields/{j}", 2000, errs, plain_only=False)
            if "accessory" in block:
                _check_element(block["accessory"], f"{ptr}/accessory", errs)
        elif kind == "header":
            _check_text(block.get("text"), f"{ptr}/text", 150, errs, plain_only=True)
        elif kind in ("actions", "context"):
            limit = 25 if kind == "actions" else 10
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                errs.append(f"[ERROR] missing required field: elements [json-pointer:{ptr}]")
            elif len(elements) > limit:
                errs.append(
                    f"[ERROR] no more than {limit} items allowed [json-pointer:{ptr}/elements]"
                )
            elif kind == "actions":
                for j, el in enumerate(elements):
                    _check_element(el, f"{ptr}/elements/{j}", errs)
        elif kind == "markdown":
            _check_len(block.get("text"), 12_000, f"{ptr}/text", errs)
    return errs


# -- the fake ---------------------------------------------------------------------------------
class FakeSlack(FakeServer):
    """Slack Web API + response_url + upload URL fake. Thread-safe."""

    def __init__(self, *, ts_base: int | None = None) -> None:
        super().__init__()
        self._state = threading.RLock()
        self._local = threading.local()
        self.tokens: dict[str, TeamBot] = {}
        self.oauth_apps: dict[str, str] = {}  # client_id -> client_secret
        self.refreshes = 0  # refresh-token exchanges (token rotation)
        self._oauth_codes: dict[str, dict[str, Any]] = {}  # code -> grant (None once used)
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, SlackUser] = {}
        self.messages_tab_enabled = True
        self.response_url_max_uses: int | None = 5
        # exceptions raised inside the fake (answered as HTTP 500 fatal_error); should stay empty
        self.errors: list[BaseException] = []
        self._ts_base = int(time.time()) if ts_base is None else ts_base
        self._ts_counter = 0
        self._id_counter = 0
        self._messages: dict[str, dict[str, dict[str, Any]]] = {}
        self._ephemeral: list[dict[str, Any]] = []
        self._views: dict[tuple[str, str], dict[str, Any]] = {}
        self._uploads: dict[str, UploadedFile] = {}
        self._dms: dict[tuple[str, str, str], str] = {}
        self._method_faults: list[_MethodFault] = []
        self._channel_errors: dict[str, str] = {}
        self._outcomes: dict[int, _Outcome] = {}
        self._parsed: dict[int, _Parsed] = {}
        self._response_urls: dict[str, _ResponseUrlState] = {}
        self._post_rate: float | None = None
        self._team_rate: float | None = None
        self._team_burst = 1
        self._post_burst = 3
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "reactions.add": self._reactions_add,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }
        self.add_token(DEFAULT_TOKEN, DEFAULT_TEAM_ID)

    def start(self) -> FakeSlack:
        super().start()
        return self

    def __enter__(self) -> FakeSlack:
        return self.start()

    @property
    def api_url(self) -> str:
        """Pass as `WebClient(base_url=...)`."""
        return self.url + "/api/"

    # -- world setup ----------------------------------------------------------------------------
    def add_token(
        self,
        token: str,
        team_id: str,
        *,
        bot_user_id: str | None = DEFAULT_BOT_USER_ID,
        bot_id: str | None = DEFAULT_BOT_ID,
        user_id: str | None = None,
        team_name: str | None = None,
        team_domain: str | None = None,
        app_id: str = DEFAULT_APP_ID,
        enterprise_id: str | None = None,
        scopes: Iterable[str] | None = None,
    ) -> TeamBot:
        """Register a token. For a user token pass `bot_user_id=None, bot_id=None, user_id=...`.

        The bot user also becomes known to users.info (`is_bot: true`).
        """
        bot = TeamBot(
            team_id=team_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            user_id=user_id or "",
            team_name=team_name or "",
            team_domain=team_domain or "",
            app_id=app_id,
            enterprise_id=enterprise_id,
            scopes=tuple(scopes) if scopes is not None else DEFAULT_BOT_SCOPES,
        )
        with self._state:
            self.tokens[token] = bot
            if bot_user_id and bot_user_id not in self.users:
                self.users[bot_user_id] = SlackUser(
                    id=bot_user_id,
                    team_id=team_id,
                    name=bot.user_name,
                    real_name=bot.user_name,
                    tz="America/Los_Angeles",
                    is_bot=True,
                )
        return bot

    # -- OAuth v2 (oauth.v2.access) ----------------------------------------------------------
    def add_oauth_app(self, client_id: str, client_secret: str) -> None:
        with self._state:
            self.oauth_apps[client_id] = client_secret

    def approve_install(
        self, team_id: str, user_id: str, *, team_name: str | None = None,
        scopes: Iterable[str] | None = None, bot_user_id: str | None = None,
        expires_in: int | None = None,
    ) -> str:  # fmt: skip
        """What Slack does when a person clicks Allow: a one-time code for oauth.v2.access.
        Exchanging it mints a new bot token for the team (a reinstall gets a new token). With
        `expires_in` (an app with token rotation), the token expires and comes with a refresh
        token that `grant_type=refresh_token` exchanges, once, for a new pair."""
        code = f"code-{uuid.uuid4().hex[:12]}"
        with self._state:
            self._oauth_codes[code] = {
                "team_id": team_id, "user_id": user_id,
                "team_name": team_name or f"Team {team_id}",
                "scopes": tuple(scopes) if scopes is not None else DEFAULT_BOT_SCOPES,
                "bot_user_id": bot_user_id or f"UB{team_id}", "expires_in": expires_in,
            }  # fmt: skip
        return code

    def _oauth_v2_access(self, call: Call, parsed: _Parsed) -> Reply:
        """oauth.v2.access: client id and secret (form fields or HTTP Basic) and a code."""
        params = parsed.params
        client_id = str(params.get("client_id") or "")
        secret = str(params.get("client_secret") or "")
        auth = call.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            decoded = base64.b64decode(auth[6:].strip()).decode(errors="replace")
            client_id, _, secret = decoded.partition(":")
        with self._state:
            if client_id not in self.oauth_apps:
                return _json_reply(_error_body("invalid_client_id"))
            if self.oauth_apps[client_id] != secret:
                return _json_reply(_error_body("bad_client_secret"))
            if params.get("grant_type") == "refresh_token":
                key = "refresh:" + str(params.get("refresh_token") or "")
                grant = self._oauth_codes.get(key)
                if not grant:
                    return _json_reply(_error_body("invalid_refresh_token"))
                self._oauth_codes[key] = {}  # single use
                self.refreshes += 1
                grant = {**grant, "expires_in": 43_200}  # rotated tokens last 12 hours
            else:
                grant = self._oauth_codes.get(str(params.get("code") or ""))
                if not grant:
                    return _json_reply(_error_body("invalid_code"))
                self._oauth_codes[str(params["code"])] = {}  # single use
            self._id_counter += 1
            token = f"xoxb-{grant['team_id']}-{self._id_counter}"
        bot = self.add_token(
            token, grant["team_id"], bot_user_id=grant["bot_user_id"],
            bot_id=f"B{grant['team_id']}", team_name=grant["team_name"], scopes=grant["scopes"],
        )  # fmt: skip
        body: dict[str, Any] = {
            "ok": True, "app_id": bot.app_id, "access_token": token, "token_type": "bot",
            "scope": ",".join(grant["scopes"]), "bot_user_id": grant["bot_user_id"],
            "team": {"id": grant["team_id"], "name": grant["team_name"]}, "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant["user_id"], "scope": "", "access_token": None,
                            "token_type": None},
        }  # fmt: skip
        if grant.get("expires_in"):
            refresh = f"xoxe-1-{uuid.uuid4().hex[:16]}"
            with self._state:
                self._oauth_codes["refresh:" + refresh] = dict(grant)
            body.update(refresh_token=refresh, expires_in=grant["expires_in"])
        return _json_reply(body)

    def tokens_for_team(self, team_id: str) -> set[str]:
        with self._state:
            return {token for token, bot in self.tokens.items() if bot.team_id == team_id}

    def revoke_token(self, token: str, error: str = "token_revoked") -> None:
        """Every later call with `token` fails with `error` (token_revoked, account_inactive...)."""
        with self._state:
            self.tokens[token].revoked = error

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_private: bool = False,
        members: Iterable[str] = (DEFAULT_BOT_USER_ID,),
        archived: bool = False,
        team_id: str | None = None,
        user: str | None = None,
    ) -> Channel:
        """Add a conversation. `members` holds user ids; the bot is a member by default.

        Ids starting with `D` are DMs (pass `user=` for the other party). `team_id=None` makes
        the channel visible to every token's team.
        """
        is_im = channel_id.startswith("D")
        channel = Channel(
            id=channel_id,
            name=name if name is not None else ("" if is_im else channel_id.lower()),
            is_private=is_private or is_im,
            is_im=is_im,
            archived=archived,
            members=set(members) | ({user} if user else set()),
            team_id=team_id,
            user=user,
        )
        with self._state:
            self.channels[channel_id] = channel
        return channel

    def add_user(
        self,
        user_id: str,
        tz: str = "Europe/Berlin",
        *,
        name: str | None = None,
        real_name: str | None = None,
        team_id: str = DEFAULT_TEAM_ID,
        is_bot: bool = False,
        deleted: bool = False,
        locale: str = "en-US",
    ) -> SlackUser:
        user = SlackUser(
            id=user_id,
            team_id=team_id,
            name=name or user_id.lower(),
            real_name=real_name or (name or user_id).title(),
            tz=tz,
            is_bot=is_bot,
            deleted=deleted,
            locale=locale,
        )
        with self._state:
            self.users[user_id] = user
        return user

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0001",
        ts: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Seed a message written by a person (e.g. so reactions.add/chat.update can find it)."""
        with self._state:
            ts = ts or self._next_ts()
            msg: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
            if thread_ts:
                msg["thread_ts"] = thread_ts
            self._messages.setdefault(channel, {})[ts] = msg
            return ts

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The stored message (with any `reactions` / `edited`), or None."""
        with self._state:
            msg = self._messages.get(channel, {}).get(ts)
            return json.loads(json.dumps(msg)) if msg is not None else None

    def home_view(self, user_id: str, team_id: str = DEFAULT_TEAM_ID) -> dict[str, Any] | None:
        """The Home tab view last published for `user_id`, or None."""
        with self._state:
            view = self._views.get((team_id, user_id))
            return json.loads(json.dumps(view)) if view is not None else None

    def uploaded_files(self) -> list[UploadedFile]:
        with self._state:
            return list(self._uploads.values())

    # -- fault injection ------------------------------------------------------------------------
    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls to `method` get HTTP 429 with `Retry-After: retry_after`.

        `retry_after` must be an int: slack_sdk's RateLimitErrorRetryHandler does
        `int(headers["retry-after"])`.
        """
        reply = Reply(
            429, _error_body("ratelimited"), headers={"Retry-After": str(int(retry_after))}
        )
        with self._state:
            self._method_faults.append(_MethodFault(method, reply, times))

    def fail(
        self,
        method: str,
        error: str,
        times: int = 1,
        *,
        status: int = 200,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """The next `times` calls to `method` answer `{"ok": false, "error": error, **extra}`."""
        reply = Reply(status, _error_body(error, **(extra or {})))
        with self._state:
            self._method_faults.append(_MethodFault(method, reply, times))

    def enforce_workspace_rate(self, per_second: float | None, *, burst: int = 5) -> None:
        """Answer chat.postMessage with 429 when one workspace posts faster than `per_second`
        (a token bucket per team holding `burst` posts). None: no workspace limit."""
        with self._state:
            self._team_rate, self._team_burst = per_second, burst

    def post_log(self) -> list[dict[str, Any]]:
        """Every chat.postMessage as {team, channel, status, at, paper}: for benches."""
        out = []
        for call in self.api_calls("chat.postMessage"):
            bot = self.tokens.get(call.token or "")
            blocks = call.params.get("blocks") or []
            papers = [b.get("block_id", "") for b in blocks if isinstance(b, dict)
                      and b.get("type") == "actions"]  # fmt: skip
            out.append({
                "team": bot.team_id if bot else None, "channel": call.params.get("channel"),
                "status": call.status, "ok": call.ok, "at": call.at,
                "paper": papers[0] if papers else None,
            })  # fmt: skip
        return out

    def fail_channel(self, channel_id: str, error: str | None) -> None:
        """Every chat.postMessage to `channel_id` answers `error` (None: stop failing)."""
        with self._state:
            if error is None:
                self._channel_errors.pop(channel_id, None)
            else:
                self._channel_errors[channel_id] = error

    def enforce_post_rate(
        self, per_channel_per_second: float | None = 1.0, *, burst: int = 3
    ) -> None:
        """Answer chat.postMessage with 429 when one channel is posted to too fast.

        A token bucket per (team, channel): it holds `burst` posts and refills at
        `per_channel_per_second`. So up to `burst` back-to-back posts pass, then posts must be
        spaced 1/rate apart. Slack documents "1 message per second per channel, bursts
        allowed" without numbers, hence the small default burst. `None` turns it off (the
        default state). Rejected posts do not use up the bucket. Retry-After is the whole
        number of seconds (at least 1) until the next post would pass.
        """
        with self._state:
            self._post_rate = per_channel_per_second
            self._post_burst = burst
            self._buckets.clear()

    def expire_response_url(self, name: str) -> None:
        """Make `response_url(name)` answer HTTP 404 `expired_url` from now on."""
        with self._state:
            self._response_urls.setdefault(name, _ResponseUrlState()).expired = True

    def reset(self) -> None:
        """Forget recorded traffic and all faults/limits; keep tokens, channels, users, messages."""
        super().reset()
        with self._state:
            self._method_faults.clear()
            self._outcomes.clear()
            self._parsed.clear()
            self._response_urls.clear()
            self._ephemeral.clear()
            self._buckets.clear()
            self._post_rate = None
            self.errors.clear()

    # -- recording helpers -----------------------------------------------------------------------
    def api_calls(self, method: str | None = None) -> list[ApiCall]:
        """Every request to `/api/<method>` (all methods when None), in arrival order."""
        prefix = "/api/"
        calls = [c for c in self.calls_to(prefix) if method is None or c.path == prefix + method]
        out: list[ApiCall] = []
        with self._state:
            for c in calls:
                parsed = self._parsed.get(id(c))
                if parsed is None:
                    parsed = _parse_api_call(c)
                    self._parsed[id(c)] = parsed
                outcome = self._outcomes.get(id(c))
                out.append(
                    ApiCall(
                        method=parsed.method,
                        token=parsed.token,
                        params=json.loads(json.dumps(parsed.params, default=repr)),
                        at=c.at,
                        headers=dict(c.headers),
                        content_type=parsed.content_type,
                        status=outcome.status if outcome else None,
                        ok=outcome.ok if outcome else None,
                        error=outcome.error if outcome else None,
                        response=json.loads(json.dumps(outcome.response, default=repr))
                        if outcome
                        else None,
                    )
                )
        return out

    def posted_messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Params of successful chat.postMessage calls, optionally for one channel.

        `channel` matches either the id the caller sent or the resolved one (a `U...` post
        lands in a `D...` channel; both match).
        """
        out = []
        for c in self.api_calls("chat.postMessage"):
            if not c.ok:
                continue
            resolved = c.response.get("channel") if isinstance(c.response, dict) else None
            if channel is None or channel in (c.params.get("channel"), resolved):
                out.append(c.params)
        return out

    def ephemeral_messages(
        self, channel: str | None = None, user: str | None = None
    ) -> list[dict[str, Any]]:
        """Params of successful chat.postEphemeral calls."""
        return [
            c.params
            for c in self.api_calls("chat.postEphemeral")
            if c.ok
            and (channel is None or c.params.get("channel") == channel)
            and (user is None or c.params.get("user") == user)
        ]

    def wait_for_api(self, method: str, count: int = 1, timeout: float = 5.0) -> list[ApiCall]:
        """Wait until `count` calls to `method` have been *answered*; return all answered ones."""
        deadline = time.monotonic() + timeout
        while True:
            done = [c for c in self.api_calls(method) if c.status is not None]
            if len(done) >= count:
                return done
            if time.monotonic() >= deadline:
                seen = sorted({c.method for c in self.api_calls()})
                raise AssertionError(
                    f"expected {count} answered call(s) to {method}, got {len(done)}; "
                    f"methods seen: {seen}"
                )
            time.sleep(0.01)

    def wait_for_posts(
        self, channel: str | None = None, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Wait until `count` successful chat.postMessage calls (to `channel`) happened."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.posted_messages(channel)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} post(s) to {channel or 'any channel'}, got {len(found)}"
                )
            time.sleep(0.01)

    # -- response_url ----------------------------------------------------------------------------
    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response/{name}"

    def responses(self, name: str = "r1") -> list[dict[str, Any]]:
        """JSON bodies accepted (HTTP 200) on `response_url(name)`, in order.

        Posts refused (expired/used/invalid, or answered by a base-class `inject`) are not
        included; see `calls_to("/response/" + name)` for every attempt.
        """
        with self._state:
            state = self._response_urls.get(name)
            return [json.loads(json.dumps(b)) for b in state.accepted] if state else []

    def wait_for_response(
        self, name: str = "r1", count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.responses(name)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                attempts = len(self.calls_to(f"/response/{name}"))
                raise AssertionError(
                    f"expected {count} accepted response(s) on {name}, got {len(found)} "
                    f"({attempts} attempt(s))"
                )
            time.sleep(0.01)

    # -- base-class hooks ----------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        super()._record(call)
        self._local.call = call

    def _take_fault(self, path: str) -> Reply | None:
        reply = super()._take_fault(path)
        call: Call | None = getattr(self._local, "call", None)
        if reply is not None and call is not None and call.path == path:
            self._set_outcome(call, reply)
        return reply

    def _set_outcome(self, call: Call, reply: Reply) -> None:
        body = reply.body
        ok = body.get("ok") if isinstance(body, dict) else None
        error = body.get("error") if isinstance(body, dict) else None
        if error is None and isinstance(body, (str, bytes)) and reply.status >= 400:
            error = body.decode() if isinstance(body, bytes) else body
        with self._state:
            self._outcomes[id(call)] = _Outcome(reply.status, ok, error, body)

    # -- routing -------------------------------------------------------------------------------
    def route(self, call: Call) -> Reply:
        try:
            if call.path == "/_fake/posts":
                reply = Reply(200, self.post_log())
            elif call.path.startswith("/api/"):
                reply = self._route_api(call)
            elif call.path.startswith("/response/"):
                reply = self._route_response(call)
            elif call.path.startswith("/upload/"):
                reply = self._route_upload(call)
            else:
                reply = Reply(404, "not found")
        except Exception as exc:  # a bug in the fake: surface it, answer like a Slack outage
            with self._state:
                self.errors.append(exc)
            reply = Reply(500, _error_body("fatal_error"))
        self._set_outcome(call, reply)
        return reply

    def _route_api(self, call: Call) -> Reply:
        parsed = _parse_api_call(call)
        with self._state:
            self._parsed[id(call)] = parsed
            fault = self._take_method_fault(parsed.method)
            if fault is not None:
                return fault
            if parsed.method == "oauth.v2.access":
                return self._oauth_v2_access(call, parsed)
            handler = self._handlers.get(parsed.method)
            if handler is None:
                return _json_reply(_error_body("unknown_method", req_method=parsed.method))
            if parsed.problem is not None:
                return _json_reply(_error_body(parsed.problem))
            if parsed.token is None:
                return _json_reply(_error_body("not_authed"))
            bot = self.tokens.get(parsed.token)
            if bot is None:
                return _json_reply(_error_body("invalid_auth"))
            if bot.revoked:
                return _json_reply(_error_body(bot.revoked))
            headers = {"X-OAuth-Scopes": ",".join(bot.scopes)}
            needed = METHOD_SCOPES.get(parsed.method)
            if needed is not None:
                headers["X-Accepted-OAuth-Scopes"] = needed
                if needed not in bot.scopes:
                    body = _error_body(
                        "missing_scope", needed=needed, provided=",".join(bot.scopes)
                    )
                    return _json_reply(body, headers)
            params = json.loads(json.dumps(parsed.params, default=repr))
            try:
                if parsed.method == "chat.postMessage":
                    limited = self._check_post_rate(bot, str(params.get("channel") or ""))
                    if limited is not None:
                        return limited
                data = handler(bot, params)
            except SlackError as exc:
                return _json_reply(_error_body(exc.code, **exc.extra), headers)
            warnings = parsed.warnings + data.pop("_warnings", [])
            body = {"ok": True, **data}
            if warnings:
                body["warning"] = ",".join(warnings)
                body.setdefault("response_metadata", {})["warnings"] = warnings
            return _json_reply(body, headers)

    def _take_method_fault(self, method: str) -> Reply | None:
        for fault in self._method_faults:
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self._method_faults.remove(fault)
                return fault.reply
        return None

    def _check_post_rate(self, bot: TeamBot, channel: str) -> Reply | None:
        team_limited = self._take_token(("team", bot.team_id), self._team_rate, self._team_burst)
        if team_limited is not None:
            return team_limited
        return self._take_token((bot.team_id, channel), self._post_rate, self._post_burst)

    def _take_token(self, key: tuple[str, str], rate: float | None, burst: int) -> Reply | None:
        if rate is None or rate <= 0:
            return None
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(burst), now)
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        wait = max(1, math.ceil((1.0 - bucket.tokens) / rate))
        return Reply(429, _error_body("ratelimited"), headers={"Retry-After": str(wait)})

    def _route_response(self, call: Call) -> Reply:
        # hooks.slack.com answers text/html "ok" on success and plain-text error codes
        # otherwise. Refusals of a spent response_url: Slack's docs only say "up to 5 times
        # within 30 minutes"; developers report HTTP 404 with body `expired_url` (after
        # 30 min) and `used_url` (after the 5th use). The reference doc does not list the
        # status codes, so 404 for both is our best knowledge, not a verified fact.
        name = call.path[len("/response/") :]
        if call.method != "POST":
            return Reply(405, "invalid_method")
        with self._state:
            state = self._response_urls.setdefault(name, _ResponseUrlState())
            if state.expired:
                return Reply(404, "expired_url")
            max_uses = self.response_url_max_uses
            if max_uses is not None and len(state.accepted) >= max_uses:
                return Reply(404, "used_url")
            body = self._response_body(call)
            if not isinstance(body, dict):
                return Reply(400, "invalid_payload")
            has_content = any(body.get(k) for k in ("text", "blocks", "attachments"))
            if not has_content and not _truthy(body.get("delete_original")):
                return Reply(400, "no_text")
            if "blocks" in body and validate_blocks(body["blocks"], max_blocks=MAX_MESSAGE_BLOCKS):
                return Reply(400, "invalid_blocks")
            state.accepted.append(body)
            return Reply(200, "ok", headers={"Content-Type": "text/html"})

    @staticmethod
    def _response_body(call: Call) -> Any:
        ctype = call.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if ctype == "application/x-www-form-urlencoded":
                payload = call.form().get("payload")
                return json.loads(payload) if payload is not None else None
            return json.loads(call.body.decode("utf-8"))
        except ValueError:
            return None

    def _route_upload(self, call: Call) -> Reply:
        file_id = call.path[len("/upload/") :]
        if call.method != "POST":
            return Reply(405, "method not allowed")
        with self._state:
            upload = self._uploads.get(file_id)
            if upload is None:
                return Reply(404, "not found")
            upload.content = call.body
        return Reply(200, f"OK - {len(call.body)}")

    # -- helpers -------------------------------------------------------------------------------
    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = self._ts_counter * 100
        return f"{self._ts_base + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._id_counter += 1
        return f"{prefix}{self._id_counter:08d}"

    def _visible_channel(self, bot: TeamBot, channel_id: str) -> Channel:
        """The channel as this token may see it; private ones only when a member."""
        ch = self.channels.get(channel_id)
        if ch is None and channel_id:
            name = channel_id.lstrip("#")
            ch = next((c for c in self.channels.values() if c.name and c.name == name), None)
        if ch is None or (ch.team_id is not None and ch.team_id != bot.team_id):
            raise SlackError("channel_not_found")
        if (ch.is_private or ch.is_im or ch.is_mpim) and bot.user_id not in ch.members:
            raise SlackError("channel_not_found")
        return ch

    def _known_user(self, bot: TeamBot, user_id: str) -> SlackUser:
        user = self.users.get(user_id)
        if user is None or user.team_id != bot.team_id:
            raise SlackError("user_not_found")
        return user

    def _open_dm(self, bot: TeamBot, user_id: str) -> tuple[Channel, bool]:
        key = (bot.team_id, bot.user_id, user_id)
        existing = self._dms.get(key)
        if existing is not None and existing in self.channels:
            return self.channels[existing], False
        cid = _short_id("D", *key)
        ch = Channel(
            id=cid,
            name="",
            is_private=True,
            is_im=True,
            members={bot.user_id, user_id},
            team_id=bot.team_id,
            user=user_id,
        )
        self.channels[cid] = ch
        self._dms[key] = cid
        return ch, True

    def _postable_channel(self, bot: TeamBot, channel_param: Any) -> Channel:
        channel_id = str(channel_param or "")
        if not channel_id:
            raise SlackError("channel_not_found")
        if channel_id[0] in "UW" and channel_id not in self.channels:
            if channel_id not in self.users:
                raise SlackError("channel_not_found")
            self._known_user(bot, channel_id)
            if not self.messages_tab_enabled:
                raise SlackError("messages_tab_disabled")
            return self._open_dm(bot, channel_id)[0]
        ch = self._visible_channel(bot, channel_id)
        if ch.archived:
            raise SlackError("is_archived")
        if ch.is_im and not self.messages_tab_enabled:
            raise SlackError("messages_tab_disabled")
        if bot.user_id not in ch.members:
            public_ok = not ch.is_private and "chat:write.public" in bot.scopes
            if not public_ok:
                raise SlackError("not_in_channel")
        return ch

    @staticmethod
    def _check_content(params: dict[str, Any], *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> None:
        text, blocks = params.get("text"), params.get("blocks")
        attachments, markdown = params.get("attachments"), params.get("markdown_text")
        if markdown and (text or blocks):
            raise SlackError("markdown_text_conflict")
        if blocks is not None and blocks != "":
            if not isinstance(blocks, list):
                raise SlackError("invalid_blocks_format")
            errs = validate_blocks(blocks, max_blocks=max_blocks)
            if errs:
                raise SlackError("invalid_blocks", response_metadata={"messages": errs})
        if attachments is not None and attachments != "":
            if not isinstance(attachments, list):
                raise SlackError("invalid_attachments")
            if len(attachments) > 100:
                raise SlackError("too_many_attachments")
        if not (text or blocks or attachments or markdown):
            raise SlackError("no_text")

    def _message_object(
        self, bot: TeamBot, params: dict[str, Any], ts: str
    ) -> tuple[dict[str, Any], list[str]]:
        warnings: list[str] = []
        text = str(params.get("text") or params.get("markdown_text") or "")
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
            warnings.append("message_truncated")
        msg: dict[str, Any] = {
            "user": bot.user_id,
            "type": "message",
            "ts": ts,
            "bot_id": bot.bot_id,
            "app_id": bot.app_id,
            "text": text,
            "team": bot.team_id,
            "bot_profile": {
                "id": bot.bot_id,
                "app_id": bot.app_id,
                "name": bot.user_name,
                "icons": {"image_36": "", "image_48": "", "image_72": ""},
                "deleted": False,
                "updated": self._ts_base,
                "team_id": bot.team_id,
            },
        }
        blocks = params.get("blocks")
        if isinstance(blocks, list) and blocks:
            filled = []
            for i, block in enumerate(blocks):
                block = dict(block)
                block.setdefault("block_id", _short_id("", ts, str(i), length=5))
                filled.append(block)
            msg["blocks"] = filled
        for key in ("attachments", "thread_ts", "metadata"):
            if params.get(key):
                msg[key] = params[key]
        return msg, warnings

    def _conversation_object(self, ch: Channel, bot: TeamBot) -> dict[str, Any]:
        if ch.is_im:
            return {
                "id": ch.id,
                "created": ch.created,
                "is_im": True,
                "is_org_shared": False,
                "user": ch.user,
                "is_user_deleted": False,
                "priority": 0,
                "context_team_id": ch.team_id or bot.team_id,
            }
        return {
            "id": ch.id,
            "name": ch.name,
            "is_channel": not ch.is_private and not ch.is_mpim,
            "is_group": ch.is_private and not ch.is_mpim,
            "is_im": False,
            "is_mpim": ch.is_mpim,
            "is_private": ch.is_private,
            "created": ch.created,
            "is_archived": ch.archived,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": ch.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": ch.team_id or bot.team_id,
            "is_member": bot.user_id in ch.members,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }

    # -- methods -------------------------------------------------------------------------------
    def _auth_test(self, bot: TeamBot, params: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": f"https://{bot.team_domain}.slack.com/",
            "team": bot.team_name,
            "user": bot.user_name,
            "team_id": bot.team_id,
            "user_id": bot.user_id,
        }
        if bot.bot_id:
            data["bot_id"] = bot.bot_id
        if bot.enterprise_id:
            data["enterprise_id"] = bot.enterprise_id
        data["is_enterprise_install"] = False
        return data

    def _chat_post_message(self, bot: TeamBot, params: dict[str, Any]) -> dict[str, Any]:
        forced = self._channel_errors.get(str(params.get("channel") or ""))
        if forced is not None:
            raise SlackError(forced)
        ch = self._postable_channel(bot, params.get("channel"))
        self._check_content(params)
        ts = self._next_ts()
        msg, warnings = self._message_object(bot, params, ts)
        self._messages.setdefault(ch.id, {})[ts] = msg
        return {
            "channel": ch.id,
            "ts": ts,
            "message": json.loads(json.dumps(msg)),
            "_warnings": warnings,
        }

    def _chat_post_ephemeral(self, bot: TeamBot, params: dict[str, Any]) -> dict[str, Any]:
        ch = self._postable_channel(bot, params.get("channel"))
        # Slack's reference lists user_not_in_channel as the typical error; we give it when
        # `user` is missing (members are not tracked precisely enough to check more).
        if not params.get("user"):
            raise SlackError("user_not_in_channel")
        self._check_content(params)
        ts = self._next_ts()
        self._ephemeral.append({"channel": ch.id, "user": params["user"], "message_ts": ts})
        return {"message_ts": ts}

    def _chat_update(self, bot: TeamBot, params: dict[str, Any]) -> dict[str, Any]:
        ch = self._visible_channel(bot, str(params.get("channel") or ""))
        ts = str(params.get("ts") or "")
        msg = self._messages.get(ch.id, {}).get(ts)
        if msg is None:
            raise SlackError("message_not_found")
        if msg.get("user") != bot.user_id:
            raise SlackError("cant_update_message")
        if ch.archived:
            raise SlackError("is_archived")
        self._check_content(params)
        new_msg, warnings = self._message_object(bot, params, ts)
        if "thread_ts" in msg:
            new_msg["thread_ts"] = msg["thread_ts"]
        if "reactions" in msg:
            new_msg["reactions"] = msg["reactions"]
        new_msg["edited"] = {"user": bot.user_id, "ts": self._next_ts()}
        self._messages[ch.id][ts] = new_msg
        return {
            "channel": ch.id,
            "ts": ts,
            "text": new_msg["text"],
            "message": json.loads(json.dumps(new_msg)),
            "_warnings": warnings,
        }

    def _conversations_join(self, bot: TeamBot, params: dict[str, Any]) -> dict[str, Any]:
        ch = self.channels.get(str(params.get("channel") or ""))
        if ch is None or (ch.team_id is not None and ch.team_id != bot.team_id):
            raise SlackError("channel_not_found")
        if ch.is_private or ch.is_im or ch.is_mpim:
            raise SlackError("method_not_supported_for_channel_type")
        if ch.archived:
            raise SlackError("is_archived")
        data: dict[str, Any] = {}
        if bot.user_id in ch.members:
            data["_warnings"] = ["already_in_channel"]
        ch.members.add(bot.user_id)
        data["channel"] = self._conversation_object(ch, bot)
        return data

    def _conversations_info(self, bot: TeamBot, params: dict[str, Any]) -> dict[str, Any]:
        ch = self._visible_channel(bot, str(params.get("channel") or ""))
        return {"channel": self._conversation_object(ch, bot)}

    def _conversations_open(self, bot: TeamBot, params: dict[str, Any]) -> dict[str, Any]:
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        channel_id = str(params.get("channel") or "")
        full = _truthy(params.get("return_im"))
        if not users:
            if not channel_id:
                raise SlackError("users_list_not_supplied")
            ch = self._visible_channel(bot, channel_id)
            if not (ch.is_im or ch.is_mpim):
                raise SlackError("method_not_supported_for_channel_type")
            created = False
        elif len(users) == 1:
            self._known_user(bot, users[0])
            ch, created = self._open_dm(bot, users[0])
        else:
            if len(users) > 8:
                raise SlackError("too_many_users")
            for u in users:
                self._known_user(bot, u)
            cid = _short_id("G", bot.team_id, *sorted(users))
            created = cid not in self.channels
            if created:
                self.channels[cid] = Channel(
                    id=cid,
                    name="mpdm-" + "--".join(users),
                    is_private=True,
                    is_mpim=True,
                    members={bot.user_id, *users},
                    team_id=bot.team_id,
                )
            ch = self.channels[cid]
        data: dict[str, Any] = {
            "channel": self._conversation_object(ch, bot) if full else {"id": ch.id}
        }
        if not created:
            data["no_op"] = True
            data["already_open"] = True
        return data

    def _users_info(self, bot: TeamBot, params: dict[str, Any]) -> dict[str, Any]:
        user = self._known_user(bot, str(params.get("user") or ""))
        tz_label, tz_offset = _tz_fields(user.tz)
        info: dict[str, Any] = {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "color": "9f69e7",
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": {
                "real_name": user.real_name,
                "display_name": user.name,
                "real_name_normalized": user.real_name,
                "display_name_normalized": user.name,
                "status_text": "",
                "status_emoji": "",
                "avatar_hash": "g" + _short_id("", user.id, length=11).lower(),
                "team": user.team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": self._ts_base,
        }
        if _truthy(params.get("include_locale")):
            info["locale"] = user.locale
        return {"user": info}

    def _views_publish(self, bot: TeamBot, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user_id") or "")
        view = params.get("view")
        if not user_id:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: user_id"]},
            )
        if not isinstance(view, dict):
            raise SlackError(
                "invalid_arguments",
                response_metadata={
                    "messages": ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"]
                },
            )
        errs: list[str] = []
        if view.get("type") != "home":
            errs.append("[ERROR] must be one of ['home'] [json-pointer:/view/type]")
        errs += validate_blocks(view.get("blocks"), pointer="/view/blocks", max_blocks=100)
        if errs:
            raise SlackError("invalid_arguments", response_metadata={"messages": errs})
        key = (bot.team_id, user_id)
        current = self._views.get(key)
        given_hash = params.get("hash")
        if given_hash and current is not None and given_hash != current["hash"]:
            raise SlackError("hash_conflict")
        view_id = current["id"] if current else self._next_id("V")
        published = {
            "id": view_id,
            "team_id": bot.team_id,
            "type": "home",
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "title": {"type": "plain_text", "text": "View Title", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": bot.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": bot.team_id,
            "bot_id": bot.bot_id,
        }
        self._views[key] = published
        return {"view": json.loads(json.dumps(published))}

    def _reactions_add(self, bot: TeamBot, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("name") or "").strip(":")
        channel_id, ts = str(params.get("channel") or ""), str(params.get("timestamp") or "")
        if not channel_id or not ts:
            raise SlackError("no_item_specified")
        if not name:
            raise SlackError("invalid_name")
        ch = self._visible_channel(bot, channel_id)
        if ch.archived:
            raise SlackError("is_archived")
        msg = self._messages.get(ch.id, {}).get(ts)
        if msg is None:
            raise SlackError("message_not_found")
        reactions: list[dict[str, Any]] = msg.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions.append(entry)
        if bot.user_id in entry["users"]:
            raise SlackError("already_reacted")
        entry["users"].append(bot.user_id)
        entry["count"] += 1
        return {}

    def _files_get_upload_url_external(
        self, bot: TeamBot, params: dict[str, Any]
    ) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: filename"]},
            )
        if length < 1:
            raise SlackError("missing_argument")
        file_id = self._next_id("F")
        self._uploads[file_id] = UploadedFile(
            id=file_id,
            team_id=bot.team_id,
            user=bot.user_id,
            filename=filename,
            length=length,
            alt_txt=params.get("alt_txt"),
            snippet_type=params.get("snippet_type"),
        )
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(
        self, bot: TeamBot, params: dict[str, Any]
    ) -> dict[str, Any]:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: files"]},
            )
        channel_ids = [c for c in str(params.get("channels") or "").split(",") if c]
        if params.get("channel_id"):
            channel_ids.insert(0, str(params["channel_id"]))
        targets = [self._postable_channel(bot, c).id for c in channel_ids]
        uploads: list[tuple[UploadedFile, Any]] = []
        for item in files:
            file_id = item.get("id") if isinstance(item, dict) else None
            upload = self._uploads.get(str(file_id))
            if upload is None or upload.team_id != bot.team_id or upload.content is None:
                raise SlackError("file_not_found")
            uploads.append((upload, item.get("title")))
        out = []
        for upload, title in uploads:
            upload.completed = True
            upload.title = title or upload.filename
            upload.channels = targets
            upload.initial_comment = params.get("initial_comment")
            upload.thread_ts = params.get("thread_ts")
            out.append(
                {
                    "id": upload.id,
                    "created": int(time.time()),
                    "timestamp": int(time.time()),
                    "name": upload.filename,
                    "title": upload.title,
                    "mimetype": "application/octet-stream",
                    "filetype": upload.filename.rsplit(".", 1)[-1]
                    if "." in upload.filename
                    else "binary",
                    "user": upload.user,
                    "user_team": upload.team_id,
                    "size": len(upload.content or b""),
                    "url_private": f"{self.url}/files/{upload.id}",
                    "permalink": f"https://{bot.team_domain}.slack.com/files/"
                    f"{upload.user}/{upload.id}",
                }
            )
        return {"files": out}
