"""`/papers`: ack at once, then answer through the response_url."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, Respond

from bot.services import PaperService
from bot.slack.blocks import answer_message, help_message, notice
from bot.slack.parsing import Help, Invalid, Later, parse_command

log = logging.getLogger(__name__)


def handle_papers(
    ack: Ack, command: dict[str, Any], respond: Respond, papers: PaperService
) -> None:
    """Route `/papers ...`: instant answers go in the ack, searches come after it."""
    parsed = parse_command(str(command.get("text") or ""))
    if isinstance(parsed, Help):
        text, blocks = help_message(papers.window_days)
        ack(text=text, blocks=blocks)
        return
    if isinstance(parsed, Invalid):
        ack(text=parsed.message)
        return
    if isinstance(parsed, Later):
        ack(text=f"{parsed.feature} are coming soon. For now, try `/papers <topic>`.")
        return
    ack()
    answer = papers.trending(parsed.topic, parsed.limit, now=datetime.now(UTC))
    text, blocks = answer_message(answer, note=parsed.note)
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
