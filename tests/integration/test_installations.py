"""Uninstall clean-up with a reading-list grace period, and the start-up schema check."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine

from bot.__main__ import JsonFormatter
from bot.bootstrap import prepare_database
from bot.config import ConfigError, Settings
from bot.core.models import ChannelDigest, Paper
from bot.core.schedule import Schedule
from bot.installations import InstallationService
from bot.slack.installs import Workspaces
from bot.storage.migrate import alembic_config
from bot.storage.repositories import Store
from bot.storage.saves import SaveStore

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
PAPER = Paper(arxiv_id="2401.00001", title="Kept")


def service(engine: Engine, clock: dict[str, datetime], keep_days: int) -> InstallationService:
    workspaces = Workspaces(Settings(slack_bot_token="xoxb-x"), engine, lambda token: None)  # type: ignore[arg-type,return-value]
    return InstallationService(workspaces, Store(engine), SaveStore(engine),
                               keep_saves=timedelta(days=keep_days),
                               clock=lambda: clock["now"])  # fmt: skip


def subscribe(store: Store, team: str) -> None:
    defaults = ChannelDigest(team, "C1", Schedule(9, 0, "UTC"), 5, "active", "U1", NOW)
    store.subscribe(team, "C1", "diffusion", "diffus", "U1", defaults, NOW, 25)


def test_uninstall_keeps_reading_lists_for_the_grace_period_then_deletes_them(
    engine: Engine,
) -> None:
    clock = {"now": NOW}
    installs, store, saves = service(engine, clock, keep_days=30), Store(engine), SaveStore(engine)
    for team in ("T1", "T2"):
        subscribe(store, team)
        saves.save(team, "U1", PAPER, "button", NOW)
    installs.uninstalled("T1")
    assert store.channel("T1", "C1") is None
    assert store.channel("T2", "C1") is not None
    assert saves.count("T1", "U1") == 1  # kept for now
    clock["now"] = NOW + timedelta(days=29)
    assert installs.purge_kept_saves() == 0
    clock["now"] = NOW + timedelta(days=31)
    assert installs.purge_kept_saves() == 1
    assert saves.count("T1", "U1") == 0
    assert saves.count("T2", "U1") == 1


def test_a_reinstall_within_the_grace_period_keeps_the_reading_lists(engine: Engine) -> None:
    clock = {"now": NOW}
    installs, saves = service(engine, clock, keep_days=30), SaveStore(engine)
    saves.save("T1", "U1", PAPER, "button", NOW)
    installs.uninstalled("T1")
    installs.installed("T1", None, client=None)  # type: ignore[arg-type]
    clock["now"] = NOW + timedelta(days=40)
    installs.purge_kept_saves()
    assert saves.count("T1", "U1") == 1


def test_without_a_grace_period_reading_lists_go_at_once(engine: Engine) -> None:
    installs, saves = service(engine, {"now": NOW}, keep_days=0), SaveStore(engine)
    saves.save("T1", "U1", PAPER, "button", NOW)
    installs.uninstalled("T1")
    assert saves.count("T1", "U1") == 0


def test_a_shared_database_behind_the_code_refuses_to_start(database_url: str,
                                                            engine: Engine) -> None:  # fmt: skip
    command.downgrade(alembic_config(engine), "0004")
    settings = Settings(database_url=database_url)
    if engine.dialect.name == "sqlite":
        prepare_database(settings)  # one process: migrated at start
        return
    with pytest.raises(ConfigError, match="papers-bot db upgrade"):
        prepare_database(settings)


def test_json_logs_carry_team_and_channel_fields() -> None:
    record = logging.LogRecord("bot.digests", logging.WARNING, __file__, 1,
                               "team=%s channel=%s: paused", ("T0001", "C0002"), None)  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["team"] == "T0001" and line["channel"] == "C0002"
    assert line["level"] == "WARNING" and line["message"] == "team=T0001 channel=C0002: paused"
