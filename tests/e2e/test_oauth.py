"""Installing into any workspace: the OAuth v2 flow against the Slack fake's oauth.v2.access,
per-workspace tokens, isolation between workspaces, and uninstall clean-up."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.bootstrap import Runtime, build_runtime
from bot.core.models import Paper
from bot.storage.saves import SaveStore
from bot.storage.schema import ChannelRow, SaveRow
from tests.e2e.conftest import SECRET, running, settings_for
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, post_signed, slash_command_body

CLIENT_ID, CLIENT_SECRET = "1234.5678", "oauth-secret"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Installable:
    url: str
    runtime: Runtime
    slack: FakeSlack
    http: httpx.Client
    browser_state: str = ""

    def install(self, team_id: str, user_id: str) -> httpx.Response:
        """The whole browser dance: Add to Slack page, Slack's approval, the redirect back."""
        if user_id not in self.slack.users:
            self.slack.add_user(user_id, team_id=team_id)
        state = self.start()
        code = self.slack.approve_install(team_id, user_id)
        return self.finish(code, state)

    def start(self) -> str:
        page = self.http.get(self.url + "/slack/install")
        assert page.status_code == 200
        match = re.search(r"state=([\w-]+)", page.text)
        assert match, page.text
        self.browser_state = self.http.cookies.get("slack-app-oauth-state") or ""
        assert self.browser_state == match.group(1)
        return match.group(1)

    def finish(self, code: str, state: str) -> httpx.Response:
        return self.redirect({"code": code, "state": state})

    def redirect(self, params: dict[str, str]) -> httpx.Response:
        """Slack sends the browser back; the browser brings the state cookie (Secure: set by
        hand, since the test server is plain http)."""
        cookie = {"Cookie": f"slack-app-oauth-state={self.browser_state}"}
        return httpx.get(self.url + "/slack/oauth_redirect", params=params, headers=cookie)

    def command(self, text: str, team_id: str, response: str,
                channel: str = "C0001") -> httpx.Response:  # fmt: skip
        body = slash_command_body(text, team_id=team_id, channel_id=channel,
                                  response_url=self.slack.response_url(response))  # fmt: skip
        return post_signed(httpx.Client(), self.url + "/slack/events", body, SECRET,
                           content_type=FORM)  # fmt: skip

    def raw_event(self, body: dict[str, Any]) -> httpx.Response:
        return post_signed(httpx.Client(), self.url + "/slack/events", json.dumps(body).encode(),
                           SECRET, content_type="application/json")  # fmt: skip

    def event(self, event: dict[str, Any], team_id: str) -> httpx.Response:
        body = event_body(event, team_id=team_id)
        return post_signed(httpx.Client(), self.url + "/slack/events", body, SECRET,
                           content_type="application/json")  # fmt: skip


def serve_installable(
    slack: FakeSlack, hf: FakeHuggingFace, database_url: str, **settings: Any
) -> Iterator[Installable]:
    slack.add_oauth_app(CLIENT_ID, CLIENT_SECRET)
    runtime = build_runtime(settings_for(
        slack, hf, database_url, slack_bot_token=None, slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET, **settings,
    ))  # fmt: skip
    with running(runtime) as (url, http):
        yield Installable(url, runtime, slack, http)


@pytest.fixture
def installable(slack: FakeSlack, hf: FakeHuggingFace, database_url: str) -> Iterator[Installable]:
    yield from serve_installable(slack, hf, database_url)


def test_install_stores_the_workspace_and_greets_the_installer(installable: Installable) -> None:
    done = installable.install("T0100", "U0100")
    assert done.status_code == 200, done.text
    assert installable.runtime.workspaces.token("T0100") is not None
    welcome = installable.slack.posted_messages("U0100")
    assert welcome and "/papers help" in welcome[0]["text"]
    assert "subscribe" in welcome[0]["text"]


def test_a_state_works_once(installable: Installable) -> None:
    state = installable.start()
    first = installable.finish(installable.slack.approve_install("T0100", "U0100"), state)
    assert first.status_code == 200
    again = installable.finish(installable.slack.approve_install("T0100", "U0100"), state)
    assert again.status_code >= 400
    assert "expired or was already used" in again.text


