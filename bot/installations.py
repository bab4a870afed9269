"""Installing and uninstalling the app in a workspace (OAuth mode): greet, clean up.

- Installed (or reinstalled): the workspace is active again, the installer gets a DM on how to
  start, and nothing already there is lost (a reinstall replaces tokens, keeps data).
- Uninstalled or its tokens revoked: the installation is deleted and the workspace's channels,
  subscriptions, digest runs and posts go at once, so no digest goes out. Reading lists go too,
  unless UNINSTALL_KEEP_SAVES_DAYS keeps them for that long (a reinstall within it keeps them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.installs import Workspaces
from bot.storage.repositories import Store
from bot.storage.saves import SaveStore

log = logging.getLogger(__name__)

WELCOME = (
    "Thanks for adding *papers-bot*! Three ways to start:\n"
    "• `/papers value alignment`: today's trending papers on a topic (only you see them)\n"
    "• In a channel, `/papers subscribe diffusion models`: a daily digest there "
    "(`cat:cs.CL` follows an arXiv category)\n"
    "• React with :bookmark: to a paper the bot posted to save it to your reading list "
    "(`/papers saved`, or the app's Home tab)\n"
    "`/papers help` shows everything."
)


class InstallationService:
    def __init__(
        self,
        workspaces: Workspaces,
        store: Store,
        saves: SaveStore,
        *,
        keep_saves: timedelta = timedelta(0),
        clock: Callable[[], datetime],
    ) -> None:
        self._workspaces, self._store, self._saves = workspaces, store, saves
        self._keep_saves, self._clock = keep_saves, clock

    def installed(self, team_id: str, installer: str | None, client: WebClient) -> None:
        """After a successful install: active again, and a welcome DM to the installer."""
        self._workspaces.forget(team_id)
        self._store.set_workspace_active(team_id, True, None, self._clock())
        log.info("team=%s installed by %s", team_id, installer)
        if installer:
            try:
                client.chat_postMessage(channel=installer, text=WELCOME)
            except SlackApiError as exc:
                log.warning("team=%s welcome DM failed: %s", team_id, exc.response.get("error"))

    def uninstalled(self, team_id: str, enterprise_id: str | None = None) -> None:
        """The app was removed (or its bot token revoked): delete what belongs to the team."""
        self._workspaces.uninstall(team_id, enterprise_id)
        counts = self._store.purge_team(team_id, "uninstalled", self._clock())
        saves = 0 if self._keep_saves else self._saves.delete_team(team_id)
        log.info("team=%s uninstalled: deleted %s, %d saves%s", team_id, counts, saves,
                 f" (reading lists kept {self._keep_saves.days} days)" if self._keep_saves
                 else "")  # fmt: skip

    def purge_expired_states(self) -> int:
        """Delete OAuth states of installs never finished, once expired (visits to
        /slack/install need no authentication, so they must not pile up)."""
        deleted = self._workspaces.purge_expired_states(self._clock())
        if deleted:
            log.info("deleted %d expired OAuth states", deleted)
        return deleted

    def purge_kept_saves(self) -> int:
        """Delete reading lists of workspaces uninstalled longer ago than the grace period."""
        if not self._keep_saves:
            return 0
        deleted = 0
        for team_id in self._store.uninstalled_before(self._clock() - self._keep_saves):
            deleted += self._saves.delete_team(team_id)
        return deleted
