"""Workspaces and their bot tokens: one token (single-workspace mode), or OAuth installations
in the project's database (slack-sdk's SQLAlchemy stores, tables made by our migrations).

Everything that talks to Slack outside a request (digests, DMs, time zone lookups) asks
`Workspaces.client(team_id)`; Bolt's requests are authorized by `CachedAuthorize`, which reads
the installation on every request but calls `auth.test` once per token, not per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.context.context import BoltContext
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.config import Settings

log = logging.getLogger(__name__)
STATE_EXPIRATION_SECONDS = 600
TOKEN_TTL_SECONDS = 60.0
ClientFactory = Callable[[str | None], WebClient]


class NotInstalled(Exception):
    """The workspace has no installation (never installed, or uninstalled)."""


class Workspaces:
    """team id -> bot token -> WebClient, for background work."""

    def __init__(self, settings: Settings, engine: Engine, make_client: ClientFactory) -> None:
        self._settings = settings
        self._make_client = make_client
        self.installation_store: SQLAlchemyInstallationStore | None = None
        self.state_store: SQLAlchemyOAuthStateStore | None = None
        if settings.oauth:
            assert settings.slack_client_id is not None
            self.installation_store = SQLAlchemyInstallationStore(
                client_id=settings.slack_client_id, engine=engine
            )
            self.state_store = SQLAlchemyOAuthStateStore(
                expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine
            )
        self._tokens: dict[str, tuple[float, str | None]] = {}
        self._clients: dict[str, WebClient] = {}
        self._lock = threading.Lock()

    @property
    def oauth(self) -> bool:
        return self.installation_store is not None

    def token(self, team_id: str) -> str | None:
        """The workspace's bot token (None: not installed). Cached for a minute."""
        if self.installation_store is None:
            return self._settings.slack_bot_token
        with self._lock:
            cached = self._tokens.get(team_id)
        if cached is not None and time.monotonic() - cached[0] < TOKEN_TTL_SECONDS:
            return cached[1]
        bot = self.installation_store.find_bot(enterprise_id=None, team_id=team_id)
        token = bot.bot_token if bot is not None else None
        with self._lock:
            self._tokens[team_id] = (time.monotonic(), token)
        return token

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
        """Drop what this process cached for a workspace (after an uninstall or reinstall)."""
        with self._lock:
            cached = self._tokens.pop(team_id, None)
            if cached is not None and cached[1] is not None:
                self._clients.pop(cached[1], None)

    def uninstall(self, team_id: str, enterprise_id: str | None = None) -> None:
        """Delete the workspace's installation and bot rows (tokens are gone)."""
        if self.installation_store is not None:
            self.installation_store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        self.forget(team_id)


class CachedAuthorize(InstallationStoreAuthorize):
    """Bolt's installation-store authorization, with auth.test cached per token, and a single
    log line for each workspace that is not installed (however many requests it sends)."""

    def __init__(self, workspaces: Workspaces, client: WebClient, **kwargs: Any) -> None:
        assert workspaces.installation_store is not None
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
