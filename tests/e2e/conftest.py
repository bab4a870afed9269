"""The real WSGI app served on loopback, next to the Slack and Hugging Face fakes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest

from bot.bootstrap import Runtime, build_runtime, migrate
from bot.config import Settings
from bot.core.window import feed_days
from tests.fakes.hf import FakeHuggingFace, load_corpus
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import block_actions_body, post_signed, slash_command_body

SECRET = "e2e-signing-secret"
TOKEN = "xoxb-test"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 256  # the stdlib default of 5 resets connections under a burst


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


@dataclass
class BotServer:
    """The bot as Slack sees it: a URL, plus handles to its runtime and the fakes."""

    url: str
    runtime: Runtime
    slack: FakeSlack
    hf: FakeHuggingFace
    http: httpx.Client

    def command(self, text: str, *, response: str = "r1", channel: str = "C0001",
                user: str = "U0001", timestamp: int | None = None,
                secret: str = SECRET) -> httpx.Response:  # fmt: skip
        body = slash_command_body(
            text, channel_id=channel, user_id=user, response_url=self.slack.response_url(response)
        )
        return post_signed(
            self.http, self.url + "/slack/events", body, secret,
            content_type="application/x-www-form-urlencoded", timestamp=timestamp,
        )  # fmt: skip

    def click(self, action_id: str, value: str, *, response: str = "b1",
              channel: str = "C0001", user: str = "U0001") -> httpx.Response:  # fmt: skip
        body = block_actions_body(
            action_id, value, team_id="T0001", channel_id=channel, user_id=user,
            response_url=self.slack.response_url(response),
        )  # fmt: skip
        return post_signed(
            self.http, self.url + "/slack/events", body, SECRET,
            content_type="application/x-www-form-urlencoded",
        )  # fmt: skip

    def runtime_reading(self) -> Any:
        """The reading list service of the running bot (for assertions)."""
        return self.runtime.reading

    def answer(self, response: str = "r1", count: int = 1) -> dict[str, Any]:
        """The last message posted to the response_url (waits for it)."""
        return self.slack.wait_for_response(response, count=count, timeout=10)[-1]


def settings_for(
    slack: FakeSlack, hf: FakeHuggingFace, database_url: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": slack.api_url,
        "hf_base_url": hf.url,
        "http_timeout": 2.0,
        "listener_threads": 16,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def hf() -> Iterator[FakeHuggingFace]:
    fake = FakeHuggingFace(load_corpus())
    fake.start()
    fake.serve_days(feed_days(datetime.now(UTC), 7))
    yield fake
    fake.stop()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    fake.add_channel("C0001", name="research")
    yield fake
    fake.stop()


def serve(runtime: Runtime) -> tuple[str, _ThreadingServer]:
    server = make_server(
        "127.0.0.1", 0, runtime.wsgi(), server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


@contextmanager
def running(runtime: Runtime) -> Iterator[tuple[str, httpx.Client]]:
    """The runtime's WSGI app served on loopback, with a client; everything closed after."""
    url, server = serve(runtime)
    try:
        with httpx.Client(timeout=10) as http:
            yield url, http
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database of the test's own."""
    url = f"sqlite:///{tmp_path / 'papers.db'}"
    migrate(Settings(database_url=url))
    return url


@pytest.fixture
def bot(slack: FakeSlack, hf: FakeHuggingFace, sqlite_url: str) -> Iterator[BotServer]:
    runtime = build_runtime(settings_for(slack, hf, sqlite_url))
    with running(runtime) as (url, http):
        yield BotServer(url, runtime, slack, hf, http)
