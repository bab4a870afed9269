"""The Bolt app: one place that registers every listener and the one error handler."""

from __future__ import annotations

import html
import logging
import os
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.context.respond import Respond
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.config import Settings
from bot.installations import InstallationService
from bot.reading_list import ReadingListService
from bot.services import PaperService
from bot.slack import actions, commands, reading
from bot.slack.installs import (
    STATE_EXPIRATION_SECONDS,
    CachedAuthorize,
    Workspaces,
    quiet_bolt_not_installed_errors,
)
from bot.slack.oauth_pages import harden
from bot.slack.respond import PooledRespond
from bot.subscriptions import SubscriptionService

log = logging.getLogger(__name__)


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Web API client: the configured base URL, retries on 429 and dropped sockets; the bot
    token of single-workspace mode unless another `token` is given."""
    return WebClient(
        token=token or (None if settings.oauth else settings.slack_bot_token),
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(
    settings: Settings, papers: PaperService, channels: SubscriptionService,
    reading: ReadingListService, http: httpx.Client, *, socket_mode: bool = False,
    workspaces: Workspaces | None = None, installations: InstallationService | None = None,
) -> App:  # fmt: skip
    """A Bolt App with a sized listener pool; listeners get `papers` injected by name.

    `http` carries response_url posts (kept-alive connections, see respond.py). With OAuth
    settings, `workspaces` holds the installation and state stores and `installations` greets
    installers and cleans up after uninstalls.
    """
    client = web_client(settings)
    logger = _bolt_logger()
    oauth: dict[str, Any] = {}
    if settings.oauth and workspaces is not None and installations is not None:
        oauth = {
            "oauth_settings": oauth_settings(settings, workspaces, installations),
            # no client id/secret here: Bolt must not rotate tokens itself (see Workspaces)
            "authorize": CachedAuthorize(workspaces, client, logger=logger),
        }  # fmt: skip
        quiet_bolt_not_installed_errors(logging.getLogger("slack_bolt.MultiTeamsAuthorization"))
    app = App(
        signing_secret=settings.slack_signing_secret or "",
        client=client,
        token_verification_enabled=False,
        request_verification_enabled=not socket_mode,
        listener_executor=ThreadPoolExecutor(settings.listener_threads, "bolt-listener"),
        logger=logger,
        user_facing_authorize_error_message=NOT_INSTALLED,
        **oauth,
    )

    answers = ThreadPoolExecutor(settings.answer_threads, "answer")

    def inject_services(context: BoltContext, next: Any) -> Any:  # noqa: A002
        # Runs after Bolt's own verification and authorization: from here on, the request is
        # Slack's, and `workspace` is the team Slack authorized it for (never the payload's).
        context["workspace"] = authorized_team(context)
        context["papers"] = papers
        context["channels"] = channels
        context["reading"] = reading
        context["installations"] = installations
        respond = None
        if context.response_url:
            respond = PooledRespond(response_url=context.response_url, http=http)
            context["respond"] = respond
        context["defer"] = Deferrer(answers, respond)
        return next()

    app.use(same_team_guard())
    app.use(inject_services)
    register(app)
    return app


def authorized_team(context: BoltContext) -> str:
    """The workspace Slack authorized this request for: its installation's team (OAuth), the
    bot token's team (single workspace), never a team id the payload merely names."""
    result = context.authorize_result
    return str((result.team_id if result is not None else None) or context.team_id or "")


NEVER_ACROSS = frozenset({"app_uninstalled", "tokens_revoked"})  # only ever the installation's own
_PAIRS_LOGGED = 1000


def same_team_guard() -> Callable[..., Any]:
    """A middleware: an event whose payload names another team than the installation Slack
    authorized it for is dropped, unless it comes from a Slack Connect channel (then listeners
    act on the authorized workspace only, see `authorized_team`). Uninstall events are never
    taken across teams. Logged once per pair of teams."""
    seen: set[tuple[str, str]] = set()

    def same_team(body: dict[str, Any], context: BoltContext, next: Any) -> Any:  # noqa: A002
        if body.get("type") != "event_callback":
            return next()
        authorized, claimed = authorized_team(context), body.get("team_id")
        event = body.get("event")
        kind = event.get("type") if isinstance(event, dict) else None
        shared = body.get("is_ext_shared_channel") is True
        if not claimed or claimed == authorized:
            return next()
        if shared and kind not in NEVER_ACROSS:
            return next()
        if (str(claimed), authorized) not in seen and len(seen) < _PAIRS_LOGGED:
            seen.add((str(claimed), authorized))
            log.warning("team=%s event %s for installation %s ignored: the teams differ",
                        claimed, kind, authorized)  # fmt: skip
        return BoltResponse(status=200, body="")

    return same_team


class Deferrer:
    """Runs a listener's slow part after the ack, in the bounded answer pool.

    Bolt's listener pool then only parses and acks, so a burst or a slow upstream never keeps
    a later command from its ack; failures are logged and told to the person.
    """

    def __init__(self, pool: ThreadPoolExecutor, respond: Respond | None) -> None:
        self._pool, self._respond = pool, respond

    def __call__(self, work: Callable[[], None]) -> None:
        self._pool.submit(self._run, work)

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:
            log.exception("deferred work failed")
            commands.answer_error(self._respond)


