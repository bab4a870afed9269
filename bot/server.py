"""Production HTTP serving: gunicorn (gthread) running the WSGI app, built inside the worker."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.bootstrap import build_runtime
from bot.config import Settings
from bot.slack.web import WSGIApp

log = logging.getLogger(__name__)


class PapersServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with our settings; each worker builds its own runtime after the fork."""

    def __init__(self, settings: Settings, port: int, scheduler: bool) -> None:
        self._settings = settings
        self._port = port
        self._scheduler = scheduler
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"0.0.0.0:{self._port}",
            "workers": self._settings.web_concurrency,
            "worker_class": "gthread",
            "threads": self._settings.web_threads,
            "timeout": 30,
            "graceful_timeout": 10,
            "keepalive": 5,
            "loglevel": self._settings.log_level.lower(),
            "proc_name": "papers-bot",
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        runtime = build_runtime(self._settings)
        if self._scheduler:
            runtime.start_scheduler()
        log.info("papers-bot ready: POST /slack/events, GET /healthz on port %d", self._port)
        return runtime.wsgi()


def run_gunicorn(settings: Settings, port: int, scheduler: bool) -> int:
    PapersServer(settings, port, scheduler).run()
    return 0
