"""Command line: papers-bot serve | socket | preview."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from bot import __version__
from bot.config import ConfigError, Settings, load
from bot.services import DEFAULT_LIMIT, MAX_LIMIT

if TYPE_CHECKING:
    from bot.bootstrap import Runtime

log = logging.getLogger("bot")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `papers-bot` console script and `python -m bot`."""
    args = _parser().parse_args(argv)
    try:
        settings = load()
        _configure_logging(settings.log_level)
        return int(args.run(settings, args))
    except ConfigError as exc:
        print(f"papers-bot: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0][:300]
        print(f"papers-bot: the database (DATABASE_URL) cannot be used: {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="papers-bot", description="Trending papers in Slack.")
    parser.add_argument("--version", action="version", version=f"papers-bot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="HTTP mode: POST /slack/events, GET /healthz")
    serve.add_argument("--port", type=int, help="port to listen on (default: $PORT or 3000)")
    serve.add_argument("--no-scheduler", action="store_true", help="do not run background jobs")
    serve.set_defaults(run=_serve)

    socket = commands.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN)")
    socket.add_argument("--no-scheduler", action="store_true", help="do not run background jobs")
    socket.set_defaults(run=_socket)

    worker = commands.add_parser("worker", help="background jobs only: refresh papers, digests")
    worker.set_defaults(run=_worker)

    send = commands.add_parser("send-digests", help="post every digest due now, then exit")
    send.add_argument("--now", type=_instant, help="ISO 8601 instant to act as (default: now)")
    send.set_defaults(run=_send_digests)

    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current"], help="upgrade: apply migrations")
    db.set_defaults(run=_db)

    preview = commands.add_parser("preview", help="print the ranked answer of /papers [TOPIC]")
    preview.add_argument("topic", nargs="*", help="topic words (none: today's top papers)")
    preview.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"1 to {MAX_LIMIT}")
    preview.set_defaults(run=_preview)
    return parser


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 instant, like 2026-11-27T08:00:00Z"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    settings.require_slack("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    from bot.bootstrap import migrate
    from bot.server import run_gunicorn

    migrate(settings)
    port = args.port or settings.port
    return run_gunicorn(settings, port=port, scheduler=not args.no_scheduler)


def _socket(settings: Settings, args: argparse.Namespace) -> int:
    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")  # Socket Mode: one workspace
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.bootstrap import build_runtime, migrate

    migrate(settings)
    runtime = build_runtime(settings, socket_mode=True)
    if not args.no_scheduler:
        runtime.start_scheduler()
    assert runtime.app is not None
    log.info("papers-bot %s in Socket Mode", __version__)
    try:
        SocketModeHandler(runtime.app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
    finally:
        runtime.close()
    return 0


def _background(settings: Settings) -> Runtime:
    """What `worker` and `send-digests` run on: a migrated database, no Bolt app."""
    settings.require_slack("SLACK_BOT_TOKEN")
    from bot.bootstrap import build_runtime, migrate

    migrate(settings)
    return build_runtime(settings, slack=False)


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    runtime = _background(settings)
    log.info("papers-bot %s worker: refreshing papers and sending digests", __version__)
    try:
        runtime.run_worker()
    finally:
        runtime.close()
    return 0


def _send_digests(settings: Settings, args: argparse.Namespace) -> int:
    runtime = _background(settings)
    try:
        report = runtime.digests.send_due_digests(args.now or datetime.now(UTC))
    finally:
        runtime.close()
    print(report.line())
    return 0


def _db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import migrate
    from bot.storage.database import create_database_engine
    from bot.storage.migrate import current

    if args.action == "upgrade":
        migrate(settings)
    engine = create_database_engine(settings.database_url)
    try:
        print(f"database schema at revision {current(engine) or '(empty)'}")
    finally:
        engine.dispose()
    return 0


def _preview(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import build_runtime, migrate
    from bot.terminal import render_answer

    if not 1 <= args.limit <= MAX_LIMIT:
        print(f"papers-bot: --limit must be from 1 to {MAX_LIMIT}", file=sys.stderr)
        return 2
    migrate(settings)  # the paper store lives in the database, as for serve
    runtime = build_runtime(settings, slack=False)
    try:
        answer = runtime.papers.trending(" ".join(args.topic), args.limit, datetime.now(UTC))
    finally:
        runtime.close()
    sys.stdout.write(render_answer(answer))
    nothing: Any = not answer.results and not answer.older
    return 1 if nothing and answer.notes else 0


if __name__ == "__main__":
    sys.exit(main())
