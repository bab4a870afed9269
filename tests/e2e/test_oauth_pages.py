"""Hostile visitors to the OAuth pages, through the real WSGI app and the Slack fake: a `team`
that injects parameters into Slack's authorize URL, the state cookie's attributes, the pages'
security headers, and the states abandoned installs leave behind."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select, text

from tests.e2e.test_oauth import Installable, serve_installable
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack

INJECTED = "T1&redirect_uri=https://evil.example/steal&scope=admin,channels:history"
PAGE_HEADERS = {
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


@pytest.fixture
def site(slack: FakeSlack, hf: FakeHuggingFace, database_url: str) -> Iterator[Installable]:
    yield from serve_installable(slack, hf, database_url)


def authorize_link(page: httpx.Response) -> dict[str, list[str]]:
    """The query of the Add to Slack link on the install page, as the browser would follow it."""
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page.text)]
    links = [h for h in hrefs if "/oauth/v2/authorize" in h]
    assert len(links) == 1, page.text
    return parse_qs(urlsplit(links[0]).query, keep_blank_values=True)


def install_page(site: Installable, query: dict[str, str] | None = None) -> httpx.Response:
    page = httpx.get(site.url + "/slack/install", params=query)
    assert page.status_code == 200, page.text
    return page


def test_a_team_that_injects_parameters_never_reaches_slacks_authorize_url(
    site: Installable,
) -> None:
    params = authorize_link(install_page(site, {"team": INJECTED}))
    assert "team" not in params
    assert "redirect_uri" not in params  # none configured: only ours could ever appear
    assert params["scope"] == [",".join(site.runtime.settings.slack_scopes)]
    assert all(len(values) == 1 for values in params.values())
    assert "evil.example" not in str(params)


def test_a_well_formed_team_id_reaches_the_authorize_url(site: Installable) -> None:
    params = authorize_link(install_page(site, {"team": "T0100"}))
    assert params["team"] == ["T0100"]
    assert params["scope"] == [",".join(site.runtime.settings.slack_scopes)]


@pytest.mark.parametrize("team", ["E0100", "t0100", "T0100\n", "T01<b>00"])
def test_an_org_id_or_a_malformed_team_is_left_out_and_the_page_still_works(
    site: Installable, team: str
) -> None:
    params = authorize_link(install_page(site, {"team": team}))
    assert "team" not in params and len(params["state"]) == 1


def test_the_state_cookie_is_secure_http_only_and_same_site_lax(site: Installable) -> None:
    cookie = install_page(site).headers["set-cookie"]
    assert cookie.startswith("slack-app-oauth-state=")
    attributes = [a.strip() for a in cookie.split(";")[1:]]
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= set(attributes)


def test_the_finished_install_deletes_the_cookie_with_the_same_attributes(
    site: Installable,
) -> None:
    site.slack.add_user("U0100", team_id="T0100")
    state = site.start()
    done = site.finish(site.slack.approve_install("T0100", "U0100"), state)
    assert done.status_code == 200, done.text
    cookie = done.headers["set-cookie"]
    assert cookie.startswith("slack-app-oauth-state=deleted;")
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= {
        a.strip() for a in cookie.split(";")[1:]
    }


def assert_secured(page: httpx.Response) -> None:
    assert page.headers["content-type"].startswith("text/html")
    for name, value in PAGE_HEADERS.items():
        assert page.headers.get(name) == value, (name, dict(page.headers))
    policy = {d.split()[0]: d.split()[1:] for d in page.headers["content-security-policy"]
              .split(";") if d.strip()}  # fmt: skip
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "script-src" not in policy  # no scripts at all: default-src 'none' holds
    # what the pages need: inline styles and the Add to Slack button image
    assert "'unsafe-inline'" in policy["style-src"]
    assert "https://platform.slack-edge.com" in policy["img-src"]
    images = re.findall(r'src="(https://[^/"]+)/', page.text)
    assert all(i in policy["img-src"] for i in images)


def test_the_install_page_sends_the_security_headers(site: Installable) -> None:
    page = install_page(site)
    assert_secured(page)
    assert "platform.slack-edge.com" in page.text  # the button image the policy allows


def test_the_success_page_sends_the_security_headers(site: Installable) -> None:
    site.slack.add_user("U0100", team_id="T0100")
    state = site.start()
    done = site.finish(site.slack.approve_install("T0100", "U0100"), state)
    assert done.status_code == 200, done.text
    assert_secured(done)


def test_every_failure_page_sends_the_security_headers(site: Installable) -> None:
    state = site.start()
    denied = site.redirect({"error": "access_denied", "state": state})
    forged = site.finish("some-code", "not-a-state")
    no_cookie = httpx.get(site.url + "/slack/oauth_redirect", params={"code": "c", "state": "s"})
    for page in (denied, forged, no_cookie):
        assert "Add to Slack" in page.text
        assert_secured(page)


def test_json_and_plain_answers_are_left_alone(site: Installable) -> None:
    health = httpx.get(site.url + "/healthz")
    assert "content-security-policy" not in health.headers
    missing = httpx.get(site.url + "/nowhere")
    assert missing.status_code == 404
    assert "content-security-policy" not in missing.headers


def stored_states(site: Installable) -> int:
    with site.runtime.engine.connect() as db:
        rows = db.execute(select(func.count()).select_from(text("slack_oauth_states")))
        return int(rows.scalar_one())


def test_abandoned_install_visits_leave_no_state_rows_once_expired(site: Installable) -> None:
    with ThreadPoolExecutor(4) as pool:
        visits = list(pool.map(lambda _: httpx.get(site.url + "/slack/install").status_code,
                               range(300)))  # fmt: skip
    assert visits == [200] * 300
    assert stored_states(site) == 300
    with site.runtime.engine.begin() as db:  # ten minutes later
        db.execute(text("UPDATE slack_oauth_states SET expire_at = :past"),
                   {"past": datetime(2020, 1, 1)})  # fmt: skip
    assert site.runtime.installations.purge_expired_states() == 300
    assert stored_states(site) == 0
    # and a visitor who comes now still installs
    site.slack.add_user("U0100", team_id="T0100")
    assert site.install("T0100", "U0100").status_code == 200
