"""The Bolt app: one place that registers every listener and the one error handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.config import Settings
from bot.reading_list import ReadingListService
from bot.services import PaperService
from bot.slack import actions, commands, reading
from bot.slack.respond import PooledRespond
from bot.subscriptions import SubscriptionService

log = logging.getLogger(__name__)


def web_client(settings: Settings) -> WebClient:
    """The bot's Web API client: the configured base URL, retries on 429 and dropped sockets."""
    return WebClient(
        token=settings.slack_bot_token,
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
) -> App:  # fmt: skip
    """A Bolt App with a sized listener pool; listeners get `papers` injected by name.

    `http` carries response_url posts (kept-alive connections, see respond.py).
    """
    app = App(
        signing_secret=settings.slack_signing_secret or "",
        client=web_client(settings),
        token_verification_enabled=False,
        request_verification_enabled=not socket_mode,
        listener_executor=ThreadPoolExecutor(settings.listener_threads, "bolt-listener"),
        logger=_bolt_logger(),
    )

    answers = ThreadPoolExecutor(settings.answer_threads, "answer")

    def inject_services(context: BoltContext, next: Any) -> Any:  # noqa: A002
        context["papers"] = papers
        context["channels"] = channels
        context["reading"] = reading
        respond = None
        if context.response_url:
            respond = PooledRespond(response_url=context.response_url, http=http)
            context["respond"] = respond
        context["defer"] = Deferrer(answers, respond)
        return next()

    app.use(inject_services)
    register(app)
    return app


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
    app.error(on_error)


def on_error(
    error: Exception, body: dict[str, Any], respond: Respond | None
) -> BoltResponse | None:
    """Log with the team and channel, and tell the person plainly."""
    log.error(
        "listener failed (team=%s channel=%s): %r",
        _team(body),
        _channel(body),
        error,
        exc_info=error,
    )
    if body.get("response_url"):
        commands.answer_error(respond)
    return None


def _team(body: dict[str, Any]) -> str:
    return str(body.get("team_id") or (body.get("team") or {}).get("id") or "-")


def _channel(body: dict[str, Any]) -> str:
    return str(body.get("channel_id") or (body.get("channel") or {}).get("id") or "-")
