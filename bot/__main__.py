"""Command line: papers-bot serve | socket | preview."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
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
        _configure_logging(settings.log_level, settings.log_format)
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

    stats = commands.add_parser("stats", help="operators' view: workspaces, channels, saves ...")
    stats.add_argument("--json", action="store_true", help="print JSON instead of text")
    stats.add_argument("--days", type=int, default=7, help="posts per day for this many days")
    stats.set_defaults(run=_stats)

    preview = commands.add_parser("preview", help="print the ranked answer of /papers [TOPIC]")
    preview.add_argument("topic", nargs="*", help="topic words (none: today's top papers)")
    preview.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"1 to {MAX_LIMIT}")
    preview.set_defaults(run=_preview)
    return parser


def _configure_logging(level: str, fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )  # fmt: skip
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the team and channel ids of the message as fields."""

    def format(self, record: logging.LogRecord) -> str:
        import json

        message = record.getMessage()
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": message,
        }  # fmt: skip
        for field in ("team", "channel"):
            found = re.search(rf"\b{field}=([A-Z0-9_-]+)", message)
            if found:
                entry[field] = found.group(1)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


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
    from bot.bootstrap import prepare_database
    from bot.server import run_gunicorn

    prepare_database(settings)
    port = args.port or settings.port
    return run_gunicorn(settings, port=port, scheduler=not args.no_scheduler)


def _socket(settings: Settings, args: argparse.Namespace) -> int:
    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")  # Socket Mode: one workspace
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.bootstrap import build_runtime, prepare_database

    prepare_database(settings)
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
    from bot.bootstrap import build_runtime, prepare_database

    prepare_database(settings)
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
    if report.lost_work:  # the database failed mid-tick: some bookkeeping was not saved
        print("papers-bot: database errors: some digest bookkeeping was not saved (see the log);"
              " nothing is posted twice, a later run picks the rest up",
              file=sys.stderr)  # fmt: skip
        return 1
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


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from bot.bootstrap import source_health
    from bot.storage.database import create_database_engine
    from bot.storage.migrate import current
    from bot.storage.papers import PaperStore
    from bot.storage.repositories import Store

    engine = create_database_engine(settings.database_url)
    try:
        if current(engine) is None:
            print("papers-bot: the database is empty; run `papers-bot db upgrade` first",
                  file=sys.stderr)  # fmt: skip
            return 1
        since = (datetime.now(UTC) - timedelta(days=max(1, args.days) - 1)).date()
        report = Store(engine).stats(since)
        report["installations"] = _installations(engine) if settings.oauth else "single token"
        report["sources"] = source_health(PaperStore(engine))
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print(_stats_text(report))
    return 0


def _installations(engine: Any) -> int:
    from sqlalchemy import text

    with engine.connect() as connection:
        query = text("SELECT COUNT(DISTINCT team_id) FROM slack_bots")
        return int(connection.execute(query).scalar() or 0)


def _stats_text(report: dict[str, Any]) -> str:
    lines = []
    for name, value in report.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) or "none"
            lines.append(f"{name:<14} {inner}")
        else:
            lines.append(f"{name:<14} {value}")
    return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} {v}" for k, v in value.items()) + "}"
    return str(value)


def _preview(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import build_runtime, prepare_database
    from bot.terminal import render_answer

    if not 1 <= args.limit <= MAX_LIMIT:
        print(f"papers-bot: --limit must be from 1 to {MAX_LIMIT}", file=sys.stderr)
        return 2
    prepare_database(settings)  # the paper store lives in the database, as for serve
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
