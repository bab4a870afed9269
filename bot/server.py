"""Production HTTP serving: gunicorn manages the processes, waitress reads the requests.

gunicorn's own gthread worker hands a connection to a thread as soon as its first byte arrives,
and the thread then blocks reading the rest: 16 clients sending their headers slowly held all
16 threads and no ack went out (issue 11). waitress reads every request whole in its event
loop (headers up to MAX_HEADER_BYTES, bodies up to MAX_BODY_BYTES, refused with 413 from the
Content-Length alone) and only then gives it to one of `WEB_THREADS`, so a slow or stalled
client costs a socket, never a thread. gunicorn keeps what it is good at: pre-forked workers
(`WEB_CONCURRENCY`), heartbeats, restarts and graceful shutdown on SIGTERM.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import Any

import waitress
from gunicorn.app.base import BaseApplication
from gunicorn.workers.base import Worker

from bot.bootstrap import build_runtime
from bot.config import Settings
from bot.slack.web import MAX_BODY_BYTES, WSGIApp

log = logging.getLogger(__name__)
MAX_HEADER_BYTES = 64 * 1024
IDLE_SECONDS = 60  # a connection that sends nothing for this long is closed


class WaitressWorker(Worker):  # type: ignore[misc]
    """A gunicorn worker serving its listening sockets with waitress."""

    def run(self) -> None:
        settings: Settings = self.app.settings
        server = waitress.create_server(
            self.wsgi, sockets=[listener.sock for listener in self.sockets],
            threads=settings.web_threads, connection_limit=settings.web_connections,
            max_request_body_size=MAX_BODY_BYTES + 1,  # waitress refuses a length >= this
            max_request_header_size=MAX_HEADER_BYTES, channel_timeout=IDLE_SECONDS,
            asyncore_use_poll=True,  # select() stops at 1,024 descriptors
            backlog=2048, ident="papers-bot", expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
        )  # fmt: skip
        threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True).start()
        server.run()  # returns after SystemExit (handle_exit): in-flight tasks finish first

    def _heartbeat(self) -> None:
        """Tell the arbiter this worker lives; stop when it is told to or orphaned."""
        while self.alive:
            self.notify()
            if self.ppid != os.getppid():
                log.info("gunicorn arbiter gone: worker %s stops", self.pid)
                os.kill(self.pid, signal.SIGTERM)  # the main thread leaves waitress's loop
                return
            time.sleep(1.0)

    def handle_exit(self, sig: int, frame: Any) -> None:
        """SIGTERM: leave waitress's loop (it finishes the requests it holds, then returns)."""
        self.alive = False
        sys.exit(0)


class PapersServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with our settings; each worker builds its own runtime after the fork."""

    def __init__(self, settings: Settings, port: int, scheduler: bool) -> None:
        self.settings = settings
        self._port = port
        self._scheduler = scheduler
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"0.0.0.0:{self._port}",
            "workers": self.settings.web_concurrency,
            "worker_class": WaitressWorker,
            "timeout": 30,
            "graceful_timeout": 10,
            "loglevel": self.settings.log_level.lower(),
            "proc_name": "papers-bot",
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        runtime = build_runtime(self.settings)
        if self._scheduler:
            runtime.start_scheduler()
        log.info("papers-bot ready: POST /slack/events, GET /healthz on port %d", self._port)
        return runtime.wsgi()


def run_gunicorn(settings: Settings, port: int, scheduler: bool) -> int:
    PapersServer(settings, port, scheduler).run()
    return 0
