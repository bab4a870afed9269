"""Ack latency in OAuth mode (installation lookup on every request) against single-token mode.

Run from the repository root:  .venv/bin/python -m bench.oauth_ack [--rounds 3]
Two `papers-bot serve --no-scheduler` processes under gunicorn, each on its own SQLite file:
one with SLACK_BOT_TOKEN, one with SLACK_CLIENT_ID/SECRET and 50 installations in its
database. 32 concurrent `/papers` commands spread over the 50 workspaces, rounds alternating
between the two servers. Prints figures; asserts nothing. Target: OAuth p99 within 1.2x.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
from pathlib import Path

import httpx
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import create_engine

from bench.common import (
    Upstreams,
    bot_env,
    bot_server,
    burst,
    fakes,
    free_port,
    percentile,
    send_command,
    summary,
)  # fmt: skip
from bot.storage.migrate import upgrade

CLIENT_ID, CLIENT_SECRET = "111.222", "bench-oauth-secret"
TOPICS = ["value alignment", "diffusion models", "llm agents", "attention", "", "protein folding"]


def install_all(database_url: str, teams: int) -> None:
    engine = create_engine(database_url)
    upgrade(engine)
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    for n in range(1, teams + 1):
        team = f"T{n:03d}"
        store.save(Installation(
            app_id="A0001", team_id=team, team_name=f"Team {team}", bot_token=f"xoxb-{team}",
            bot_id="B0001", bot_user_id="UBOT", bot_scopes="commands,chat:write",
            user_id="U0001", installed_at=time.time(),
        ))  # fmt: skip
    engine.dispose()


def measure(url: str, up: Upstreams, teams: int, concurrency: int, total: int,
            label: str) -> list[float]:  # fmt: skip
    topics = itertools.cycle(TOPICS)
    lock = threading.Lock()
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:
        for n in range(1, teams + 1):  # warm up: each workspace's token seen once (auth.test)
            send_command(http, url, "value alignment", up.response_url(f"w-{label}{n}"),
                         team_id=f"T{n:03d}")  # fmt: skip

        def one(i: int) -> float:
            with lock:
                topic = next(topics)
            team = f"T{i % teams + 1:03d}"
            return send_command(http, url, topic, up.response_url(f"{label}-{i}"), team_id=team)

        return burst(concurrency, total, one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=640, help="commands per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--teams", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fakes("--teams", str(args.teams)) as up:
        single_db, oauth_db = (f"sqlite:///{Path(tmp) / name}" for name in ("one.db", "all.db"))
        install_all(oauth_db, args.teams)
        single = {**bot_env(up), "DATABASE_URL": single_db}
        oauth = {**bot_env(up), "DATABASE_URL": oauth_db, "SLACK_CLIENT_ID": CLIENT_ID,
                 "SLACK_CLIENT_SECRET": CLIENT_SECRET}  # fmt: skip
        oauth.pop("SLACK_BOT_TOKEN")
        one_token: list[float] = []
        installed: list[float] = []
        ratios = []
        with bot_server(single, free_port()) as single_url, \
                bot_server(oauth, free_port()) as oauth_url:  # fmt: skip
            for round_ in range(args.rounds):
                a = measure(single_url, up, args.teams, args.concurrency, args.requests,
                            f"s{round_}")  # fmt: skip
                b = measure(oauth_url, up, args.teams, args.concurrency, args.requests,
                            f"o{round_}")  # fmt: skip
                ratios.append(percentile(b, 99) / percentile(a, 99))
                one_token, installed = one_token + a, installed + b
                up.arrivals(f"/response/o{round_}-", args.requests)  # let the answers drain
        auth_tests = len(up.calls(up.slack_url, "/api/auth.test"))
    print(f"ack latency, {args.concurrency} concurrent, {args.requests * args.rounds} commands "
          f"per server, spread over {args.teams} workspaces:")  # fmt: skip
    print("  " + summary("single token (SLACK_BOT_TOKEN)", one_token))
    print("  " + summary("OAuth (installation per request)", installed))
    ratio = percentile(installed, 99) / percentile(one_token, 99)
    print(f"  p99 ratio OAuth / single token: {ratio:.2f}  (target <= 1.20)")
    print("  p99 ratio per round: " + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"  auth.test calls in the whole run: {auth_tests} (cached per token)")


if __name__ == "__main__":
    main()
