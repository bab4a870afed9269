"""Builds everything once, from Settings: clients, sources, storage, services, Bolt app, jobs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler
from sqlalchemy import Engine

from bot import __version__, scheduler
from bot.catalog import Catalog
from bot.config import ConfigError, Settings
from bot.core.query import parse_topic
from bot.digests import DigestService
from bot.installations import InstallationService
from bot.reading_list import ReadingListService
from bot.refresh import CategoryFeed, DailyFeed, Refresher
from bot.services import PaperService
from bot.slack.app import build_app
from bot.slack.installs import Workspaces
from bot.slack.pacing import Pacer
from bot.slack.poster import Poster
from bot.slack.users import zone_lookup
from bot.slack.web import WSGIApp, create_wsgi_app
from bot.sources.arxiv import ArxivClient
from bot.sources.hf import HuggingFaceClient
from bot.storage.database import create_database_engine
from bot.storage.migrate import current, head, upgrade
from bot.storage.papers import PaperStore
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
    arxiv_http: httpx.Client
    engine: Engine
    store: Store
    paper_store: PaperStore
    refresher: Refresher
    catalog: Catalog
    papers: PaperService
    channels: SubscriptionService
    digests: DigestService
    reading: ReadingListService
    workspaces: Workspaces
    installations: InstallationService
    app: App | None = None
    jobs: Any = field(default=None)

    def start_scheduler(self) -> None:
        """Background jobs inside this process (serve, socket)."""
        self.jobs = scheduler.background(self.refresher, self.digests, self.installations)
        self.jobs.start()

    def run_worker(self) -> None:
        """Background jobs only, blocking (the `worker` process)."""
        self.jobs = scheduler.blocking(self.refresher, self.digests, self.installations)
        self.jobs.start()

    def health(self) -> tuple[bool, dict[str, Any]]:
        running = bool(self.jobs and self.jobs.running)
        try:
            database = "ok" if self.store.ping() else "failing"
        except Exception as exc:
            database = f"failing: {type(exc).__name__}"
        report: dict[str, Any] = {
            "scheduler": "running" if running else "off",
            "database": database,
        }
        if database == "ok":
            report["sources"] = source_health(self.paper_store)
        return database == "ok", report

    def wsgi(self) -> WSGIApp:
        assert self.app is not None, "built without Slack"
        return create_wsgi_app(self.app, self.health, self.settings.slack_signing_secret)

    def close(self) -> None:
        if self.jobs is not None and self.jobs.running:
            self.jobs.shutdown(wait=False)
        self.http.close()
        self.slack_http.close()
        self.arxiv_http.close()
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
    """`papers-bot db upgrade` (the Procfile's release step)."""
    engine = create_database_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def prepare_database(settings: Settings) -> None:
    """What serve, socket and worker do before they start. SQLite (one process, the quick
    start) is migrated here; a shared PostgreSQL is migrated once by the release step, never
    by several processes racing at start, so here it is only checked."""
    engine = create_database_engine(settings.database_url)
    try:
        if engine.dialect.name == "sqlite":
            upgrade(engine)
            return
        found, wanted = current(engine), head()
        if found != wanted:
            raise ConfigError(
                f"the database schema is at {found or '(empty)'} and this release needs "
                f"{wanted}: run `papers-bot db upgrade` (the Procfile's release step) first"
            )
    finally:
        engine.dispose()


def build_runtime(settings: Settings, *, slack: bool = True, socket_mode: bool = False) -> Runtime:
    """Everything this process needs; `slack=False` for the terminal preview."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    http = http_client(settings, token=settings.hf_token)
    slack_http = http_client(settings)  # response_url posts: never carries the HF token
    arxiv_http = http_client(settings)  # nor do arXiv requests
    hf = HuggingFaceClient(http, settings.hf_base_url)
    engine = create_database_engine(settings.database_url)
    store = Store(engine)
    paper_store = PaperStore(engine)
    catalog, refresher = paper_catalog(
        paper_store, hf, ArxivClient(arxiv_http, settings.arxiv_base_url), store,
        window_days=settings.trending_days, hf_every=timedelta(minutes=settings.refresh_minutes),
    )  # fmt: skip
    papers = PaperService(catalog, hf, window_days=settings.trending_days)
    def background_client(token: str | None) -> WebClient:
        """For jobs: no automatic 429 retries (the poster paces and honours Retry-After)."""
        return WebClient(token=token, base_url=settings.slack_api_url, timeout=15,
                         retry_handlers=[ConnectionErrorRetryHandler()])  # fmt: skip

    workspaces = Workspaces(settings, engine, background_client)
    pacer = Pacer(per_channel=1.0, per_workspace=1.0 / settings.workspace_posts_per_second)
    poster = Poster(workspaces.client)  # each workspace's own bot token
    digests = DigestService(
        store, catalog, poster, pacer, window_days=settings.trending_days,
        grace=timedelta(minutes=settings.digest_grace_minutes), threads=settings.digest_threads,
        wait=timedelta(hours=settings.digest_wait_hours),
    )  # fmt: skip
    channels = SubscriptionService(
        store, catalog, zone_lookup(workspaces.client), window_days=settings.trending_days
    )
    saves = SaveStore(engine)
    reading = ReadingListService(saves, store, papers.find, settings.save_emoji)
    installations = InstallationService(
        workspaces, store, saves, keep_saves=timedelta(days=settings.uninstall_keep_saves_days),
        clock=lambda: datetime.now(UTC),
    )  # fmt: skip
    app = None
    if slack:
        app = build_app(settings, papers, channels, reading, slack_http, socket_mode=socket_mode,
                        workspaces=workspaces, installations=installations)  # fmt: skip
    return Runtime(
        settings=settings, http=http, slack_http=slack_http, arxiv_http=arxiv_http,
        engine=engine, store=store,
        paper_store=paper_store, refresher=refresher, catalog=catalog, papers=papers,
        channels=channels, digests=digests, reading=reading, workspaces=workspaces,
        installations=installations, app=app,
    )  # fmt: skip


def paper_catalog(
    paper_store: PaperStore,
    hf: DailyFeed,
    arxiv: CategoryFeed,
    store: Store,
    *,
    window_days: int = 7,
    hf_every: timedelta = timedelta(minutes=30),
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[Catalog, Refresher]:
    """The read side and the refresh job over one paper store (also for tests and benches)."""
    refresher = Refresher(
        paper_store, hf, arxiv, window_days=window_days, hf_every=hf_every,
        categories=lambda: followed_categories(store),
    )  # fmt: skip
    return Catalog(paper_store, refresher, clock=clock), refresher


def followed_categories(store: Store) -> set[str]:
    """The arXiv categories any active channel's topics name (the refresh job keeps them)."""
    return {c for text in store.active_topics() for c in parse_topic(text).categories}


def source_health(paper_store: PaperStore) -> dict[str, Any]:
    """Per source: feeds known, feeds failing, and the last successful fetch."""
    report: dict[str, Any] = {}
    for state in paper_store.feed_states():
        entry = report.setdefault(state.source, {"feeds": 0, "failing": 0, "last_fetch": None})
        entry["feeds"] += 1
        entry["failing"] += state.failing
        if state.fetched_at and (entry["last_fetch"] is None
                                 or state.fetched_at.isoformat() > entry["last_fetch"]):
            entry["last_fetch"] = state.fetched_at.isoformat()
    return report
