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


def measure_acks(url: str, up: Upstreams, concurrency: int, total: int, label: str) -> list[float]:
    """Seconds until each command's HTTP 200 (the ack), `concurrency` commands in flight."""
    topics = itertools.cycle(TOPICS)
    lock = threading.Lock()
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:
        for i in range(10):  # warm up: auth.test, the paper cache, connections
            send_command(http, url, "value alignment", up.response_url(f"warm-{label}{i}"))

        def one(i: int) -> float:
            with lock:
                topic = next(topics)
            return send_command(http, url, topic, up.response_url(f"{label}-{i}"))

        return burst(concurrency, total, one)


def measure_answers(url: str, up: Upstreams, concurrency: int, total: int) -> list[float]:
    """Seconds from sending a command until its response_url received the answer.

    `concurrency` people each send a command and wait for its answer before the next one.
    """
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:

        def one(i: int) -> float:
            name = f"ans{i}"
            start = time.monotonic()
            send_command(http, url, TOPICS[i % len(TOPICS)], up.response_url(name))
            return up.wait(f"/response/{name}") - start

        return burst(concurrency, total, one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=640, help="commands per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--answers", type=int, default=320)
    parser.add_argument("--answer-concurrency", type=int, default=16)
    args = parser.parse_args()
    with fakes() as up:
        env = bot_env(up)
        bare: list[float] = []
        bot: list[float] = []
        ratios: list[float] = []
        with bare_server(env, free_port()) as bare_url, bot_server(env, free_port()) as bot_url:
            for round_ in range(args.rounds):  # alternate, so drift hits both alike
                one_bare = measure_acks(bare_url, up, args.concurrency, args.requests, f"a{round_}")
                one_bot = measure_acks(bot_url, up, args.concurrency, args.requests, f"b{round_}")
                ratios.append(percentile(one_bot, 99) / percentile(one_bare, 99))
                bare, bot = bare + one_bare, bot + one_bot
                up.arrivals(f"/response/b{round_}-", args.requests)  # let the answers drain
            answers = measure_answers(bot_url, up, args.answer_concurrency, args.answers)
        fetches = len(up.calls(up.hf_url, "/api/daily_papers"))
    per_server = args.requests * args.rounds
    print(f"ack latency, {args.concurrency} concurrent, {per_server} commands per server:")
    print("  " + summary("bare Bolt app (ack only)", bare))
    print("  " + summary("papers-bot", bot))
    ratio = percentile(bot, 99) / percentile(bare, 99)
    print(f"  p99 ratio papers-bot / bare: {ratio:.2f}  (target <= 1.30)")
    print("  p99 ratio per round: " + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"command-to-answer, warm cache, {args.answer_concurrency} concurrent:")
    print("  " + summary("papers-bot", answers))
    print("  targets: p50 <= 150 ms, p99 <= 500 ms")
    print(f"Hugging Face daily_papers requests in the whole run: {fetches} (7 feed days)")


if __name__ == "__main__":
    main()
