"""Shared bench plumbing: fakes, gunicorn subprocesses, concurrent signed requests, percentiles."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.server import CONTROL_PATH, WAIT_PATH
from tests.fakes.slack_requests import post_signed, slash_command_body

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-signing-secret"
TOKEN = "xoxb-test"
FORM = "application/x-www-form-urlencoded"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Upstreams:
    """The fakes running in their own process (bench/upstreams.py)."""

    slack_url: str
    hf_url: str
    pid: int = 0

    def cpu_seconds(self) -> float:
        """CPU time the fakes' process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @property
    def slack_api_url(self) -> str:
        return self.slack_url + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.slack_url}/response/{name}"

    def calls(self, base: str, prefix: str) -> list[dict[str, Any]]:
        """Calls the fake at `base` received under `prefix` (with monotonic arrival times)."""
        reply = httpx.get(base + CONTROL_PATH, params={"prefix": prefix}, timeout=30)
        reply.raise_for_status()
        return list(reply.json())

    def wait(self, path: str, timeout: float = 30) -> float:
        """Block until the Slack fake received a call to `path`; its monotonic arrival time."""
        params = {"path": path, "timeout": str(timeout)}
        reply = httpx.get(self.slack_url + WAIT_PATH, params=params, timeout=timeout + 5)
        reply.raise_for_status()
        return float(reply.json()["at"])

    def post_log(self) -> list[dict[str, Any]]:
        """Every chat.postMessage the Slack fake received, with status, team and paper."""
        reply = httpx.get(self.slack_url + "/_fake/posts", timeout=120)
        reply.raise_for_status()
        return list(reply.json())

    def arrivals(self, prefix: str, count: int, timeout: float = 60) -> dict[str, float]:
        """path -> arrival time of the first `count` calls under `prefix` on the Slack fake."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(self.slack_url, prefix)
            if len(found) >= count or time.monotonic() > deadline:
                return {c["path"]: c["at"] for c in reversed(found)}
            time.sleep(0.05)


@contextmanager
def fakes(*options: str) -> Iterator[Upstreams]:
    """Start bench/upstreams.py (with `options`); yield where its fakes listen."""
    argv = [sys.executable, "-m", "bench.upstreams", *options]
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        urls = json.loads(proc.stdout.readline())
        yield Upstreams(slack_url=urls["slack"], hf_url=urls["hf"], pid=proc.pid)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)


def bot_env(up: Upstreams) -> dict[str, str]:
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": up.slack_api_url,
        "HF_BASE_URL": up.hf_url,
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "16",
        "PYTHONPATH": str(ROOT),
    }


@contextmanager
def server(argv: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """Run a server subprocess until its port answers; yield its base URL."""
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited with {proc.returncode}") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def bot_server(env: dict[str, str], port: int) -> AbstractContextManager[str]:
    """papers-bot exactly as operators run it (`papers-bot serve`), without background jobs."""
    argv = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-scheduler"]
    return server(argv, env, port)


def bare_server(env: dict[str, str], port: int) -> AbstractContextManager[str]:
    """The baseline Bolt app under the same gunicorn settings as `papers-bot serve`."""
    argv = [
        sys.executable, "-m", "gunicorn", "bench.bare_app:wsgi", "--bind", f"0.0.0.0:{port}",
        "--worker-class", "gthread", "--workers", "1", "--threads", env["WEB_THREADS"],
        "--log-level", "warning",
    ]  # fmt: skip
    return server(argv, env, port)


def send_command(
    http: httpx.Client, url: str, text: str, response_url: str, team_id: str = "T0001"
) -> float:
    """POST one signed /papers command; return seconds until the HTTP answer (the ack)."""
    body = slash_command_body(text, response_url=response_url, team_id=team_id)
    start = time.perf_counter()
    response = post_signed(http, url + "/slack/events", body, SECRET, content_type=FORM)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"ack failed: HTTP {response.status_code} {response.text[:200]}")
    return elapsed


def burst(concurrency: int, total: int, job: Callable[[int], float]) -> list[float]:
    """Run `total` jobs on `concurrency` threads; return each job's figure."""
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(job, range(total)))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:<34} n={len(ms):<4} p50={percentile(ms, 50):7.1f} ms  "
        f"p99={percentile(ms, 99):7.1f} ms  mean={statistics.fmean(ms):7.1f} ms"
    )
