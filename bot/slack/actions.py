"""The Share in channel button on paper messages."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.core.models import normalize_arxiv_id
from bot.reading_list import ReadingListService
from bot.services import PaperService
from bot.slack.blocks import notice, shared_message
from bot.slack.poster import NOT_A_MEMBER, PostFailed, post_message

log = logging.getLogger(__name__)


def handle_share(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    papers: PaperService,
    reading: ReadingListService,
    workspace: str,
) -> None:
    """Post the paper visibly in the channel the button was pressed in."""
    ack()
    arxiv_id = normalize_arxiv_id(str(action.get("value") or ""))
    paper = papers.find(arxiv_id) if arxiv_id else None
    if paper is None:
        _tell(respond, "That paper is not available any more. Try `/papers` again.")
        return
    user_id = str((body.get("user") or {}).get("id") or "")
    channel_id = str((body.get("channel") or {}).get("id") or "")
    text, blocks = shared_message(paper, user_id)
    try:
        ts = post_message(client, channel_id, text, blocks)
    except PostFailed as failure:
        if failure.code in NOT_A_MEMBER and _share_through_response_url(respond, text, blocks):
            return
        _tell(respond, failure.user_text)
        return
    reading.shared(workspace, channel_id, paper, ts, datetime.now(UTC))


def _share_through_response_url(respond: Respond, text: str, blocks: list[dict[str, Any]]) -> bool:
    """Where the bot cannot post (a DM, a private channel), the response_url still can."""
    result = respond(text=text, blocks=blocks, response_type="in_channel", replace_original=False)
    return result.status_code == 200


def _tell(respond: Respond, message: str) -> None:
    text, blocks = notice(message)
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
