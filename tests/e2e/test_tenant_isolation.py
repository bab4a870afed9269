"""Tenant isolation (issue 11, item 2): two installed workspaces, and every event, action and
command whose payload names another team than the installation Slack authorized. Whatever
happens, happens in the authorized workspace with its own token; the other is never touched,
and uninstall events across teams remove nothing at all."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from sqlalchemy import select, text

from bot.core.models import Paper
from bot.storage.saves import SaveStore
from bot.storage.schema import (
    ChannelRow,
    DigestRunRow,
    PostRow,
    SaveRow,
    SubscriptionRow,
    WorkspaceRow,
)
from tests.e2e.conftest import SECRET
from tests.e2e.test_oauth import FORM, Installable, _eventually, serve_installable
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import (
    app_home_opened_event,
    block_actions_body,
    event_body,
    post_signed,
    reaction_added_event,
    reaction_removed_event,
    slash_command_body,
)  # fmt: skip

A, B = "T0100", "T0200"
CONNECT_USER = "U0100"  # A's person, acting in a Slack Connect channel shared with B
TS = "1700000000.000100"  # a bot post at C0001/TS in each workspace, of that workspace's paper
PAPERS = {A: Paper(arxiv_id="2401.00001", title="Paper of A"),
          B: Paper(arxiv_id="2401.00002", title="Paper of B")}  # fmt: skip
EXTRA = Paper(arxiv_id="2401.00003", title="Paper C")
TITLES = {p.arxiv_id: p.title for p in (*PAPERS.values(), EXTRA)}
CORPUS_PAPER = "2404.10636"  # served by the Hugging Face fake
TABLES = (WorkspaceRow, ChannelRow, SubscriptionRow, DigestRunRow, PostRow, SaveRow)
Effect = Callable[[Installable, str, str], bool]  # (world, acting team, its token) -> done?


@pytest.fixture
def world(slack: FakeSlack, hf: FakeHuggingFace, database_url: str) -> Iterator[Installable]:
    """A and B installed, each with a subscribed C0001, a bot post at C0001/TS and a save of
    its own person; A's person also has a list in B (P_A and P_B), saved in the shared channel."""
    for installable in serve_installable(slack, hf, database_url):
        runtime, now = installable.runtime, datetime.now(UTC)
        saves = SaveStore(runtime.engine)
        slack.add_channel("C0001", name="research", members=["UBT0100", "UBT0200"])
        for team, user in ((A, "U0100"), (B, "U0200")):
            installable.install(team, user)
            installable.command("subscribe diffusion", team, response=f"s-{team}")
            runtime.store.record_shared(team, "C0001", PAPERS[team], TS, now)
            saves.save(team, user, PAPERS[team], "button", now)
        slack.wait_for_posts("C0001", count=2)  # both confirmations, before anything is marked
        for paper in PAPERS.values():
            saves.save(B, CONNECT_USER, paper, "reaction", now)
        runtime.store.keep_papers([EXTRA], now)
        yield installable


def _state(world: Installable, team: str) -> dict[str, Any]:
    """Everything a workspace owns: its bot rows and each table's rows of its team."""
    with world.runtime.engine.connect() as db:
        state: dict[str, Any] = {
            t.__tablename__: sorted(map(tuple, db.execute(
                select(*t.__table__.columns).where(t.__table__.c.team_id == team))), key=repr)
            for t in TABLES
        }  # fmt: skip
        state["slack_bots"] = sorted(
            db.execute(
                text("SELECT bot_token FROM slack_bots WHERE team_id = :t"), {"t": team}
            ).scalars()
        )
    state["token"] = world.runtime.workspaces.token(team)
    return state


def _saved(world: Installable, team: str, user: str) -> dict[str, bool]:
    """arxiv id -> read, of one person's list in one workspace."""
    with world.runtime.engine.connect() as db:
        rows = db.execute(select(SaveRow.arxiv_id, SaveRow.read_at)
                          .where(SaveRow.team_id == team, SaveRow.user_id == user))  # fmt: skip
        return {arxiv_id: read_at is not None for arxiv_id, read_at in rows}


def _posted(world: Installable, team: str, arxiv_id: str) -> bool:
    with world.runtime.engine.connect() as db:
        return db.scalar(select(PostRow.id).where(
            PostRow.team_id == team, PostRow.arxiv_id == arxiv_id)) is not None  # fmt: skip


