"""Ack latency and command-to-answer time of `/papers`, against a bare acking Bolt app.

Run from the repository root:  .venv/bin/python -m bench.ack_latency
Both servers run under gunicorn (gthread, 1 worker, 16 threads) as subprocesses, against the
loopback Slack and Hugging Face fakes running in this process. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time

import httpx

from bench.common import (
    Upstreams,
    bare_server,
    bot_env,
    bot_server,
    burst,
    fakes,
    free_port,
    percentile,
    send_command,
    summary,
)  # fmt: skip

TOPICS = ["value alignment", "diffusion models", "llm agents", "attention", "", "protein folding"]


def measure_acks(url: str, up: Upstreams, concurrency: int, total: int) -> list[float]:
    """Seconds until each command's HTTP 200 (the ack), `concurrency` commands in flight."""
    topics = itertools.cycle(TOPICS)
    lock = threading.Lock()
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:
        for i in range(10):  # warm up: auth.test, the paper cache, connections
            send_command(http, url, "value alignment", up.response_url(f"warm{i}"))

        def one(i: int) -> float:
            with lock:
                topic = next(topics)
            return send_command(http, url, topic, up.response_url(f"ack{i}"))

        return burst(concurrency, total, one)


def measure_answers(url: str, up: Upstreams, concurrency: int, total: int) -> list[float]:
    """Seconds from sending a command until its response_url received the answer."""
    starts: dict[str, float] = {}
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:

        def one(i: int) -> float:
            name = f"ans{i}"
            starts[f"/response/{name}"] = time.monotonic()
            return send_command(http, url, TOPICS[i % len(TOPICS)], up.response_url(name))

        burst(concurrency, total, one)
    arrived = up.arrivals("/response/ans", total)
    return [arrived[path] - start for path, start in starts.items() if path in arrived]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=640)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--answers", type=int, default=320)
    parser.add_argument("--answer-concurrency", type=int, default=16)
    args = parser.parse_args()
    with fakes() as up:
        env = bot_env(up)
        with bare_server(env, free_port()) as url:
            bare = measure_acks(url, up, args.concurrency, args.requests)
        with bot_server(env, free_port()) as url:
            bot = measure_acks(url, up, args.concurrency, args.requests)
            time.sleep(2)  # let the answers of the ack run drain
            answers = measure_answers(url, up, args.answer_concurrency, args.answers)
        fetches = len(up.calls(up.hf_url, "/api/daily_papers"))
    print(f"ack latency, {args.concurrency} concurrent, {args.requests} commands per server:")
    print("  " + summary("bare Bolt app (ack only)", bare))
    print("  " + summary("papers-bot", bot))
    ratio = percentile(bot, 99) / percentile(bare, 99)
    print(f"  p99 ratio papers-bot / bare: {ratio:.2f}  (target <= 1.30)")
    print(f"command-to-answer, warm cache, {args.answer_concurrency} concurrent:")
    print("  " + summary("papers-bot", answers))
    print("  targets: p50 <= 150 ms, p99 <= 500 ms")
    print(f"Hugging Face daily_papers requests in the whole run: {fetches} (7 feed days)")


if __name__ == "__main__":
    main()
