"""Builds everything once, from Settings: clients, sources, storage, services, Bolt app, jobs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler
from sqlalchemy import Engine

from bot import __version__, scheduler
from bot.config import Settings
from bot.digests import DigestService
from bot.reading_list import ReadingListService
from bot.services import PaperService
from bot.slack.app import build_app
from bot.slack.pacing import Pacer
from bot.slack.poster import Poster
from bot.slack.users import zone_lookup
from bot.slack.web import WSGIApp, create_wsgi_app
from bot.sources.cache import DailyPaperCache
from bot.sources.hf import HuggingFaceClient
from bot.storage.database import create_database_engine
from bot.storage.migrate import upgrade
from bot.storage.repositories import Store
from bot.storage.saves import SaveStore
from bot.subscriptions import SubscriptionService

USER_AGENT = f"papers-bot/{__version__} (Slack app; trending research papers)"
log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The built objects of one process; `close()` releases them."""

    settings: Settings
    http: httpx.Client
    slack_http: httpx.Client
    engine: Engine
    store: Store
    cache: DailyPaperCache
    papers: PaperService
    channels: SubscriptionService
    digests: DigestService
    reading: ReadingListService
    app: App | None = None
    jobs: Any = field(default=None)

    def start_scheduler(self) -> None:
        """Background jobs inside this process (serve, socket)."""
        self.jobs = scheduler.background(self.papers, self.digests, self.settings.refresh_minutes)
        self.jobs.start()

    def run_worker(self) -> None:
        """Background jobs only, blocking (the `worker` process)."""
        self.jobs = scheduler.blocking(self.papers, self.digests, self.settings.refresh_minutes)
        self.jobs.start()

    def health(self) -> tuple[bool, dict[str, Any]]:
        running = bool(self.jobs and self.jobs.running)
        try:
            database = "ok" if self.store.ping() else "failing"
        except Exception as exc:
            database = f"failing: {type(exc).__name__}"
        report = {
            "papers_cached": self.cache.size(),
            "scheduler": "running" if running else "off",
            "database": database,
        }
        return database == "ok", report

    def wsgi(self) -> WSGIApp:
        assert self.app is not None, "built without Slack"
        return create_wsgi_app(self.app, self.health)

    def close(self) -> None:
        if self.jobs is not None and self.jobs.running:
            self.jobs.shutdown(wait=False)
        self.http.close()
        self.slack_http.close()
        self.engine.dispose()


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


def migrate(settings: Settings) -> None:
    """`papers-bot db upgrade`, and what serve/socket/worker do before they start."""
    engine = create_database_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def build_runtime(settings: Settings, *, slack: bool = True, socket_mode: bool = False) -> Runtime:
    """Everything this process needs; `slack=False` for the terminal preview."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    http = http_client(settings, token=settings.hf_token)
    slack_http = http_client(settings)  # response_url posts: never carries the HF token
    hf = HuggingFaceClient(http, settings.hf_base_url)
    cache = DailyPaperCache(hf, refresh=timedelta(minutes=settings.refresh_minutes))
    papers = PaperService(cache, hf, window_days=settings.trending_days)
    engine = create_database_engine(settings.database_url)
    store = Store(engine)
    background_client = WebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=15,
        retry_handlers=[ConnectionErrorRetryHandler()],
    )  # fmt: skip
    pacer = Pacer(per_channel=1.0, per_workspace=1.0 / settings.workspace_posts_per_second)
    poster = Poster(lambda team_id: background_client)  # one workspace: one token
    digests = DigestService(
        store, cache, poster, pacer, window_days=settings.trending_days,
        grace=timedelta(minutes=settings.digest_grace_minutes), threads=settings.digest_threads,
    )  # fmt: skip
    channels = SubscriptionService(
        store, cache, zone_lookup(background_client), window_days=settings.trending_days
    )
    reading = ReadingListService(SaveStore(engine), store, papers.find, settings.save_emoji)
    app = None
    if slack:
        app = build_app(settings, papers, channels, reading, slack_http, socket_mode=socket_mode)
    return Runtime(
        settings=settings, http=http, slack_http=slack_http, engine=engine, store=store,
        cache=cache, papers=papers, channels=channels, digests=digests, reading=reading, app=app,
    )  # fmt: skip
