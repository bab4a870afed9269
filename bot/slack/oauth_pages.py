"""The OAuth pages made safe to serve to anyone: /slack/install and /slack/oauth_redirect.

- Only a well-formed team id (`T` then capitals and digits) reaches Slack's authorize URL, and it
  is encoded: slack-sdk appends `?team=` as given, so `team=T1%26scope%3Dadmin` would add
  parameters of the visitor's choosing to the URL the installer is sent to.
- The state cookie is `Secure; HttpOnly; SameSite=Lax; Path=/` (Lax: Slack's redirect back is a
  top-level GET, which still carries it; a cross-site subrequest does not).
- Every text/html response gets SECURITY_HEADERS: no scripts, no framing, no referrer (the
  install page's URL carries the OAuth state).

`harden(oauth_settings)` puts the first two into Bolt's OAuthSettings (its constructor has no
keyword for them: they are public attributes Bolt reads when App builds its OAuthFlow, so call it
before `App(...)`); `secure_html(wsgi_app)` adds the headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth import AuthorizeUrlGenerator, OAuthStateUtils

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]

# Workspace ids are `T` + upper-case letters and digits (T0123ABCD). Org (Enterprise Grid) ids
# start with `E` and are not what oauth/v2/authorize's `team` parameter takes.
TEAM_ID = re.compile(r"T[A-Z0-9]{2,30}")

# Exactly what Bolt's install page, slack-sdk's success and failure pages and our own failure
# page need: inline <style> and style attributes, the Add to Slack button image and the blank
# `data:,` favicon. Links and the success page's meta refresh are navigations, which CSP leaves
# alone. No scripts, forms, plugins, frames or <base> at all.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src https://platform.slack-edge.com data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: list[tuple[str, str]] = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),  # the install page holds a fresh, single-use state
]


def well_formed_team(team: str | None) -> str | None:
    """The team id if it has the shape of a Slack workspace id, else None (dropped)."""
    return team if team is not None and TEAM_ID.fullmatch(team) else None


class CheckedAuthorizeUrlGenerator(AuthorizeUrlGenerator):
    """slack-sdk's authorize URL, with `team` passed only when well formed, and encoded."""

    def generate(self, state: str, team: str | None = None) -> str:
        url = super().generate(state)
        checked = well_formed_team(team)
        if checked is not None:
            url += "&team=" + quote(checked, safe="")
        return url


class LaxStateCookies(OAuthStateUtils):
    """The OAuth state cookie, and its deletion, with SameSite=Lax besides Secure and HttpOnly."""

    ATTRIBUTES = "Secure; HttpOnly; SameSite=Lax; Path=/"

    def build_set_cookie_for_new_state(self, state: str) -> str:
        return f"{self.cookie_name}={state}; {self.ATTRIBUTES}; Max-Age={self.expiration_seconds}"

    def build_set_cookie_for_deletion(self) -> str:
        return (
            f"{self.cookie_name}=deleted; {self.ATTRIBUTES}; "
            "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        )


def harden(settings: OAuthSettings) -> OAuthSettings:
    """The same settings with the checked authorize URL and the SameSite state cookie."""
    settings.authorize_url_generator = CheckedAuthorizeUrlGenerator(
        client_id=settings.client_id, redirect_uri=settings.redirect_uri,
        scopes=settings.scopes, user_scopes=settings.user_scopes,
        authorization_url=settings.authorization_url,
    )  # fmt: skip
    settings.state_utils = LaxStateCookies(
        cookie_name=settings.state_cookie_name, expiration_seconds=settings.state_expiration_seconds
    )
    return settings


def with_security_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` plus SECURITY_HEADERS when the response is HTML (none already there doubled)."""
    html = any(
        name.lower() == "content-type" and value.lower().startswith("text/html")
        for name, value in headers
    )
    if not html:
        return headers
    present = {name.lower() for name, _ in headers}
    return headers + [(n, v) for n, v in SECURITY_HEADERS if n.lower() not in present]


def secure_html(app: WSGIApp) -> WSGIApp:
    """A WSGI app whose text/html responses carry SECURITY_HEADERS."""

    def wsgi(environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(status, with_security_headers(list(headers)), *exc_info)

        return app(environ, start)

    return wsgi
