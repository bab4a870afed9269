"""A loopback HTTP server base for the fakes: records every call and injects faults."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body.decode())

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Reply:
    """What the fake answers: status, headers and a body (bytes, or JSON-encodable)."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # close the connection after sending only this many body bytes (a truncated response)
    truncate_at: int | None = None

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return json.dumps(self.body).encode(), headers


@dataclass
class Fault:
    """A reply injected in place of the normal one for requests whose path starts with `path`."""

    path: str
    reply: Reply
    times: int


Route = Callable[[Call], Reply]
CONTROL_PATH = "/_fake/calls"  # GET ?prefix=/x -> [{"method", "path", "at"}], itself unrecorded
WAIT_PATH = "/_fake/wait"  # GET ?path=/x&timeout=30 -> the first call to /x once it arrived


class FakeServer:
    """A real HTTP server on 127.0.0.1 (free port) in a daemon thread.

    Subclasses implement `route(call) -> Reply`. Tests read `calls`, and `inject(...)` faults.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> Self:
        server = _Server(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    # -- recording and faults ---------------------------------------------
    def inject(self, path: str, reply: Reply, times: int = 1) -> None:
        """Answer the next `times` requests whose path starts with `path` with `reply`."""
        with self._lock:
            self._faults.append(Fault(path, reply, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def calls_to(self, path_prefix: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path.startswith(path_prefix)]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._faults.clear()

    def call_log(self, path_prefix: str) -> list[dict[str, Any]]:
        """The calls to `path_prefix` as JSON-ready dicts (`at` is time.monotonic())."""
        return [
            {"method": c.method, "path": c.path, "at": c.at} for c in self.calls_to(path_prefix)
        ]

    def _wait_reply(self, path: str, timeout: str | None) -> Reply:
        try:
            found = self.wait_for(path, timeout=float(timeout or 30))
        except AssertionError as exc:
            return Reply(504, {"error": str(exc)})
        return Reply(200, {"method": found[0].method, "path": found[0].path, "at": found[0].at})

    def wait_for(self, path_prefix: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until at least `count` calls to `path_prefix` arrived; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(path_prefix)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        found = self.calls_to(path_prefix)
        raise AssertionError(f"expected {count} call(s) to {path_prefix}, got {len(found)}")

    def _take_fault(self, path: str) -> Reply | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path) and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault.reply
        return None

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def route(self, call: Call) -> Reply:  # pragma: no cover - subclasses override
        return Reply(404, {"error": "not found"})


class _Server(ThreadingHTTPServer):
    # The stdlib default backlog of 5 drops SYNs under a burst (a 1 s client retransmit).
    request_queue_size = 256


def _handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            call = Call(
                method=self.command,
                path=parts.path,
                query={k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                at=time.monotonic(),
            )
            if call.path == CONTROL_PATH:  # for a bench driving the fake from another process
                reply = Reply(200, fake.call_log(call.query.get("prefix", "/")))
            elif call.path == WAIT_PATH:
                reply = fake._wait_reply(call.query.get("path", "/"), call.query.get("timeout"))
            else:
                fake._record(call)
                reply = fake._take_fault(call.path) or fake.route(call)
            if reply.delay:
                time.sleep(reply.delay)
            data, headers = reply.encoded()
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            if reply.truncate_at is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                return
            if reply.truncate_at is not None:
                self.wfile.write(data[: reply.truncate_at])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(data)

        do_GET = do_POST = do_HEAD = _serve

    return Handler


def reason_phrase(status: int) -> str:
    """The standard reason phrase of an HTTP status ("Service Unavailable"), else "Error"."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
