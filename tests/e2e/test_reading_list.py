"""Reading lists end to end: signed reaction events exactly as Slack sends them (with retry
headers), block_actions for the buttons, `/papers saved`, against the Slack fake."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlencode

import bibtexparser
import httpx
import pytest

from tests.e2e.conftest import SECRET, BotServer
from tests.fakes.server import Reply
from tests.fakes.slack_requests import (
    JSON_CONTENT_TYPE,
    block_actions_body,
    event_body,
    post_signed,
    reaction_added_event,
    reaction_removed_event,
    retry_headers,
)  # fmt: skip

PAPER = "2404.10636"


def send_event(
    bot: BotServer,
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    headers: dict[str, str] | None = None,
    secret: str = SECRET,
) -> httpx.Response:
    body = event_body(event, event_id=event_id)
    return post_signed(bot.http, bot.url + "/slack/events", body, secret,
                       content_type=JSON_CONTENT_TYPE, extra_headers=headers)  # fmt: skip


@pytest.fixture
def shared(bot: BotServer) -> str:
    """A paper the bot posted in C0001 (shared by someone); returns its message ts."""
    bot.click("share_paper", PAPER)
    post = bot.slack.wait_for_api("chat.postMessage")[-1]
    ts = str(post.response["ts"])
    # the bot records the post right after Slack answered: wait for that before reacting
    wait_until(lambda: bot.runtime.store.paper_of_message("T0001", "C0001", ts) == PAPER)
    return ts


def saves(bot: BotServer, user: str = "U0002") -> list[str]:
    items, _ = bot.runtime_reading().page("T0001", user, "", 0)
    return [i.paper.arxiv_id for i in items]


def wait_until(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_a_bookmark_reaction_saves_and_confirms_privately_with_undo(
    bot: BotServer, shared: str
) -> None:
    assert send_event(bot, reaction_added_event("U0002", "C0001", shared)).status_code == 200
    confirmation = bot.slack.wait_for_api("chat.postEphemeral")[-1].params
    assert confirmation["user"] == "U0002"
    assert "Saved *What are human values" in confirmation["text"]
    assert "undo_save" in json.dumps(confirmation["blocks"])
    assert saves(bot) == [PAPER]


def test_retried_and_duplicated_deliveries_save_once_and_confirm_once(
    bot: BotServer, shared: str
) -> None:
    event = reaction_added_event("U0002", "C0001", shared)
    send_event(bot, event, event_id="Ev1")
    bot.slack.wait_for_api("chat.postEphemeral")
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(
            lambda n: send_event(bot, event, event_id="Ev1", headers=retry_headers(1 + n % 3)),
            range(30),
        ))  # fmt: skip
    assert {a.status_code for a in answers} == {200}
    time.sleep(0.5)
    assert saves(bot) == [PAPER]
    assert len(bot.slack.api_calls("chat.postEphemeral")) == 1


def test_removing_the_reaction_removes_the_paper(bot: BotServer, shared: str) -> None:
    send_event(bot, reaction_added_event("U0002", "C0001", shared))
    wait_until(lambda: saves(bot) == [PAPER])
    send_event(bot, reaction_removed_event("U0002", "C0001", shared))
    wait_until(lambda: saves(bot) == [])


@pytest.mark.parametrize(
    "event",
    [
        reaction_added_event("U0002", "C0001", "1111.2222", reaction="bookmark"),  # not ours
        {
            "type": "reaction_added",
            "user": "U0002",
            "reaction": "bookmark",
            "item": {"type": "file", "file": "F1"},
        },
        {"type": "reaction_added", "reaction": "bookmark"},  # fields missing
        {"type": "reaction_added", "user": "U0002", "reaction": "bookmark", "item": "junk"},
    ],
)
def test_reactions_on_anything_else_cost_no_web_api_call(
    bot: BotServer, shared: str, event: dict[str, Any]
) -> None:
    calls_before = len(bot.slack.calls_to("/api/"))
    assert send_event(bot, event).status_code == 200
    time.sleep(0.4)
    assert len(bot.slack.calls_to("/api/")) == calls_before
    assert saves(bot) == []


def test_other_emoji_and_the_bots_own_reactions_are_ignored(bot: BotServer, shared: str) -> None:
    send_event(bot, reaction_added_event("U0002", "C0001", shared, reaction="thumbsup"))
    send_event(bot, reaction_added_event("UBOT", "C0001", shared))
    time.sleep(0.4)
    assert saves(bot) == []
    assert saves(bot, "UBOT") == []


def test_a_forged_event_is_rejected_and_saves_nothing(bot: BotServer, shared: str) -> None:
    answer = send_event(bot, reaction_added_event("U0002", "C0001", shared), secret="forged")
    assert answer.status_code == 401
    time.sleep(0.3)
    assert saves(bot) == []


def test_save_button_then_undo(bot: BotServer) -> None:
    bot.click("save_paper", PAPER, user="U0003", response="s1")
    saved = bot.slack.wait_for_response("s1")[-1]
    assert saved["response_type"] == "ephemeral"
    assert "Saved" in saved["text"]
    assert saves(bot, "U0003") == [PAPER]
    bot.click("undo_save", PAPER, user="U0003", response="s2")
    assert "Removed" in bot.slack.wait_for_response("s2")[-1]["text"]
    assert saves(bot, "U0003") == []


def test_the_list_is_private_filterable_and_has_working_buttons(bot: BotServer) -> None:
    for paper in (PAPER, "2305.18290"):
        bot.click("save_paper", paper, user="U0004", response=f"p{paper}")
        bot.slack.wait_for_response(f"p{paper}")
    bot.command("saved", user="U0004", response="l1")
    listing = bot.answer("l1")
    assert listing["response_type"] == "ephemeral"
    assert "1–2 of 2" in listing["blocks"][0]["text"]["text"]
    bot.command("saved direct preference", user="U0004", response="l2")
    assert "1–1 of 1" in bot.answer("l2")["blocks"][0]["text"]["text"]
    bot.command("saved", user="U0005", response="l3")  # someone else: their own, empty list
    assert "empty" in bot.answer("l3")["text"]
    bot.click("mark_read", PAPER, user="U0004", response="l4")
    assert "✓ read" in json.dumps(
        bot.slack.wait_for_response("l4")[-1]["blocks"], ensure_ascii=False
    )
    bot.click("remove_saved", PAPER, user="U0004", response="l5")
    after = bot.slack.wait_for_response("l5")[-1]
    assert "1–1 of 1" in after["blocks"][0]["text"]["text"]


def test_export_sends_a_valid_bibtex_file_to_the_persons_dm(bot: BotServer) -> None:
    bot.slack.add_user("U0006", tz="UTC")
    for paper in (PAPER, "2305.18290", "2402.01306"):
        bot.click("save_paper", paper, user="U0006", response=f"e{paper}")
        bot.slack.wait_for_response(f"e{paper}")
    bot.command("export", user="U0006", response="x1")
    told = bot.answer("x1")
    assert told["response_type"] == "ephemeral"
    assert "3 papers, bibtex" in told["text"]
    (upload,) = bot.slack.uploaded_files()
    assert upload.completed
    assert upload.filename == "reading-list.bib"
    assert upload.channels and upload.channels[0].startswith("D")
    library = bibtexparser.parse_string((upload.content or b"").decode())
    assert not library.failed_blocks
    assert {e.fields_dict["eprint"].value for e in library.entries} == {
        PAPER,
        "2305.18290",
        "2402.01306",
    }


def test_export_of_an_empty_list_and_a_bad_format(bot: BotServer) -> None:
    bot.command("export ris", user="U0007", response="x2")
    assert "empty" in bot.answer("x2")["text"]
    assert bot.slack.uploaded_files() == []
    assert "takes `bibtex`" in bot.command("export pdf", user="U0007").text


def home_click(bot: BotServer, action_id: str, value: str, user: str) -> httpx.Response:
    """A button pressed in the App Home tab: a view container and no response_url."""
    form = block_actions_body(action_id, value, team_id="T0001", channel_id="C0001",
                              user_id=user, response_url="x")  # fmt: skip
    payload = json.loads(parse_qs(form.decode())["payload"][0])
    payload.pop("response_url", None)
    payload.pop("channel", None)
    payload["container"] = {"type": "view", "view_id": "V1"}
    payload["view"] = {"id": "V1", "type": "home", "blocks": []}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return post_signed(bot.http, bot.url + "/slack/events", body, SECRET,
                       content_type="application/x-www-form-urlencoded")  # fmt: skip


def test_app_home_shows_the_list_and_its_buttons_work_there(bot: BotServer) -> None:
    bot.slack.add_user("U0008", tz="UTC")
    bot.click("save_paper", PAPER, user="U0008", response="h1")
    bot.slack.wait_for_response("h1")
    event = {"type": "app_home_opened", "user": "U0008", "channel": "D0008", "tab": "home",
             "event_ts": "1764250000.000100"}  # fmt: skip
    assert send_event(bot, event).status_code == 200
    view = bot.slack.wait_for_api("views.publish")[-1].params
    assert view["user_id"] == "U0008"
    rendered = json.dumps(view["view"], ensure_ascii=False)
    assert "What are human values" in rendered
    assert "export_list" in rendered
    home_click(bot, "mark_read", PAPER, "U0008")
    refreshed = bot.slack.wait_for_api("views.publish", count=2)[-1].params
    assert "✓ read" in json.dumps(refreshed["view"], ensure_ascii=False)
    home_click(bot, "export_list", "markdown", "U0008")
    wait_until(lambda: len(bot.slack.uploaded_files()) == 1)
    assert bot.slack.uploaded_files()[0].filename == "reading-list.md"


def test_a_save_keeps_the_paper_even_after_it_vanished_upstream(
    bot: BotServer, shared: str
) -> None:
    bot.hf.clear_days()
    bot.hf.inject("/api/papers/", Reply(404, {"error": "Paper not found"}), times=100)
    send_event(bot, reaction_added_event("U0009", "C0001", shared))
    wait_until(lambda: saves(bot, "U0009") == [PAPER])
    bot.command("saved", user="U0009", response="v1")
    assert "What are human values" in json.dumps(bot.answer("v1")["blocks"])
