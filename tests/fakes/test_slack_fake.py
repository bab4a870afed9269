"""The Slack fake, exercised through the real slack_sdk clients (and Bolt for the requests)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.fakes.server import Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import (
    FORM_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    block_actions_body,
    event_body,
    post_signed,
    reaction_added_event,
    retry_headers,
    sign,
    slash_command_body,
)

SECRET = "test-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        f.add_channel("C0001", name="general")
        yield f
        assert f.errors == []  # the fake itself never crashed


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


def _error(exc: pytest.ExceptionInfo[SlackApiError]) -> Any:
    return exc.value.response["error"]


def test_auth_test_has_the_real_shape(fake: FakeSlack, client: WebClient) -> None:
    resp = client.auth_test()
    assert resp.status_code == 200
    assert resp["team_id"] == "T0001"
    assert resp["user_id"] == "UBOT"
    assert resp["bot_id"] == "B0001"
    assert resp["is_enterprise_install"] is False
    assert resp["url"].startswith("https://")
    assert {"team", "user"} <= resp.data.keys()  # type: ignore[union-attr]
    (call,) = fake.api_calls("auth.test")
    assert call.token == "xoxb-test"
    assert call.headers["authorization"] == "Bearer xoxb-test"


def test_post_message_json_body_with_blocks(fake: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*paper*"}}]
    first = client.chat_postMessage(channel="C0001", text="fallback", blocks=blocks)
    second = client.chat_postMessage(channel="C0001", text="again")
    assert first["channel"] == "C0001"
    assert first["ts"] < second["ts"]
    assert first["ts"].split(".")[1] == "000100"
    assert first["message"]["text"] == "fallback"
    assert first["message"]["blocks"][0]["block_id"]  # Slack fills in block ids
    call = fake.api_calls("chat.postMessage")[0]
    assert call.content_type == "application/json;charset=utf-8"
    assert call.params["blocks"] == blocks
    assert [m["text"] for m in fake.posted_messages("C0001")] == ["fallback", "again"]
    assert fake.message("C0001", first["ts"]) is not None


def test_not_in_channel_then_join_then_post(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C0002", name="papers", members=())
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0002", text="hi")
    assert _error(exc) == "not_in_channel"
    joined = client.conversations_join(channel="C0002")
    assert joined["channel"]["id"] == "C0002"
    assert joined["channel"]["is_member"] is True
    assert fake.api_calls("conversations.join")[0].content_type == FORM_CONTENT_TYPE
    assert client.chat_postMessage(channel="C0002", text="hi")["ok"]
    assert len(fake.posted_messages("C0002")) == 1
    again = client.conversations_join(channel="C0002")
    assert again["response_metadata"]["warnings"] == ["already_in_channel"]


def test_private_archived_and_unknown_channels(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("G0001", is_private=True, members=())
    fake.add_channel("C0003", archived=True)
    cases = {"CNOPE": "channel_not_found", "G0001": "channel_not_found", "C0003": "is_archived"}
    for channel, code in cases.items():
        with pytest.raises(SlackApiError) as exc:
            client.chat_postMessage(channel=channel, text="x")
        assert _error(exc) == code
    with pytest.raises(SlackApiError) as exc:
        client.conversations_join(channel="G0001")
    assert _error(exc) == "method_not_supported_for_channel_type"
    assert fake.posted_messages() == []


def test_auth_errors(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        WebClient(token="xoxb-wrong", base_url=fake.api_url).chat_postMessage(
            channel="C0001", text="x"
        )
    assert _error(exc) == "invalid_auth"
    with pytest.raises(SlackApiError) as exc:
        WebClient(base_url=fake.api_url).auth_test()
    assert _error(exc) == "not_authed"
    fake.add_token("xoxb-two", "T0002", bot_user_id="UBOT2", bot_id="B0002")
    assert WebClient(token="xoxb-two", base_url=fake.api_url).auth_test()["team_id"] == "T0002"
    fake.revoke_token("xoxb-two")
    with pytest.raises(SlackApiError) as exc:
        WebClient(token="xoxb-two", base_url=fake.api_url).auth_test()
    assert _error(exc) == "token_revoked"


def test_no_text_and_too_many_blocks(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel="C0001")
    assert _error(exc) == "no_text"
    divider = {"type": "divider"}
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0001", text="x", blocks=[divider] * 51)
    assert _error(exc) == "invalid_blocks"
    assert "no more than 50 items" in exc.value.response["response_metadata"]["messages"][0]
    long_header = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0001", text="x", blocks=[long_header])
    assert _error(exc) == "invalid_blocks"
    assert client.chat_postMessage(channel="C0001", text="x", blocks=[divider] * 50)["ok"]


def test_rate_limit_then_success_with_retry_handler(fake: FakeSlack) -> None:
    client = WebClient(
        token="xoxb-test",
        base_url=fake.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake.rate_limit("chat.postMessage", retry_after=0)
    assert client.chat_postMessage(channel="C0001", text="hi")["ok"]
    calls = fake.api_calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].error == "ratelimited"
    assert len(fake.posted_messages()) == 1


def test_rate_limit_without_handler_raises(fake: FakeSlack, client: WebClient) -> None:
    fake.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0001", text="hi")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"
    assert _error(exc) == "ratelimited"


def test_enforced_post_rate(fake: FakeSlack, client: WebClient) -> None:
    fake.enforce_post_rate(1.0, burst=2)
    client.chat_postMessage(channel="C0001", text="1")
    client.chat_postMessage(channel="C0001", text="2")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0001", text="3")
    assert exc.value.response.status_code == 429
    assert int(exc.value.response.headers["Retry-After"]) >= 1
    fake.add_channel("C0002")
    assert client.chat_postMessage(channel="C0002", text="other channel")["ok"]


def test_fail_injection(fake: FakeSlack, client: WebClient) -> None:
    fake.fail("chat.postMessage", "account_inactive")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0001", text="x")
    assert _error(exc) == "account_inactive"
    assert client.chat_postMessage(channel="C0001", text="x")["ok"]
    # a raw base-class fault is still recorded, with the status it was answered with
    fake.inject("/api/chat.postMessage", Reply(503, "upstream down"))
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0001", text="x")
    statuses = [c.status for c in fake.wait_for_api("chat.postMessage", count=3)]
    assert statuses == [200, 200, 503]
    assert len(fake.posted_messages()) == 1


def test_users_info_tz(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U0001", tz="Europe/Berlin", real_name="Ada Lovelace")
    user = client.users_info(user="U0001")["user"]
    assert user["tz"] == "Europe/Berlin"
    assert user["tz_offset"] in (3600, 7200)
    assert user["tz_label"].startswith("Central European")
    assert user["is_bot"] is False
    assert user["real_name"] == "Ada Lovelace"
    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="UNOPE")
    assert _error(exc) == "user_not_found"


def test_dm_by_user_id_and_conversations_open(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U0001")
    posted = client.chat_postMessage(channel="U0001", text="saved ✓")
    assert posted["channel"].startswith("D")
    opened = client.conversations_open(users="U0001")
    assert opened["channel"]["id"] == posted["channel"]
    assert opened["already_open"] is True
    assert fake.posted_messages("U0001") == fake.posted_messages(posted["channel"])


def test_ephemeral_update_reaction_and_home(fake: FakeSlack, client: WebClient) -> None:
    eph = client.chat_postEphemeral(channel="C0001", user="U0001", text="only you")
    assert eph["message_ts"]
    assert fake.ephemeral_messages("C0001", user="U0001")[0]["text"] == "only you"
    posted = client.chat_postMessage(channel="C0001", text="v1")
    updated = client.chat_update(channel="C0001", ts=posted["ts"], text="v2")
    assert updated["message"]["text"] == "v2"
    client.reactions_add(channel="C0001", timestamp=posted["ts"], name="white_check_mark")
    with pytest.raises(SlackApiError) as exc:
        client.reactions_add(channel="C0001", timestamp=posted["ts"], name="white_check_mark")
    assert _error(exc) == "already_reacted"
    stored = fake.message("C0001", posted["ts"])
    assert stored is not None
    assert stored["reactions"][0]["users"] == ["UBOT"]
    view = {"type": "home", "blocks": [{"type": "divider"}]}
    published = client.views_publish(user_id="U0001", view=view)
    assert published["view"]["type"] == "home"
    assert fake.home_view("U0001") is not None


def test_file_upload_v2_round_trip(fake: FakeSlack, client: WebClient) -> None:
    result = client.files_upload_v2(
        channel="C0001", content="title,url\n", filename="papers.csv", title="Papers"
    )
    assert result["file"]["title"] == "Papers"
    (upload,) = fake.uploaded_files()
    assert upload.content == b"title,url\n"
    assert upload.completed
    assert upload.channels == ["C0001"]
    complete = fake.api_calls("files.completeUploadExternal")[0]
    assert complete.content_type == FORM_CONTENT_TYPE
    assert complete.params["files"] == [{"id": upload.id, "title": "Papers"}]  # decoded JSON


def test_unknown_method(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("papers.nonexistent")
    assert _error(exc) == "unknown_method"


def test_missing_scope(fake: FakeSlack) -> None:
    fake.add_token("xoxb-narrow", "T0001", scopes=("chat:write",))
    with pytest.raises(SlackApiError) as exc:
        WebClient(token="xoxb-narrow", base_url=fake.api_url).conversations_join(channel="C0001")
    assert _error(exc) == "missing_scope"
    assert exc.value.response["needed"] == "channels:join"


def test_response_url_capture(fake: FakeSlack) -> None:
    hook = WebhookClient(fake.response_url("r1"))
    resp = hook.send(text="3 papers on llm agents", response_type="in_channel")
    assert (resp.status_code, resp.body) == (200, "ok")
    (body,) = fake.wait_for_response("r1")
    assert body == {"text": "3 papers on llm agents", "response_type": "in_channel"}
    fake.inject("/response/r2", Reply(404, "expired_url"))
    failed = WebhookClient(fake.response_url("r2")).send(text="late")
    assert (failed.status_code, failed.body) == (404, "expired_url")
    assert fake.responses("r2") == []


def test_response_url_use_limit_and_expiry(fake: FakeSlack) -> None:
    hook = WebhookClient(fake.response_url("r3"))
    statuses = [hook.send(text=f"n{i}").status_code for i in range(6)]
    assert statuses == [200] * 5 + [404]
    assert hook.send(text="x").body == "used_url"
    fake.expire_response_url("r4")
    assert WebhookClient(fake.response_url("r4")).send(text="x").body == "expired_url"


def test_signature_matches_slack_sdk_verifier() -> None:
    body = slash_command_body("llm agents", response_url="http://localhost/response/r1")
    headers = sign(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert verifier.is_valid_request(body.decode(), sign(SECRET, body.decode()))
    ts = int(headers["X-Slack-Request-Timestamp"])
    expected = verifier.generate_signature(timestamp=str(ts), body=body)
    assert sign(SECRET, body, ts)["X-Slack-Signature"] == expected
    assert not verifier.is_valid_request(body, sign("other-secret", body))
    assert not verifier.is_valid_request(body, sign(SECRET, body, int(time.time()) - 301))


def test_slash_command_body_fields() -> None:
    body = slash_command_body("llm agents", response_url="http://x/response/r1")
    fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    assert list(fields) == [
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id",
        "user_name", "command", "text", "api_app_id", "is_enterprise_install",
        "response_url", "trigger_id",
    ]  # fmt: skip
    assert fields["command"] == "/papers"
    assert fields["is_enterprise_install"] == "false"
    assert b"command=%2Fpapers" in body


def _bolt_app(fake: FakeSlack) -> App:
    return App(
        client=WebClient(token="xoxb-test", base_url=fake.api_url),
        signing_secret=SECRET,
    )


def _dispatch(app: App, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> Any:
    headers: dict[str, str | Sequence[str]] = {
        "content-type": content_type,
        **sign(SECRET, body),
        **(extra or {}),
    }
    return app.dispatch(BoltRequest(body=body.decode(), headers=headers))


def test_requests_are_understood_by_bolt(fake: FakeSlack) -> None:
    app = _bolt_app(fake)
    seen: list[str] = []

    @app.command("/papers")
    def papers(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack(text=f"Searching {command['text']}")
        respond(text="done", response_type="in_channel")

    @app.action("save_paper")
    def save(ack: Any, respond: Any, body: dict[str, Any]) -> None:
        ack()
        respond(text=f"saved {body['actions'][0]['value']}", replace_original=False)

    @app.event("reaction_added")
    def reacted(event: dict[str, Any], say: Any) -> None:
        seen.append(event["reaction"])
        say(channel=event["item"]["channel"], text="noted")

    resp = _dispatch(
        app,
        slash_command_body("llm agents", response_url=fake.response_url("r1")),
        FORM_CONTENT_TYPE,
    )
    assert resp.status == 200
    assert resp.body == "Searching llm agents"  # text-only ack() is a plain-text body
    assert fake.wait_for_response("r1")[0]["text"] == "done"

    resp = _dispatch(
        app,
        block_actions_body("save_paper", "2401.00001", response_url=fake.response_url("r2")),
        FORM_CONTENT_TYPE,
    )
    assert resp.status == 200
    assert fake.wait_for_response("r2")[0]["text"] == "saved 2401.00001"

    posted = fake.add_message("C0001", "a paper", user="UBOT")
    event = reaction_added_event("U0001", "C0001", posted)
    resp = _dispatch(app, event_body(event), JSON_CONTENT_TYPE)
    assert resp.status == 200
    assert fake.wait_for_posts("C0001")[0]["text"] == "noted"
    assert seen == ["bookmark"]

    bad = _dispatch(app, event_body(event), JSON_CONTENT_TYPE, {"X-Slack-Signature": "v0=00"})
    assert bad.status == 401
    assert retry_headers(2) == {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}


def test_post_signed_over_http(fake: FakeSlack) -> None:
    # the fake's response_url accepts anything; check the headers post_signed puts on the wire
    body = event_body(reaction_added_event("U0001", "C0001", "1.000100"))
    with httpx.Client() as http:
        resp = post_signed(
            http, fake.response_url("sig"), body, SECRET, content_type=JSON_CONTENT_TYPE
        )
    assert resp.status_code == 400  # not a message: the response_url refuses it
    (call,) = fake.calls_to("/response/sig")
    assert SignatureVerifier(SECRET).is_valid_request(call.body, call.headers)
    assert call.headers["content-type"] == JSON_CONTENT_TYPE


def test_raw_form_and_json_wire_formats(fake: FakeSlack) -> None:
    blocks = [{"type": "divider"}]
    form = {"channel": "C0001", "text": "form", "blocks": json.dumps(blocks)}
    with httpx.Client(base_url=fake.api_url) as http:
        resp = http.post("chat.postMessage", data={**form, "token": "xoxb-test"}).json()
        assert resp["ok"], resp
        # a token inside a JSON body is ignored by Slack: JSON callers must use the header
        resp = http.post("chat.postMessage", json={**form, "token": "xoxb-test"}).json()
        assert resp == {"ok": False, "error": "not_authed"}
        resp = http.post(
            "auth.test", content=b"{nope", headers={"Content-Type": "application/json"}
        ).json()
        assert resp["error"] == "invalid_json"
    first = fake.api_calls("chat.postMessage")[0]
    assert first.token == "xoxb-test"
    assert "token" not in first.params
    assert first.params["blocks"] == blocks  # JSON string in a form field, decoded


def test_concurrent_posts_get_unique_ts(fake: FakeSlack, client: WebClient) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda i: client.chat_postMessage(channel="C0001", text=str(i)), range(40))
        )
    assert len({r["ts"] for r in results}) == 40
    assert len(fake.wait_for_api("chat.postMessage", count=40)) == 40
    assert len(fake.posted_messages("C0001")) == 40