def _called(world: Installable, method: str, token: str, needle: str) -> bool:
    return any(c.token == token and c.ok is not None and needle in json.dumps(c.params)
               for c in world.slack.api_calls(method))  # fmt: skip


def _exported(world: Installable, team: str) -> bool:
    files = [f for f in world.slack.uploaded_files() if f.completed and f.team_id == team]
    content = b"".join(f.content or b"" for f in files).decode()
    return bool(files) and _lists_exactly(world, team, content)


def _gone(world: Installable, team: str, token: str) -> bool:
    state = _state(world, team)
    return (state["token"] is None and not state["slack_bots"] and not state["channels"]
            and not state["saves"] and not state["posts"])  # fmt: skip


def _barrier(world: Installable) -> None:
    """A request that goes through both pools (listener, then deferred) and answers: not a
    strict ordering (the pools are concurrent), but what was acked before it had its turn."""
    name = f"barrier-{uuid.uuid4().hex[:8]}"
    world.command("saved", B, response=name)
    world.slack.wait_for_response(name, timeout=10)


def _untouched_but(world: Installable, acting: str | None, before: dict[str, Any],
                   tokens: dict[str, str], mark: int) -> None:  # fmt: skip
    """Every workspace but `acting` is as it was, and every Web API call since `mark` used the
    acting workspace's token (none at all when nobody acts)."""
    _barrier(world)
    for team in (A, B):
        if team != acting:
            assert _state(world, team) == before[team], f"{team} was touched"
    used = {c.token for c in world.slack.api_calls()[mark:]}
    assert used <= ({tokens[acting]} if acting else set()), used


def _run(world: Installable, send: Callable[[], httpx.Response], acting: str | None,
         effect: Effect | None) -> None:  # fmt: skip
    tokens = {team: str(world.runtime.workspaces.token(team)) for team in (A, B)}
    before = {team: _state(world, team) for team in (A, B)}
    mark = len(world.slack.api_calls())
    assert send().status_code == 200
    if acting is not None and effect is not None:
        _eventually(lambda: effect(world, acting, tokens[acting]), timeout=10)
    _untouched_but(world, acting, before, tokens, mark)


