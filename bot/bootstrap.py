"""Builds everything once, from Settings: HTTP client, sources, services, Bolt app, scheduler."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App

from bot import __version__
from bot.config import Settings
from bot.scheduler import build_scheduler
from bot.services import PaperService
from bot.slack.app import build_app
from bot.slack.web import WSGIApp, create_wsgi_app
from bot.sources.cache import DailyPaperCache
from bot.sources.hf import HuggingFaceClient

USER_AGENT = f"papers-bot/{__version__} (Slack app; trending research papers)"


@dataclass
class Runtime:
    """The built objects of one process; `close()` releases them."""

    settings: Settings
    http: httpx.Client
    slack_http: httpx.Client
    cache: DailyPaperCache
    papers: PaperService
    app: App | None = None
    scheduler: BackgroundScheduler | None = field(default=None)

    def start_scheduler(self) -> None:
        self.scheduler = build_scheduler(self.papers, self.settings.refresh_minutes)
        self.scheduler.start()

    def health(self) -> tuple[bool, dict[str, Any]]:
        running = bool(self.scheduler and self.scheduler.running)
        report = {"papers_cached": self.cache.size(), "scheduler": "running" if running else "off"}
        return True, report

    def wsgi(self) -> WSGIApp:
        assert self.app is not None, "built without Slack"
        return create_wsgi_app(self.app, self.health)

    def close(self) -> None:
        if self.scheduler and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.http.close()
        self.slack_http.close()


def http_client(settings: Settings, token: str | None = None) -> httpx.Client:
    """A pooled client; `token` goes only to the upstream this client is for."""
    headers = {"User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(
        timeout=httpx.Timeout(settings.http_timeout, connect=min(5.0, settings.http_timeout)),
        headers=headers,
        follow_redirects=True,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )


def build_runtime(settings: Settings, *, slack: bool = True, socket_mode: bool = False) -> Runtime:
    """Everything this process needs; `slack=False` for the terminal preview."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    http = http_client(settings, token=settings.hf_token)
    slack_http = http_client(settings)  # response_url posts: never carries the HF token
    hf = HuggingFaceClient(http, settings.hf_base_url)
    cache = DailyPaperCache(hf, refresh=timedelta(minutes=settings.refresh_minutes))
    papers = PaperService(cache, hf, window_days=settings.trending_days)
    app = build_app(settings, papers, slack_http, socket_mode=socket_mode) if slack else None
    return Runtime(
        settings=settings, http=http, slack_http=slack_http, cache=cache, papers=papers, app=app
    )
