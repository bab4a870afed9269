"""Workspaces and their bot tokens: one token (single-workspace mode), or OAuth installations
in the project's database (slack-sdk's SQLAlchemy stores, tables made by our migrations).

Everything that talks to Slack outside a request (digests, DMs, time zone lookups) asks
`Workspaces.client(team_id)`; Bolt's requests are authorized by `CachedAuthorize`, which looks
the installation up on every request (remembered for LOOKUP_TTL_SECONDS) and calls `auth.test`
once per token, not per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.context.context import BoltContext
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, text

from bot.config import Settings
from bot.ttl import TtlCache

log = logging.getLogger(__name__)
STATE_EXPIRATION_SECONDS = 600
LOOKUP_TTL_SECONDS = 10.0
LOOKUPS_KEPT = 10_000  # workspaces whose installation lookups are remembered at once
ROTATE_MINUTES_BEFORE = 120  # rotate a bot token this long before it expires
PURGE_EVERY_ISSUES = 100  # each process deletes expired OAuth states once per this many issued
ClientFactory = Callable[[str | None], WebClient]


class RecentInstallations(InstallationStore):
    """The installation store with lookups remembered for a few seconds, so the ack path does
    not query the database on every request. Saves and deletions made in this process forget
    at once; another process's uninstall is seen within LOOKUP_TTL_SECONDS (its tokens are
    revoked by Slack anyway, and its data is deleted in the shared database)."""

    def __init__(self, store: InstallationStore, ttl: float = LOOKUP_TTL_SECONDS) -> None:
        self._store = store
        self._found = TtlCache[tuple[Any, ...], Any](ttl=ttl, size=LOOKUPS_KEPT)

    @property
    def logger(self) -> logging.Logger:
        return log

    def save(self, installation: Installation) -> None:
        self.forget()
        self._store.save(installation)

    def save_bot(self, bot: Bot) -> None:
        self.forget()
        self._store.save_bot(bot)

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:  # fmt: skip
        key = ("bot", enterprise_id, team_id, is_enterprise_install)
        found = self._remembered(key, lambda: self._store.find_bot(
            enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        ))  # fmt: skip
        return cast(Bot | None, found)

    def find_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:  # fmt: skip
        key = ("installation", enterprise_id, team_id, user_id, is_enterprise_install)
        found = self._remembered(key, lambda: self._store.find_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        ))  # fmt: skip
        return cast(Installation | None, found)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.forget()
        self._store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                            user_id: str | None = None) -> None:  # fmt: skip
        self.forget()
        self._store.delete_installation(enterprise_id=enterprise_id, team_id=team_id,
                                        user_id=user_id)  # fmt: skip

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.forget()
        self._store.delete_all(enterprise_id=enterprise_id, team_id=team_id)

    def _remembered(self, key: tuple[Any, ...], find: Callable[[], Any]) -> Any:
        return self._found.remember(key, find)

    def forget(self) -> None:
        self._found.clear()


class PurgingOAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack-sdk's state store, which never deletes a state nobody came back with: here every
    PURGE_EVERY_ISSUES-th issue (the first included) deletes the expired ones, so a flood of
    visits to /slack/install leaves at most the live states plus that many (besides the
    scheduler's purge-oauth-states job)."""

    def __init__(self, expiration_seconds: int, engine: Engine) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine)
        self._issued = 0
        self._issued_lock = threading.Lock()

    def issue(self, *args: Any, **kwargs: Any) -> str:
        with self._issued_lock:
            due = self._issued % PURGE_EVERY_ISSUES == 0
            self._issued += 1
        if due:
            self.purge_expired(datetime.now(UTC))
        return str(super().issue(*args, **kwargs))

    def purge_expired(self, now: datetime) -> int:
        """Delete the states that expired before `now` (one DELETE); how many went."""
        expire_at = self.oauth_states.c.expire_at
        with self.engine.begin() as connection:
            deleted = connection.execute(
                self.oauth_states.delete().where(expire_at < normalize_datetime_for_db(now))
            )
        return deleted.rowcount


class NotInstalled(Exception):
    """The workspace has no installation (never installed, or uninstalled)."""