# -- events: team_id names A, authorizations[0] is A or B, in a Slack Connect channel or not --
EVENTS: dict[str, dict[str, Any]] = {
    "reaction_added": reaction_added_event("U0101", "C0001", TS),
    "reaction_removed": reaction_removed_event(CONNECT_USER, "C0001", TS),
    "app_home_opened": app_home_opened_event(CONNECT_USER),
    "app_uninstalled": {"type": "app_uninstalled"},
    "tokens_revoked": {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBT0100"]}},
}
EVENT_EFFECTS: dict[str, Effect] = {
    "reaction_added": lambda w, t, token: (
        PAPERS[t].arxiv_id in _saved(w, t, "U0101")
        and _called(w, "chat.postEphemeral", token, "U0101")
    ),
    "reaction_removed": lambda w, t, _: PAPERS[t].arxiv_id not in _saved(w, t, CONNECT_USER),
    "app_home_opened": lambda w, t, token: _called(w, "views.publish", token, PAPERS[t].title),
    "app_uninstalled": _gone,
    "tokens_revoked": _gone,
}
ACROSS = ("reaction_added", "reaction_removed", "app_home_opened")  # served in Slack Connect
EVENT_CASES = {  # name: (payload team_id, authorized team, is_ext_shared_channel)
    "slack-connect": (A, B, True),
    "not-shared": (A, B, False),
    "own-team": (A, A, False),
    "own-team-shared": (A, A, True),
}


def _event(world: Installable, kind: str, team: str, authorized: str, shared: bool) -> Any:
    body = json.loads(event_body(EVENTS[kind], team_id=team))
    body["authorizations"][0].update(team_id=authorized, user_id=f"UB{authorized}")
    body["is_ext_shared_channel"] = shared
    return lambda: world.raw_event(body)


def _event_acting(kind: str, case: str) -> str | None:
    team, authorized, shared = EVENT_CASES[case]
    if team == authorized:
        return authorized
    return authorized if shared and kind in ACROSS else None


@pytest.mark.parametrize("case", EVENT_CASES)
@pytest.mark.parametrize("kind", EVENTS)
def test_an_event_acts_on_the_authorized_workspace_only_and_never_on_the_team_it_names(
    world: Installable, kind: str, case: str
) -> None:
    acting = _event_acting(kind, case)
    _run(world, _event(world, kind, *EVENT_CASES[case]), acting, EVENT_EFFECTS[kind])


def test_uninstall_events_across_teams_remove_neither_workspace(world: Installable) -> None:
    for kind in ("app_uninstalled", "tokens_revoked"):
        for team, authorized in ((A, B), (B, A)):
            for shared in (True, False):
                _run(world, _event(world, kind, team, authorized, shared), None, None)
    assert world.runtime.workspaces.token(A) and world.runtime.workspaces.token(B)


# -- buttons and /papers: team B, pressed by A's person (user.team_id A) or in A itself --------
ACTIONS: dict[str, tuple[str, Effect]] = {
    "save_paper": (EXTRA.arxiv_id, lambda w, t, _: EXTRA.arxiv_id in _saved(w, t, CONNECT_USER)),
    "undo_save": (
        PAPERS[A].arxiv_id,
        lambda w, t, _: PAPERS[A].arxiv_id not in _saved(w, t, CONNECT_USER),
    ),
    "remove_saved": (
        PAPERS[A].arxiv_id,
        lambda w, t, _: PAPERS[A].arxiv_id not in _saved(w, t, CONNECT_USER),
    ),
    "mark_read": (
        PAPERS[A].arxiv_id,
        lambda w, t, _: _saved(w, t, CONNECT_USER).get(PAPERS[A].arxiv_id) is True,
    ),
    "export_list": ("bibtex", lambda w, t, _: _exported(w, t)),
    "share_paper": (CORPUS_PAPER, lambda w, t, _: _posted(w, t, CORPUS_PAPER)),
}


def _click(world: Installable, action_id: str, value: str, team: str) -> Any:
    raw = block_actions_body(action_id, value, team_id=team, user_id=CONNECT_USER,
                             response_url=world.slack.response_url(f"a-{action_id}"))  # fmt: skip
    payload = json.loads(parse_qs(raw.decode())["payload"][0])
    payload["user"]["team_id"] = A  # the person's own workspace, whatever team the click is in
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return lambda: post_signed(httpx.Client(), world.url + "/slack/events", body, SECRET,
                               content_type=FORM)  # fmt: skip


@pytest.mark.parametrize("team", [B, A], ids=["slack-connect-user-in-B", "own-team-A"])
@pytest.mark.parametrize("action_id", ACTIONS)
def test_a_button_acts_on_the_workspace_it_was_pressed_in_never_on_the_users_home_team(
    world: Installable, action_id: str, team: str
) -> None:
    value, effect = ACTIONS[action_id]
    if action_id == "export_list":  # B's bot may open a DM with the Slack Connect person
        world.slack.add_user(CONNECT_USER, team_id=team)
    _run(world, _click(world, action_id, value, team), team, effect)


def _lists_exactly(world: Installable, team: str, shown: str) -> bool:
    """`shown` names every paper of A's person's list in `team`, and no other of ours."""
    expected = {TITLES[arxiv_id] for arxiv_id in _saved(world, team, CONNECT_USER)}
    return {title for title in TITLES.values() if title in shown} == expected


def _listed(world: Installable, team: str, response: str) -> bool:
    answers = world.slack.responses(response)
    return bool(answers) and _lists_exactly(world, team, json.dumps(answers))


COMMANDS: dict[str, Effect] = {
    "saved": lambda w, t, _: _listed(w, t, "c-saved"),
    "subscribe robotics": lambda w, t, token: (
        "robotics" in getattr(w.runtime.store.channel(t, "C0001"), "topics", ())
        and _called(w, "chat.postMessage", token, "robotics")
    ),
    "unsubscribe all": lambda w, t, _: (
        w.runtime.store.channel(t, "C0001") is None and bool(w.slack.responses("c-unsubscribe"))
    ),
}


def _command(world: Installable, command: str, team: str) -> Any:
    name = "c-" + command.split()[0]
    body = slash_command_body(command, team_id=team, user_id=CONNECT_USER,
                              response_url=world.slack.response_url(name))  # fmt: skip
    return lambda: post_signed(httpx.Client(), world.url + "/slack/events", body, SECRET,
                               content_type=FORM)  # fmt: skip


@pytest.mark.parametrize("team", [B, A], ids=["slack-connect-user-in-B", "own-team-A"])
@pytest.mark.parametrize("command", COMMANDS)
def test_papers_acts_on_the_workspace_it_was_typed_in_never_on_the_users_home_team(
    world: Installable, command: str, team: str
) -> None:
    _run(world, _command(world, command, team), team, COMMANDS[command])
