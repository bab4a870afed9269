"""Hostile requests to the served app: verify first, nothing of an unverified request is used,
never a 5xx (issue 11). The response_url of every forged body points at the Slack fake, which
records any request the bot makes."""

from __future__ import annotations

import io
import json
import socket
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import BoltContext

from bot.slack.app import on_error
from bot.slack.web import MAX_BODY_BYTES
from tests.e2e.conftest import SECRET, BotServer
from tests.e2e.test_oauth import serve_installable
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import sign, slash_command_body

FORM = "application/x-www-form-urlencoded"


def _outbound(bot: BotServer) -> list[str]:
    """Every request the bot made to Slack beyond auth.test."""
    return [c.path for c in bot.slack.calls_to("/") if c.path != "/api/auth.test"]


def _settle(bot: BotServer) -> None:
    """Let deferred work (the answer pool) run: a signed /papers help is answered in its ack."""
    reply = bot.command("help")
    assert reply.status_code == 200


@pytest.mark.parametrize("timestamp", ["abc", "1.5", "", "1,2", "-5", "99999999999999999999"])
def test_a_timestamp_that_is_not_a_number_is_401_and_its_response_url_is_never_called(
    bot: BotServer, timestamp: str
) -> None:
    """Issue 11: these raised inside verification; the error handler then answered through the
    unverified body's response_url (a request forgery) with a 500 and a traceback."""
    body = slash_command_body("value alignment", response_url=bot.slack.response_url("forged"))
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": "v0=" + "0" * 64}  # fmt: skip
    reply = bot.http.post(bot.url + "/slack/events", content=body, headers=headers)
    assert reply.status_code == 401
    _settle(bot)
    time.sleep(0.2)
    assert not bot.slack.calls_to("/response/forged")


def test_unsigned_wrongly_signed_and_replayed_requests_are_401_and_call_nothing(
    bot: BotServer,
) -> None:
    body = slash_command_body("value alignment", response_url=bot.slack.response_url("forged"))
    attempts = [
        {},
        sign("not-the-secret", body),
        sign(SECRET, body, int(time.time()) - 3600),
        {**sign(SECRET, body), "X-Slack-Signature": "v0=" + "f" * 64},
    ]
    for headers in attempts:
        reply = bot.http.post(bot.url + "/slack/events", content=body,
                              headers={"Content-Type": FORM, **headers})  # fmt: skip
        assert reply.status_code == 401
    tampered = body + b"&text=x"
    reply = bot.http.post(bot.url + "/slack/events", content=tampered,
                          headers={"Content-Type": FORM, **sign(SECRET, body)})  # fmt: skip
    assert reply.status_code == 401
    time.sleep(0.2)
    assert _outbound(bot) == []


def test_slacks_unsigned_certificate_probe_is_200_and_acts_on_nothing(bot: BotServer) -> None:
    body = b"ssl_check=1&token=verification-token"
    reply = bot.http.post(bot.url + "/slack/events", content=body,
                          headers={"Content-Type": FORM})  # fmt: skip
    assert reply.status_code == 200
    assert _outbound(bot) == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"null", "application/json"),
        (b'"text"', "application/json"),
        (b"payload=%7Bbad", FORM),
        (b"payload=%5B1%2C2%5D", FORM),
        (b"\xff\xfe\x00garbage", FORM),
        (b'{"type": "event_callback", "authorizations": 5, "event": "x"}', "application/json"),
        (b'{"team": 5, "type": "block_actions"}', "application/json"),
    ],
)
def test_a_signed_body_bolt_cannot_read_is_400_never_500(
    bot: BotServer, body: bytes, content_type: str
) -> None:
    reply = bot.http.post(bot.url + "/slack/events", content=body,
                          headers={"Content-Type": content_type, **sign(SECRET, body)})  # fmt: skip
    assert reply.status_code == 400
    assert "Traceback" not in reply.text


def test_a_body_claiming_more_than_the_limit_is_refused_before_it_is_read(bot: BotServer) -> None:
    """413 from the Content-Length alone: the server answers while the client has sent only a
    few bytes of the body it announced."""
    host, port = bot.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: " + FORM.encode()
                     + f"\r\nContent-Length: {100 * MAX_BODY_BYTES}\r\n\r\n".encode()
                     + b"token=x")  # fmt: skip
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413")