class Workspaces:
    """team id -> bot token -> WebClient, for background work."""

    def __init__(self, settings: Settings, engine: Engine, make_client: ClientFactory) -> None:
        self._settings = settings
        self._make_client = make_client
        self._engine = engine
        self.installation_store: RecentInstallations | None = None
        self.state_store: PurgingOAuthStateStore | None = None
        self._rotator: TokenRotator | None = None
        if settings.oauth:
            assert settings.slack_client_id is not None
            assert settings.slack_client_secret is not None
            self._raw = SQLAlchemyInstallationStore(
                client_id=settings.slack_client_id, engine=engine
            )
            self.installation_store = RecentInstallations(self._raw)
            if settings.slack_token_rotation:
                self._rotator = TokenRotator(
                    client_id=settings.slack_client_id,
                    client_secret=settings.slack_client_secret, client=make_client(None),
                )  # fmt: skip
            self.state_store = PurgingOAuthStateStore(
                expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine
            )
        self._clients: dict[str, WebClient] = {}
        self._lock = threading.Lock()
        self._rotating: dict[str, threading.Lock] = {}

    @property
    def oauth(self) -> bool:
        return self.installation_store is not None

    def token(self, team_id: str) -> str | None:
        """The workspace's bot token (None: not installed)."""
        if self.installation_store is None:
            return self._settings.slack_bot_token
        bot = self.installation_store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is not None and self._rotator is not None and _expiring(bot):
            bot = self._rotate(team_id) or bot
        return bot.bot_token if bot is not None else None

    def fresh(self, team_id: str | None) -> None:
        """Rotate the workspace's bot token first if it is about to expire (rotation on)."""
        if team_id and self._rotator is not None:
            self.token(team_id)

    def _rotate(self, team_id: str) -> Bot | None:
        """Refresh an expiring bot token, one rotation per workspace at a time: a process lock,
        and on PostgreSQL an advisory lock, so two processes never spend the same refresh
        token. Whoever comes second finds the rotated token and keeps it."""
        assert self._rotator is not None
        with self._lock:
            lock = self._rotating.setdefault(team_id, threading.Lock())
        with lock, self._engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                connection.execute(text("SELECT pg_advisory_lock(hashtext(:k))"),
                                   {"k": "rotate:" + team_id})  # fmt: skip
            try:
                bot = self._raw.find_bot(enterprise_id=None, team_id=team_id)
                if bot is None or not _expiring(bot):
                    return bot
                rotated = self._rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE
                )
                if rotated is not None:
                    self._raw.save_bot(rotated)
                    log.info("team=%s bot token rotated", team_id)
                assert self.installation_store is not None
                self.installation_store.forget()
                return rotated or bot
            finally:
                if postgres:
                    connection.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"),
                                       {"k": "rotate:" + team_id})  # fmt: skip
                    connection.commit()

    def client(self, team_id: str) -> WebClient:
        """A Web API client with the workspace's bot token; NotInstalled when it has none."""
        token = self.token(team_id)
        if token is None:
            raise NotInstalled(team_id)
        with self._lock:
            client = self._clients.get(token)
            if client is None:
                client = self._clients[token] = self._make_client(token)
            return client

    def forget(self, team_id: str) -> None:
        """Drop what this process remembers of a workspace (after an install or uninstall)."""
        if self.installation_store is not None:
            self.installation_store.forget()
        with self._lock:
            self._clients.clear()

    def purge_expired_states(self, now: datetime) -> int:
        """Delete OAuth states that expired before `now` (installs never finished); 0 without
        OAuth."""
        return 0 if self.state_store is None else self.state_store.purge_expired(now)

    def uninstall(self, team_id: str, enterprise_id: str | None = None) -> None:
        """Delete the workspace's installation and bot rows (tokens are gone)."""
        if self.installation_store is not None:
            self.installation_store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        self.forget(team_id)


def _expiring(bot: Bot) -> bool:
    expires = bot.bot_token_expires_at
    return expires is not None and expires <= time.time() + ROTATE_MINUTES_BEFORE * 60


class CachedAuthorize(InstallationStoreAuthorize):
    """Bolt's installation-store authorization, with auth.test cached per token, and a single
    log line for each workspace that is not installed (however many requests it sends)."""

    def __init__(self, workspaces: Workspaces, client: WebClient, **kwargs: Any) -> None:
        assert workspaces.installation_store is not None
        self._workspaces = workspaces
        super().__init__(
            installation_store=workspaces.installation_store, cache_enabled=True,
            client=client, bot_only=True, **kwargs,
        )  # fmt: skip
        self._unknown: set[str] = set()
        self._unknown_lock = threading.Lock()

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        self._workspaces.fresh(team_id)  # our rotation (serialised), never Bolt's own
        result = super().__call__(
            context=context, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
            actor_enterprise_id=actor_enterprise_id, actor_team_id=actor_team_id,
            actor_user_id=actor_user_id,
        )  # fmt: skip
        if result is None:
            key = team_id or enterprise_id or "?"
            with self._unknown_lock:
                first = key not in self._unknown
                self._unknown.add(key)
            if first:
                log.warning("team=%s is not installed: its requests are ignored", key)
        else:
            with self._unknown_lock:
                self._unknown.discard(team_id or "")
        return result


class _OnceFilter(logging.Filter):
    """Bolt logs an error for every request of a workspace that is not installed; we log our
    own line once per workspace instead (CachedAuthorize)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "AuthorizeResult (returned value from authorize) for it was not found" not in (
            record.getMessage()
        )


def quiet_bolt_not_installed_errors(logger: logging.Logger) -> None:
    logger.addFilter(_OnceFilter())
