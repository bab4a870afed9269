"""Command line: papers-bot serve | socket | preview."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot import __version__
from bot.config import ConfigError, Settings, load
from bot.services import DEFAULT_LIMIT, MAX_LIMIT

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

    preview = commands.add_parser("preview", help="print the ranked answer of /papers [TOPIC]")
    preview.add_argument("topic", nargs="*", help="topic words (none: today's top papers)")
    preview.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"1 to {MAX_LIMIT}")
    preview.set_defaults(run=_preview)
    return parser


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    from bot.server import run_gunicorn

    port = args.port or settings.port
    return run_gunicorn(settings, port=port, scheduler=not args.no_scheduler)


def _socket(settings: Settings, args: argparse.Namespace) -> int:
    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.bootstrap import build_runtime

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


def _preview(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import build_runtime
    from bot.terminal import render_answer

    if not 1 <= args.limit <= MAX_LIMIT:
        print(f"papers-bot: --limit must be from 1 to {MAX_LIMIT}", file=sys.stderr)
        return 2
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