def test_a_missing_or_foreign_state_and_a_denied_install_are_refused_plainly(
    installable: Installable,
) -> None:
    installable.start()
    code = installable.slack.approve_install("T0100", "U0100")
    forged = installable.finish(code, "not-a-state")
    assert forged.status_code >= 400 and "Add to Slack" in forged.text
    state = installable.start()
    denied = installable.redirect({"error": "access_denied", "state": state})
    assert "cancelled the installation" in denied.text
    assert installable.runtime.workspaces.token("T0100") is None


def test_a_code_slack_rejects_is_a_failure_page(installable: Installable) -> None:
    state = installable.start()
    rejected = installable.finish("code-never-issued", state)
    assert rejected.status_code >= 400
    assert "did not accept" in rejected.text or "did not complete" in rejected.text
    assert installable.runtime.workspaces.token("T0100") is None


def test_commands_are_answered_with_each_workspaces_own_token(installable: Installable) -> None:
    installable.install("T0100", "U0100")
    installable.install("T0200", "U0200")
    for team in ("T0100", "T0200"):
        installable.slack.add_channel("C0001", name="research", members=["UBT0100", "UBT0200"])
        ack = installable.command("subscribe diffusion", team, response=f"r-{team}")
        assert ack.status_code == 200
        _eventually(lambda t=team: installable.runtime.store.channel(t, "C0001") is not None)
    tokens = {c.token for c in installable.slack.api_calls("chat.postMessage")}
    assert tokens == {installable.runtime.workspaces.token("T0100"),
                      installable.runtime.workspaces.token("T0200")}  # fmt: skip
    # the same channel id in two workspaces: two channel digests, never crossing
    store = installable.runtime.store
    assert store.channel("T0100", "C0001") is not None
    assert store.channel("T0200", "C0001") is not None
    installable.command("unsubscribe all", "T0100", response="u1")
    _eventually(lambda: store.channel("T0100", "C0001") is None)
    assert store.channel("T0200", "C0001") is not None


def test_a_workspace_that_is_not_installed_is_told_and_logged_once(
    installable: Installable, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for i in range(3):
        ack = installable.command("diffusion", "T0999", response=f"x{i}")
        assert ack.status_code == 200
    lines = [r for r in caplog.records if "T0999" in r.getMessage()]
    assert len(lines) == 1
    assert not installable.slack.api_calls("chat.postMessage")


def test_uninstall_deletes_the_workspace_and_stops_its_digests(installable: Installable) -> None:
    runtime = installable.runtime
    installable.install("T0100", "U0100")
    installable.install("T0200", "U0200")
    installable.slack.add_channel("C0001", name="research", members=["UBT0100", "UBT0200"])
    for team in ("T0100", "T0200"):
        installable.command("subscribe diffusion", team, response=f"s-{team}")
        _eventually(lambda t=team: runtime.store.channel(t, "C0001") is not None)
    now = datetime.now(UTC)
    paper = Paper(arxiv_id="2401.00001", title="A saved paper")
    saves = SaveStore(runtime.engine)
    saves.save("T0100", "U0100", paper, "button", now)
    saves.save("T0200", "U0200", paper, "button", now)
    ack = installable.event({"type": "app_uninstalled"}, "T0100")
    assert ack.status_code == 200
    _eventually(lambda: runtime.store.channel("T0100", "C0001") is None)
    assert runtime.workspaces.token("T0100") is None
    with runtime.engine.connect() as db:
        channels = dict(db.execute(select(ChannelRow.team_id, func.count())
                                   .group_by(ChannelRow.team_id)).all())  # fmt: skip
        kept = dict(db.execute(select(SaveRow.team_id, func.count())
                               .group_by(SaveRow.team_id)).all())  # fmt: skip
    assert channels == {"T0200": 1}
    assert kept == {"T0200": 1}
    assert runtime.store.channel("T0200", "C0001") is not None  # the other workspace is intact


def test_reinstalling_replaces_the_token_and_keeps_the_data(installable: Installable) -> None:
    runtime = installable.runtime
    installable.install("T0100", "U0100")
    installable.slack.add_channel("C0001", name="research", members=["UBT0100", "UBT0200"])
    installable.command("subscribe diffusion", "T0100", response="s1")
    _eventually(lambda: runtime.store.channel("T0100", "C0001") is not None)
    first = runtime.workspaces.token("T0100")
    installable.install("T0100", "U0100")
    assert runtime.workspaces.token("T0100") not in (None, first)
    assert runtime.store.channel("T0100", "C0001") is not None


def _eventually(check: Any, timeout: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_digests_for_three_workspaces_go_out_with_three_tokens(installable: Installable) -> None:
    runtime, slack = installable.runtime, installable.slack
    teams = ("T0100", "T0200", "T0300")
    for team in teams:
        installable.install(team, f"U{team[1:]}")
        slack.add_channel(f"C{team[1:]}", name=f"research-{team}", members=[f"UB{team}"],
                          team_id=team)  # fmt: skip
        installable.command("subscribe", team, response=f"s-{team}", channel=f"C{team[1:]}")
        _eventually(lambda t=team: runtime.store.channel(t, f"C{t[1:]}") is not None)
    due = max(c.next_due_at for t in teams if (c := runtime.store.channel(t, f"C{t[1:]}")))
    report = runtime.digests.send_due_digests(due + timedelta(minutes=1))
    assert report.posted == 15, report.line()
    for team in teams:
        token = runtime.workspaces.token(team)
        posts = [c for c in slack.api_calls("chat.postMessage")
                 if c.params.get("channel") == f"C{team[1:]}" and c.status == 200]  # fmt: skip
        assert len(posts) >= 6  # the confirmation, the header and five papers
        assert {c.token for c in posts} == {token}


def test_revoked_user_tokens_keep_the_install_and_revoked_bot_tokens_end_it(
    installable: Installable,
) -> None:
    runtime = installable.runtime
    installable.install("T0100", "U0100")
    installable.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0100"], "bot": []}},
                      "T0100")  # fmt: skip
    assert runtime.workspaces.token("T0100") is not None
    installable.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBT0100"]}},
                      "T0100")  # fmt: skip
    _eventually(lambda: runtime.workspaces.token("T0100") is None)


