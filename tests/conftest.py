"""Storage fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL is taken from TEST_POSTGRES_URL (default: the local server CI runs, database `test`,
trust auth). Each test gets a schema of its own. When PostgreSQL does not answer, its tests are
skipped and the run ends with a loud warning: never a silent pass.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.storage.database import create_database_engine
from bot.storage.migrate import upgrade
from tests.fakes.arxiv import FakeArxiv

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_postgres_down: list[str] = []


def _postgres_error() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return None


@pytest.fixture(scope="session")
def postgres_available() -> str | None:
    error = _postgres_error()
    if error:
        _postgres_down.append(error)
    return error


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
    postgres_available: str | None,
) -> Iterator[str]:  # fmt: skip
    """A fresh, migrated database URL: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'papers.db'}"
        yield _migrated(url)
        return
    if postgres_available:
        pytest.skip(f"PostgreSQL NOT AVAILABLE at {POSTGRES_URL}: {postgres_available}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield _migrated(f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _migrated(url: str) -> str:
    engine = create_database_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    """The arXiv RSS fake on 127.0.0.1, serving the fixture announcement day."""
    fake = FakeArxiv()
    fake.start()
    yield fake
    fake.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_down:
        bar = "#" * 88
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(
            f"## PostgreSQL was NOT available ({_postgres_down[0]}).", red=True, bold=True
        )
        terminalreporter.write_line(
            "## Every PostgreSQL variant of the storage tests was SKIPPED, not passed.",
            red=True, bold=True,
        )  # fmt: skip
        terminalreporter.write_line(bar, red=True, bold=True)
