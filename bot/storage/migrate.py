"""Alembic, driven from code: `papers-bot db upgrade` and the server's start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


_LOCK_ID = 7_243_911  # any constant: serialises migrations of several processes on PostgreSQL


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to `revision` (idempotent; one process at a time)."""
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), revision)
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
            lock.commit()


def current(engine: Engine) -> str | None:
    """The schema revision the database is at (None: empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    """The newest revision this code knows."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config_without_engine()).get_current_head()
    assert revision is not None
    return revision


def alembic_config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
