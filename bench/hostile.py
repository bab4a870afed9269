"""Hostile input against the running web process, beside the old front as a baseline.

Run from the repository root:  .venv/bin/python -m bench.hostile
(--slow 500 --seconds 20 --bodies 8 --body-mb 100). Prints figures; asserts nothing.

1. Slow clients: `--slow` connections each send a request line and then one header byte every
   two seconds, never finishing; meanwhile signed `/papers` commands arrive (5 a second) and
   each ack is timed. Measured on `papers-bot serve` and on the baseline: a bare Bolt app behind
   Bolt's own WSGI adapter under gunicorn's gthread worker (papers-bot's front before issue 11,
   same 16 threads).
2. Oversized bodies: `--bodies` unsigned POSTs of `--body-mb` MB each at once; the growth of
   the serving process's resident memory (VmRSS of gunicorn's worker) is reported.
3. Hostile requests: forged, malformed, oversized and fuzzed requests, each carrying a
   `response_url` that points at a canary server; counts the 5xx answers and the requests the
   canary received (outbound requests caused by unverified input).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.common import (
    FORM,
    SECRET,
    Upstreams,
    bare_server,
    bot_env,
    bot_server,
    fakes,
    free_port,
    percentile,
    send_command,
)  # fmt: skip
from tests.fakes.slack_requests import sign, slash_command_body

ACK_TARGET = 3.0


# -- 1. slow clients ---------------------------------------------------------------------------
class SlowClients:
    """`count` connections that never finish their headers (one byte every two seconds)."""

    def __init__(self, port: int, count: int) -> None:
        self._port, self._count = port, count
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self.refused = 0

    def __enter__(self) -> SlowClients:
        for _ in range(self._count):
            try:
                sock = socket.create_connection(("127.0.0.1", self._port), timeout=5)
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slow: ")
                self._sockets.append(sock)
            except OSError:
                self.refused += 1
        self._thread.start()
        return self

    def _trickle(self) -> None:
        while not self._stop.wait(2.0):
            for sock in list(self._sockets):
                try:
                    sock.send(b"a")
                except OSError:
                    self._sockets.remove(sock)

    def held(self) -> int:
        """Connections still open from this side (the server has not closed them)."""
        return len(self._sockets)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self._sockets:
            sock.close()


def acks_beside_slow_clients(url: str, up: Upstreams, slow: int, seconds: float) -> dict[str, Any]:
    port = int(url.rsplit(":", 1)[1])
    http = httpx.Client(timeout=30)
    send_command(http, url, "value alignment", up.response_url("warm"))  # auth.test, caches
    times: list[float] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        try:
            took = send_command(http, url, "value alignment", up.response_url(f"slow{i}"))
        except (httpx.HTTPError, RuntimeError):
            took = float("inf")
        with lock:
            times.append(took)

    with SlowClients(port, slow) as clients:
        time.sleep(3.0)  # every slow client has sent something and been accepted
        threads = []
        for i in range(int(seconds * 5)):
            thread = threading.Thread(target=one, args=(i,))
            thread.start()
            threads.append(thread)
            time.sleep(0.2)
        for thread in threads:
            thread.join()
        held = clients.held()
    http.close()
    within = sum(1 for t in times if t <= ACK_TARGET)
    finite = [t * 1000 for t in times if t != float("inf")]
    return {"slow": slow, "held": held, "refused": clients.refused, "commands": len(times),
            "within": within, "p50": percentile(finite, 50),
            "p99": percentile(finite, 99)}  # fmt: skip


# -- 2. oversized bodies -----------------------------------------------------------------------
def worker_pid(master_port: int) -> int:
    """The pid of the process listening on the port whose parent is gunicorn's arbiter."""
    wanted = f"{master_port:04X}"
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(":" + wanted) and fields[3] == "0A":
            inodes.add(fields[9])
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            found.append(int(pid))
    children = [p for p in found if _ppid(p) in found]  # the worker, not the arbiter
    return (children or found)[0]


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def oversized_bodies(url: str, count: int, megabytes: int) -> dict[str, Any]:
    pid = worker_pid(int(url.rsplit(":", 1)[1]))
    before = rss_mb(pid)
    statuses: list[str] = []
    lock = threading.Lock()

    def chunks() -> Iterator[bytes]:
        block = b"x" * (1 << 20)
        for _ in range(megabytes):
            yield block

    def one() -> None:
        headers = {"Content-Type": FORM, "Content-Length": str(megabytes << 20)}
        try:
            reply = httpx.post(url + "/slack/events", content=chunks(), headers=headers,
                               timeout=120)  # fmt: skip
            status = str(reply.status_code)
        except httpx.HTTPError as exc:
            status = type(exc).__name__  # the server answered and closed mid-upload
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    peak = before
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mb(pid))
        time.sleep(0.05)
    after = rss_mb(pid)
    return {"before": before, "peak": peak, "after": after, "statuses": sorted(statuses)}


# -- 3. hostile requests -----------------------------------------------------------------------
class Canary:
    """A server that only counts what reaches it (response_urls of unverified requests)."""

    def __init__(self) -> None:
        hits: list[str] = []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()


Request = tuple[str, dict[str, Any], bytes]


