"""`papers-bot serve` as a real process against slow and oversized clients (issue 11): slow
clients hold sockets, never the threads that ack Slack; bodies over the limit are refused
before they are read."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.slack.web import MAX_BODY_BYTES
from tests.e2e.test_cli import SECRET, clean_env, serving
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import post_signed, slash_command_body

THREADS = 4
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def server(slack: FakeSlack, hf: FakeHuggingFace, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """(url, pid of the worker process) of `papers-bot serve` with WEB_THREADS=4."""
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url,
        HF_BASE_URL=hf.url, LOG_LEVEL="WARNING", DATABASE_URL=f"sqlite:///{tmp_path}/bot.db",
        WEB_THREADS=str(THREADS),
    )  # fmt: skip
    with serving(env, tmp_path, "--no-scheduler") as (url, pid):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        yield url, int(children[0])


def _slow_connection(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slow: a")
    return sock


def _command(url: str, slack: FakeSlack, name: str) -> int:
    body = slash_command_body("help", response_url=slack.response_url(name))
    with httpx.Client(timeout=10) as http:
        reply = post_signed(http, url + "/slack/events", body, SECRET, content_type=FORM)
    return reply.status_code


def test_ten_times_more_slow_clients_than_threads_do_not_stop_acks(
    server: tuple[str, int], slack: FakeSlack
) -> None:
    """With gunicorn's gthread worker, THREADS slow clients were enough to stop every ack."""
    url, _ = server
    port = int(url.rsplit(":", 1)[1])
    slow = [_slow_connection(port) for _ in range(10 * THREADS)]
    try:
        time.sleep(1.0)
        for sock in slow:
            sock.sendall(b"b")  # still trickling, never finishing
        assert [_command(url, slack, f"s{i}") for i in range(THREADS * 2)] == [200] * THREADS * 2
    finally:
        for sock in slow:
            sock.close()


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_sent(
    server: tuple[str, int],
) -> None:
    url, _ = server
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: {FORM}\r\n"
                     f"Content-Length: {100 * MAX_BODY_BYTES}\r\n\r\n".encode())  # fmt: skip
        assert sock.recv(4096).startswith(b"HTTP/1.1 413")


def test_a_chunked_body_over_the_limit_is_413(server: tuple[str, int]) -> None:
    url, _ = server

    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"x" * MAX_BODY_BYTES

    try:
        status = httpx.post(url + "/slack/events", content=chunks(),
                            headers={"Content-Type": FORM}, timeout=30).status_code  # fmt: skip
    except httpx.HTTPError:  # answered and closed mid-upload: the client may see a reset
        status = 413
    assert status == 413


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_oversized_unsigned_bodies_do_not_grow_the_process(server: tuple[str, int]) -> None:
    """Issue 11: eight unsigned 100 MB bodies took the process from 151 MB to 1.85 GB."""
    url, worker = server
    before = _rss_mb(worker)
    size = 30 * MAX_BODY_BYTES

    def send() -> None:
        def body() -> Iterator[bytes]:
            for _ in range(30):
                yield b"x" * MAX_BODY_BYTES

        with contextlib.suppress(httpx.HTTPError):  # answered 413 and closed mid-upload
            httpx.post(url + "/slack/events", content=body(), timeout=30,
                       headers={"Content-Type": FORM, "Content-Length": str(size)})  # fmt: skip

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    peak = before
    while any(t.is_alive() for t in threads):
        peak = max(peak, _rss_mb(worker))
        time.sleep(0.02)
    assert peak - before < 50