def test_an_event_naming_another_team_than_its_installation_is_ignored(
    installable: Installable, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    installable.install("T0100", "U0100")
    installable.install("T0200", "U0200")
    body = json.loads(event_body({"type": "app_home_opened", "user": "U0100", "tab": "home"},
                                 team_id="T0100"))  # fmt: skip
    body["authorizations"][0]["team_id"] = "T0200"
    for _ in range(2):
        assert installable.raw_event(body).status_code == 200
    assert not installable.slack.api_calls("views.publish")
    assert len([r for r in caplog.records if "teams differ" in r.getMessage()]) == 1
    # the same event for its own installation is served
    body["authorizations"][0]["team_id"] = "T0100"
    installable.raw_event(body)
    _eventually(lambda: bool(installable.slack.api_calls("views.publish")))


@pytest.fixture
def rotating(slack: FakeSlack, hf: FakeHuggingFace, database_url: str) -> Iterator[Installable]:
    yield from serve_installable(slack, hf, database_url, slack_token_rotation=True)


def test_with_rotation_an_expiring_token_is_rotated_once_however_many_ask(
    rotating: Installable,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    slack, runtime = rotating.slack, rotating.runtime
    slack.add_user("U0100", team_id="T0100")
    state = rotating.start()
    code = slack.approve_install("T0100", "U0100", expires_in=600)  # inside the 2 h margin
    assert rotating.finish(code, state).status_code == 200
    first = slack.tokens_for_team("T0100")
    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(lambda _: runtime.workspaces.token("T0100"), range(16)))
    assert slack.refreshes == 1  # one rotation, not one per caller
    assert len(tokens) == 1 and tokens.isdisjoint(first)
    ack = rotating.command("diffusion", "T0100", response="r1")
    assert ack.status_code == 200
    rotating.slack.wait_for_response("r1", timeout=10)
    assert slack.refreshes == 1


def test_an_expired_state_is_refused(installable: Installable) -> None:
    from sqlalchemy import text

    state = installable.start()
    with installable.runtime.engine.begin() as db:
        db.execute(text("UPDATE slack_oauth_states SET expire_at = :past"),
                   {"past": datetime(2020, 1, 1)})  # fmt: skip
    expired = installable.finish(installable.slack.approve_install("T0100", "U0100"), state)
    assert expired.status_code >= 400
    assert "expired or was already used" in expired.text
    assert installable.runtime.workspaces.token("T0100") is None
