"""`/papers`: ack at once, then answer through the response_url."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.reading_list import ReadingListService
from bot.services import PaperService
from bot.slack import channel_commands
from bot.slack.blocks import answer_message, help_message, notice
from bot.slack.parsing import ExportList, Help, Invalid, SavedList, Search, parse_command
from bot.slack.reading import export, show_list
from bot.subscriptions import SubscriptionService

log = logging.getLogger(__name__)
Defer = Callable[[Callable[[], None]], None]


def handle_papers(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, papers: PaperService,
    channels: SubscriptionService, reading: ReadingListService, defer: Defer, workspace: str,
) -> None:  # fmt: skip
    """Route `/papers ...`: instant answers go in the ack, searches come after it."""
    parsed = parse_command(str(command.get("text") or ""))
    if isinstance(parsed, Help):
        text, blocks = help_message(papers.window_days)
        ack(text=text, blocks=blocks)
        return
    if isinstance(parsed, Invalid):
        ack(text=parsed.message)
        return
    ack()
    if isinstance(parsed, Search):
        defer(lambda: answer_search(parsed, respond, papers))
    elif isinstance(parsed, ExportList):
        user = str(command.get("user_id"))
        defer(lambda: export(respond, client, reading, workspace, user, parsed.fmt))
    elif isinstance(parsed, SavedList):
        user = str(command.get("user_id"))
        defer(lambda: show_list(respond, reading, workspace, user, parsed.text))
    else:
        defer(lambda: channel_commands.run(parsed, workspace, command, respond, client, channels))


def answer_search(search: Search, respond: Respond, papers: PaperService) -> None:
    """The slow part of `/papers <topic>`: rank, render, post to the response_url."""
    answer = papers.trending(search.topic, search.limit, now=datetime.now(UTC))
    text, blocks = answer_message(answer, note=search.note)
    result = respond(text=text, blocks=blocks, response_type="ephemeral")
    if result.status_code != 200:
        log.warning("response_url answered %s for /papers", result.status_code)


def answer_error(respond: Respond | None) -> None:
    """Tell the person something broke (never a traceback)."""
    if respond is None:
        return
    text, blocks = notice("Sorry, something went wrong on my side. Please try again in a minute.")
    try:
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
    except Exception:  # the response_url may have expired; the error is already logged
        log.exception("could not tell the user about an error")