class _DropTokenNotice(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused when a client is given; that is by design."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("bot.slack.bolt")
    if not any(isinstance(f, _DropTokenNotice) for f in logger.filters):
        logger.addFilter(_DropTokenNotice())
    return logger


def register(app: App) -> None:
    """Every listener, in one place."""
    app.command("/papers")(commands.handle_papers)
    app.action("share_paper")(actions.handle_share)
    app.action("save_paper")(reading.handle_save)
    app.action("undo_save")(reading.handle_undo)
    for action_id in ("remove_saved", "mark_read", "saved_page"):
        app.action(action_id)(reading.handle_list_button)
    app.event("reaction_added")(reading.on_reaction_added)
    app.event("reaction_removed")(reading.on_reaction_removed)
    app.event("app_home_opened")(reading.on_home_opened)
    app.action("export_list")(reading.handle_export_button)
    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
    app.error(on_error)


def on_uninstalled(ack: Any, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    _forget_workspace(body, context)


def on_tokens_revoked(ack: Any, body: dict[str, Any], context: BoltContext) -> None:
    """Revoked bot tokens end the installation; revoked user tokens alone change nothing."""
    ack()
    tokens = (body.get("event") or {}).get("tokens") or {}
    if tokens.get("bot"):
        _forget_workspace(body, context)


def _forget_workspace(body: dict[str, Any], context: BoltContext) -> None:
    """Delete the authorized installation's own data (the guard drops mismatched teams)."""
    installations = context.get("installations")
    team_id = str(context.get("workspace") or "")
    if installations is None or not team_id:
        log.info("team=%s uninstall event ignored (single-workspace mode)", team_id or "-")
        return
    enterprise_id = context.enterprise_id
    context["defer"](lambda: installations.uninstalled(team_id, enterprise_id))


def oauth_settings(
    settings: Settings, workspaces: Workspaces, installations: InstallationService
) -> OAuthSettings:
    """Bolt's OAuth flow on /slack/install and /slack/oauth_redirect, with our stores."""

    def success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        client = web_client(settings, installation.bot_token)
        installations.installed(str(installation.team_id), installation.user_id, client)
        return args.default.success(args)

    def failure(args: FailureArgs) -> BoltResponse:
        log.info("install failed: %s", args.reason)
        message = INSTALL_FAILURES.get(args.reason, INSTALL_FAILURES["_"])
        body = INSTALL_PAGE.format(message=html.escape(message))
        cookie = args.settings.state_utils.build_set_cookie_for_deletion()
        return BoltResponse(status=args.suggested_status_code, body=body,
                            headers={"Content-Type": "text/html; charset=utf-8",
                                     "Set-Cookie": cookie})  # fmt: skip

    return harden(OAuthSettings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret,
        scopes=list(settings.slack_scopes), redirect_uri=settings.slack_redirect_uri,
        installation_store=workspaces.installation_store, state_store=workspaces.state_store,
        callback_options=CallbackOptions(success=success, failure=failure),
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,  # the cookie lives as long as the row
    ))  # fmt: skip


NOT_INSTALLED = (
    "papers-bot is not installed in this workspace (or was removed). Ask an admin to add it "
    "with *Add to Slack*."
)
INSTALL_FAILURES = {
    "access_denied": "You cancelled the installation, so nothing was installed.",
    "invalid_state": "This install link has expired or was already used. Please start again "
    "from the Add to Slack page.",
    "invalid_browser": "The installation was started in another browser. Please start again "
    "from the Add to Slack page in this browser.",
    "missing_code": "Slack did not send an install code. Please start again.",
    "invalid_code": "Slack did not accept the install code. Please start again.",
    "storage_error": "The installation could not be saved. Please try again in a few minutes.",
    "_": "The installation did not complete. Please start again from the Add to Slack page.",
}
INSTALL_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>papers-bot</title></head>"
    "<body style='font-family:sans-serif;max-width:36em;margin:4em auto'>"
    "<h1>papers-bot was not installed</h1><p>{message}</p>"
    "<p><a href='/slack/install'>Add to Slack</a></p></body></html>"
)


def on_error(
    error: Exception, body: dict[str, Any], context: BoltContext, respond: Respond | None
) -> BoltResponse | None:
    """Log with the team and channel, and tell the person plainly, but only for a request
    that passed verification and authorization (`workspace` set): never answer a body nobody
    vouched for. A signed body whose shape Bolt itself trips over is a 400, not a 500."""
    if _tripped_bolt(error):
        log.warning("team=%s signed request Bolt could not read: %r", _team(body), error)
        return BoltResponse(status=400, body="Malformed request body")
    log.error(
        "listener failed (team=%s channel=%s): %r",
        _team(body),
        _channel(body),
        error,
        exc_info=error,
    )
    if context.get("workspace") and body.get("response_url"):
        commands.answer_error(respond)
    return None


def _tripped_bolt(error: Exception) -> bool:
    """A type error raised inside Bolt's own code: it read a field of a shape Slack does not
    send (the front checks the envelope; this catches what lies deeper)."""
    if not isinstance(error, AttributeError | TypeError | KeyError | IndexError):
        return False
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and f"{os.sep}slack_bolt{os.sep}" in frames[-1].filename


def _team(body: dict[str, Any]) -> str:
    return str(body.get("team_id") or _id(body.get("team")) or "-")


def _channel(body: dict[str, Any]) -> str:
    return str(body.get("channel_id") or _id(body.get("channel")) or "-")


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value
