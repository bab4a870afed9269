"""Reactions and buttons that save papers, and `/papers saved`: thin, ack first, one service."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.cite import RENDERERS
from bot.core.models import normalize_arxiv_id
from bot.reading_list import ReadingListService
from bot.slack import reading_messages as msg
from bot.subscriptions import SubscriptionService

log = logging.getLogger(__name__)


def on_reaction_added(
    event: dict[str, Any], context: BoltContext, client: WebClient, reading: ReadingListService,
    workspace: str,
) -> None:  # fmt: skip
    """A save emoji on a paper the bot posted: save it and tell the reactor privately."""
    where = _reaction(event, context, workspace)
    if where is None:
        return
    team, user, channel, ts = where
    outcome = reading.on_reaction(team, user, channel, ts, str(event.get("reaction") or ""),
                                  True, datetime.now(UTC))  # fmt: skip
    if outcome is None or outcome.what != "saved":
        return  # not a save, or a retried delivery of one already confirmed
    text, blocks = msg.saved_confirmation(outcome)
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.info("team=%s channel=%s: save confirmation failed: %s", team, channel,
                 exc.response.get("error"))  # fmt: skip


def on_reaction_removed(
    event: dict[str, Any], context: BoltContext, reading: ReadingListService, workspace: str
) -> None:
    """Taking the save emoji back removes the paper from the list (quietly)."""
    where = _reaction(event, context, workspace)
    if where is not None:
        team, user, channel, ts = where
        reading.on_reaction(team, user, channel, ts, str(event.get("reaction") or ""), False,
                            datetime.now(UTC))  # fmt: skip


def _reaction(
    event: dict[str, Any], context: BoltContext, team: str
) -> tuple[str, str, str, str] | None:
    """(team, user, channel, ts) of a reaction on a message, or None for anything else; the
    team is the authorized workspace, whatever the payload says."""
    item = event.get("item")
    if not isinstance(item, dict) or item.get("type") != "message":
        return None  # a file, a file comment, or a damaged event
    user, channel, ts = event.get("user"), item.get("channel"), item.get("ts")
    if not (team and isinstance(user, str) and isinstance(channel, str) and isinstance(ts, str)):
        return None
    if user == context.bot_user_id:
        return None
    return team, user, channel, ts


def handle_save(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond,
                reading: ReadingListService, workspace: str) -> None:  # fmt: skip
    """The Save button on any paper message."""
    ack()
    arxiv_id = normalize_arxiv_id(str(action.get("value") or ""))
    team, user = workspace, _user(body)
    if arxiv_id is None or not team or not user:
        return
    outcome = reading.save(team, user, arxiv_id, "button", datetime.now(UTC))
    text, blocks = msg.saved_confirmation(outcome)
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


def handle_undo(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond,
                reading: ReadingListService, workspace: str) -> None:  # fmt: skip
    ack()
    team, user = workspace, _user(body)
    if not team or not user:
        return
    outcome = reading.unsave(team, user, str(action.get("value") or ""))
    text = msg.removed_note(outcome)
    respond(text=text, response_type="ephemeral", replace_original=True)


def on_home_opened(event: dict[str, Any], client: WebClient, reading: ReadingListService,
                   channels: SubscriptionService, workspace: str) -> None:  # fmt: skip
    """The App Home tab shows the person's own reading list and channel digests."""
    user = event.get("user")
    if event.get("tab") != "home" or not isinstance(user, str) or not workspace:
        return
    publish_home(client, reading, channels, workspace, user)


def publish_home(client: WebClient, reading: ReadingListService,
                 channels: SubscriptionService, team: str, user: str) -> None:  # fmt: skip
    items, total = reading.page(team, user, "", 0, size=30)
    view = msg.home_view(items, total, channels.created_by(team, user))
    try:
        client.views_publish(user_id=user, view=view)
    except SlackApiError as exc:
        log.warning("team=%s home of %s: %s", team, user, exc.response.get("error"))


def handle_export_button(ack: Ack, body: dict[str, Any], action: dict[str, Any],
                         client: WebClient, reading: ReadingListService,
                         workspace: str) -> None:  # fmt: skip
    ack()
    team, user = workspace, _user(body)
    if not team or not user:
        return
    export(None, client, reading, team, user, str(action.get("value") or "bibtex"))


def handle_list_button(ack: Ack, body: dict[str, Any], action: dict[str, Any],
                       respond: Respond | None, client: WebClient, reading: ReadingListService,
                       channels: SubscriptionService, workspace: str) -> None:  # fmt: skip
    """Remove, Mark read and Next page on the reading list: act, then show the list again
    (the message it was pressed in, or the App Home tab)."""
    ack()
    team, user = workspace, _user(body)
    if not team or not user:
        return
    value, page, text = str(action.get("value") or ""), 0, ""
    if action.get("action_id") == "remove_saved":
        reading.unsave(team, user, value)
    elif action.get("action_id") == "mark_read":
        reading.mark_read(team, user, value, datetime.now(UTC))
    else:
        number, _, text = value.partition("|")
        page = int(number) if number.isdigit() else 0
    if (body.get("view") or {}).get("type") == "home" or respond is None:
        publish_home(client, reading, channels, team, user)
    else:
        show_list(respond, reading, team, user, text, page, replace=True)


def show_list(respond: Respond, reading: ReadingListService, team: str, user: str, text: str,
              page: int = 0, *, replace: bool = False) -> None:  # fmt: skip
    items, total = reading.page(team, user, text, page)
    message, blocks = msg.reading_list(items, total, page, text)
    respond(text=message, blocks=blocks, response_type="ephemeral", replace_original=replace)


def _user(body: dict[str, Any]) -> str:
    """The person who pressed a button (the team is always the authorized workspace)."""
    user = body.get("user")
    return str(user.get("id") or "") if isinstance(user, dict) else ""


def export(respond: Respond | None, client: WebClient, reading: ReadingListService, team: str,
           user: str, fmt: str) -> None:  # fmt: skip
    """`/papers export`: the list as a file, sent privately in the person's DM with the bot."""
    if fmt not in RENDERERS:
        return
    made = reading.export(team, user, fmt)
    if made is None:
        if respond is not None:
            respond(text=msg.EMPTY, response_type="ephemeral")
        return
    filename, content, count = made
    try:
        channel = client.conversations_open(users=user)["channel"]["id"]
        client.files_upload_v2(
            channel=channel, content=content, filename=filename, title=f"Reading list ({fmt})",
            initial_comment=f"Your reading list: {count} papers as {fmt}.",
        )  # fmt: skip
    except SlackApiError as exc:
        log.warning("team=%s export to %s failed: %s", team, user, exc.response.get("error"))
        if respond is not None:
            respond(text="I could not send you the file. Please try again in a minute.",
                    response_type="ephemeral")  # fmt: skip
        return
    if respond is not None:
        respond(text=f"Sent your reading list ({count} papers, {fmt}) to our DM.",
                response_type="ephemeral")  # fmt: skip
