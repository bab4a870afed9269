"""The OAuth pages' hardening on its own: the authorize URL's team, the state cookie, the headers
(the same through the served app: tests/e2e/test_oauth_pages.py)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth import AuthorizeUrlGenerator
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.slack.oauth_pages import (
    SECURITY_HEADERS,
    CheckedAuthorizeUrlGenerator,
    LaxStateCookies,
    harden,
    secure_html,
    well_formed_team,
)

INJECTION = "T1&redirect_uri=https://evil.example/steal&scope=admin"


def generator() -> CheckedAuthorizeUrlGenerator:
    return CheckedAuthorizeUrlGenerator(
        client_id="1234.5678", redirect_uri="https://bot.example/slack/oauth_redirect",
        scopes=["commands", "chat:write"], user_scopes=[],
    )  # fmt: skip


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_slack_sdks_own_generator_lets_a_team_inject_parameters() -> None:
    """The defect, in slack-sdk: `team` is appended as given."""
    plain = AuthorizeUrlGenerator(client_id="1234.5678", scopes=["commands"],
                                  redirect_uri="https://bot.example/r")  # fmt: skip
    params = query(plain.generate("s1", team=INJECTION))
    assert params["scope"] == ["commands", "admin"]
    assert "https://evil.example/steal" in params["redirect_uri"]


def test_an_injected_team_is_dropped_and_the_rest_of_the_url_is_untouched() -> None:
    params = query(generator().generate("s1", team=INJECTION))
    assert "team" not in params
    assert params["scope"] == ["commands,chat:write"]
    assert params["redirect_uri"] == ["https://bot.example/slack/oauth_redirect"]
    assert params["state"] == ["s1"] and params["client_id"] == ["1234.5678"]


def test_a_well_formed_team_id_is_passed_on() -> None:
    url = generator().generate("s1", team="T0123ABCD")
    assert url.endswith("&team=T0123ABCD")
    assert query(url)["team"] == ["T0123ABCD"]


@pytest.mark.parametrize("team", [
    "", "T", "T1", "t0123abcd", "E0123ABCD", "W0123ABCD", "T0123ABCD\n", " T0123ABCD",
    "T0123-ABCD", "T0123ABCD&scope=admin", "T" + "A" * 31, "T０１２３",
])  # fmt: skip
def test_a_team_that_is_not_a_workspace_id_is_dropped(team: str) -> None:
    assert well_formed_team(team) is None
    assert "team" not in query(generator().generate("s1", team=team))


def test_whatever_the_team_the_url_has_our_parameters_once_and_team_at_most_once() -> None:
    rng = random.Random(11)
    alphabet = "TEW0129AZaz&=?#%+;/ \n\t\x00é"
    for _ in range(2000):
        team = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        params = query(generator().generate("s1", team=team))
        assert set(params) <= {"state", "client_id", "scope", "user_scope", "redirect_uri", "team"}
        assert all(len(values) == 1 for values in params.values())
        assert params["scope"] == ["commands,chat:write"]
        assert params.get("team", [team])[0] == team


def test_the_state_cookie_and_its_deletion_are_secure_http_only_and_same_site_lax() -> None:
    cookies = LaxStateCookies(cookie_name="slack-app-oauth-state", expiration_seconds=600)
    for cookie in (cookies.build_set_cookie_for_new_state("abc"),
                   cookies.build_set_cookie_for_deletion()):  # fmt: skip
        attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite", "path"} <= attributes
        assert "SameSite=Lax" in cookie and "Path=/" in cookie
    assert cookies.build_set_cookie_for_new_state("abc").startswith("slack-app-oauth-state=abc;")
    assert "Max-Age=600" in cookies.build_set_cookie_for_new_state("abc")
    assert "Max-Age=0" in cookies.build_set_cookie_for_deletion()
    assert cookies.is_valid_browser("abc", {"cookie": ["slack-app-oauth-state=abc"]})


class _States(OAuthStateStore):
    def issue(self, *args: Any, **kwargs: Any) -> str:
        return "s1"

    def consume(self, state: str) -> bool:
        return True


def test_hardened_settings_keep_the_client_scopes_redirect_and_cookie_name() -> None:
    settings = harden(OAuthSettings(
        client_id="1234.5678", client_secret="x", scopes=["commands"], user_scopes=[],
        redirect_uri="https://bot.example/r", state_store=_States(),
        authorization_url="http://127.0.0.1:1/oauth/v2/authorize", state_cookie_name="c",
    ))  # fmt: skip
    assert isinstance(settings.authorize_url_generator, CheckedAuthorizeUrlGenerator)
    assert isinstance(settings.state_utils, LaxStateCookies)
    assert settings.state_utils.cookie_name == "c"
    url = settings.authorize_url_generator.generate("s1", team=INJECTION)
    assert url.startswith("http://127.0.0.1:1/oauth/v2/authorize?")
    assert query(url) == {
        "state": ["s1"], "client_id": ["1234.5678"], "scope": ["commands"], "user_scope": [""],
        "redirect_uri": ["https://bot.example/r"],
    }  # fmt: skip


def _app(headers: list[tuple[str, str]]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", headers)
        return [b""]

    return app


def _served(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    secure_html(_app(headers))({}, lambda status, hs, *exc: seen.extend(hs))
    return seen


def test_html_responses_get_the_security_headers_and_others_do_not() -> None:
    html = _served([("Content-Type", "text/html; charset=utf-8"), ("Set-Cookie", "a=b")])
    assert set(SECURITY_HEADERS) <= set(html)
    assert ("Set-Cookie", "a=b") in html
    names = dict(SECURITY_HEADERS)
    assert names["X-Frame-Options"] == "DENY"
    assert names["Referrer-Policy"] == "no-referrer"
    assert names["Content-Security-Policy"].startswith("default-src 'none';")
    assert "frame-ancestors 'none'" in names["Content-Security-Policy"]
    assert _served([("Content-Type", "application/json")]) == [("Content-Type", "application/json")]


def test_a_security_header_already_set_is_not_doubled() -> None:
    html = _served([("content-type", "text/html"), ("x-frame-options", "SAMEORIGIN")])
    assert [v for n, v in html if n.lower() == "x-frame-options"] == ["SAMEORIGIN"]