def test_a_body_at_the_limit_is_read_and_checked(bot: BotServer) -> None:
    body = b"token=x&text=" + b"a" * (MAX_BODY_BYTES - 13)
    assert len(body) == MAX_BODY_BYTES
    reply = bot.http.post(bot.url + "/slack/events", content=body,
                          headers={"Content-Type": FORM})  # fmt: skip
    assert reply.status_code == 401


class _Untouchable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body of a GET to an OAuth page was read")


def test_oauth_pages_never_read_a_body(
    slack: FakeSlack, hf: FakeHuggingFace, database_url: str
) -> None:
    """Bolt's install page reads the declared body (a GET with 100 MB announced waited for it)."""
    for installable in serve_installable(slack, hf, database_url):
        for path in ("/slack/install", "/slack/oauth_redirect"):
            environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
                       "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.input": _Untouchable(),
                       "CONTENT_LENGTH": str(100 * MAX_BODY_BYTES)}  # fmt: skip
            assert _call(installable.runtime.wsgi(), environ) in {200, 302, 400}


def test_the_error_handler_answers_only_a_request_that_passed_verification() -> None:
    told: list[dict[str, Any]] = []

    def respond(**message: Any) -> None:
        told.append(message)

    body = {"response_url": "http://127.0.0.1:9/forged", "team_id": "T1"}
    on_error(RuntimeError("boom"), body, BoltContext(), respond)  # type: ignore[arg-type]
    assert told == []
    verified = BoltContext()
    verified["workspace"] = "T1"
    on_error(RuntimeError("boom"), body, verified, respond)  # type: ignore[arg-type]
    assert len(told) == 1


# -- fuzzing ---------------------------------------------------------------------------------
VOCABULARY = ["type", "event", "team_id", "team", "authorizations", "response_url", "payload",
              "command", "text", "user", "actions", "channel", "item", "view", "token",
              "event_callback", "block_actions", "url_verification", "reaction_added",
              "app_home_opened", "/papers", "enterprise", "is_ext_shared_channel"]  # fmt: skip
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(VOCABULARY) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(VOCABULARY), inner, max_size=5),
    max_leaves=12,
)
_bodies = st.one_of(
    st.binary(max_size=300),
    _json.map(lambda v: json.dumps(v).encode()),
    _json.map(lambda v: urlencode({"payload": json.dumps(v)}).encode()),
    st.dictionaries(st.sampled_from(VOCABULARY), st.text(max_size=12), max_size=6).map(
        lambda d: urlencode(d).encode()
    ),
)
_header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40)
_headers = st.fixed_dictionaries(
    {},
    optional={
        "CONTENT_TYPE": st.sampled_from([FORM, "application/json", "text/plain", ""]),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": _header_text,
        "HTTP_X_SLACK_SIGNATURE": _header_text,
        "HTTP_X_SLACK_RETRY_NUM": _header_text,
        "CONTENT_LENGTH": _header_text,
    },
)


def _call(wsgi: Any, environ: dict[str, Any]) -> int:
    statuses: list[str] = []
    chunks = wsgi(environ, lambda status, headers, *exc: statuses.append(status))
    b"".join(chunks)
    return int(statuses[0].split()[0])


def _environ(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "", "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
        **headers,
    }  # fmt: skip


FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(body=_bodies, headers=_headers)
def test_fuzzed_unsigned_requests_are_refused_and_never_reach_out(
    bot: BotServer, body: bytes, headers: dict[str, str]
) -> None:
    """Arbitrary headers and bodies, straight into the WSGI app: no 5xx, no request made."""
    status = _call(bot.runtime.wsgi(), _environ(body, headers))
    assert status in {401, 413}
    assert _outbound(bot) == []


@FUZZ
@given(body=_bodies, headers=_headers)
def test_fuzzed_signed_requests_are_never_a_5xx(
    bot: BotServer, body: bytes, headers: dict[str, str]
) -> None:
    """Signed ones reach Bolt (and may legitimately act): whatever their shape, never a 5xx."""
    signature = sign(SECRET, body)
    environ = _environ(body, headers)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = signature["X-Slack-Request-Timestamp"]
    environ["HTTP_X_SLACK_SIGNATURE"] = signature["X-Slack-Signature"]
    assert _call(bot.runtime.wsgi(), environ) < 500