def hostile_requests(canary: str, seed: int = 11) -> Iterator[Request]:
    """(path, headers, body): forged, malformed and fuzzed; every body names the canary."""
    now = str(int(time.time()))
    command = slash_command_body("value alignment", response_url=canary + "/command")
    action = "payload=" + json.dumps({"type": "block_actions", "response_url": canary + "/a",
                                      "actions": [{"action_id": "save_paper"}]})  # fmt: skip
    event = json.dumps({"type": "event_callback", "team_id": "T0001", "response_url": canary,
                        "event": {"type": "app_home_opened", "user": "U1", "tab": "home"}})
    form, json_type = {"Content-Type": FORM}, {"Content-Type": "application/json"}
    bodies = [command, action.encode(), event.encode()]
    for body in bodies:
        for timestamp in ["abc", "1.5", "", "1,2", "-1", "99999999999999999999", "²³", now]:
            yield "/slack/events", {**form, "X-Slack-Request-Timestamp": timestamp,
                                    "X-Slack-Signature": "v0=" + "0" * 64}, body  # fmt: skip
        yield "/slack/events", form, body  # no signature at all
        yield "/slack/events", {**form, **sign("wrong-secret", body)}, body
        yield "/slack/events", {**form, **sign(SECRET, body, int(now) - 3600)}, body  # replay
        good = sign(SECRET, body)
        yield "/slack/events", {**form, **good, "Content-Length": "abc"}, body
        yield "/slack/events", {**form, **good}, body + b"&tampered=1"
    malformed = [b"{not json", b"payload=%7Bbad", b"payload=[1,2]", b"[1,2,3]", b"\xff\xfe\x00",
                 b'{"type": "event_callback", "authorizations": 5, "event": "x"}',
                 b'{"team": 5, "type": "block_actions"}', b"null", b"1", b'"text"',
                 b"payload=" + json.dumps({"response_url": canary, "type": 7}).encode()]
    for body in malformed:  # signed by Slack's secret: 400, never 500
        for headers in (form, json_type):
            yield "/slack/events", {**headers, **sign(SECRET, body)}, body
    rng = random.Random(seed)
    for _ in range(40):  # random bytes with and without a good signature
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
        body += b"&response_url=" + canary.encode()
        signed = sign(SECRET, body) if rng.random() < 0.5 else {}
        yield "/slack/events", {**rng.choice([form, json_type]), **signed}, body
    for path in ["/slack/install?team=T1%26scope%3Dadmin", "/slack/oauth_redirect?code=x",
                 "/healthz", "/../../etc/passwd", "/slack/events?" + urlencode({"x": canary})]:
        yield path, {}, b""


def try_hostile(url: str, canary: Canary) -> dict[str, Any]:
    tried = server_errors = 0
    codes: dict[str, int] = {}
    with httpx.Client(timeout=10) as http:
        for path, headers, body in hostile_requests(canary.url):
            method = "GET" if not body and "events" not in path else "POST"
            try:
                encoded = {k: v.encode("utf-8") for k, v in headers.items()}
                reply = http.request(method, url + path, headers=encoded, content=body)
                code = str(reply.status_code)
            except httpx.HTTPError as exc:
                code = type(exc).__name__
            tried += 1
            server_errors += code.startswith("5")
            codes[code] = codes.get(code, 0) + 1
    time.sleep(2.0)  # anything the bot would send late
    return {"tried": tried, "5xx": server_errors, "outbound": len(canary.hits), "codes": codes}


@contextmanager
def served(kind: str, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    with (bot_server(env, port) if kind == "papers-bot" else bare_server(env, port)) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--bodies", type=int, default=8)
    parser.add_argument("--body-mb", type=int, default=100)
    args = parser.parse_args()
    with fakes() as up:
        env = {**bot_env(up), "DATABASE_URL": f"sqlite:///{Path('bench-hostile.db').resolve()}"}
        for kind in ("bare Bolt app under gunicorn gthread (baseline)", "papers-bot serve"):
            name = "papers-bot" if kind.startswith("papers-bot") else "bare"
            with served(name, env) as url:
                slow = acks_beside_slow_clients(url, up, args.slow, args.seconds)
                print(f"{kind}: {slow['slow']} slow connections ({slow['held']} still held, "
                      f"{slow['refused']} refused), {slow['within']}/{slow['commands']} signed "
                      f"commands acked within {ACK_TARGET:.0f} s (p50 {slow['p50']:.0f} ms, "
                      f"p99 {slow['p99']:.0f} ms)")  # fmt: skip
                big = oversized_bodies(url, args.bodies, args.body_mb)
                growth = big["peak"] - big["before"]
                print(f"{kind}: {args.bodies} unsigned {args.body_mb} MB bodies: RSS "
                      f"{big['before']:.0f} MB -> peak {big['peak']:.0f} MB, growth "
                      f"{growth:.0f} MB; answers {big['statuses']}")  # fmt: skip
                canary = Canary()
                hostile = try_hostile(url, canary)
                canary.close()
                print(f"{kind}: {hostile['tried']} hostile requests, {hostile['5xx']} "
                          f"answered 5xx, {hostile['outbound']} outbound requests caused by "
                          f"unverified input; answers {hostile['codes']}")  # fmt: skip
        for suffix in ("", "-shm", "-wal"):
            Path("bench-hostile.db" + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
