"""What the bot asks Slack about people."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.installs import NotInstalled

log = logging.getLogger(__name__)


def zone_lookup(clients: Callable[[str], WebClient]) -> Callable[[str, str], str | None]:
    """A function (team, user) -> the person's IANA zone as Slack reports it (users.info tz)."""

    def zone_of(team_id: str, user_id: str) -> str | None:
        try:
            response = clients(team_id).users_info(user=user_id)
        except NotInstalled:
            return None
        except SlackApiError as exc:
            log.info("team=%s users.info %s failed: %s", team_id, user_id,
                     exc.response.get("error"))  # fmt: skip
            return None
        user = response.get("user") or {}
        zone = user.get("tz") if isinstance(user, dict) else None
        return zone if isinstance(zone, str) else None

    return zone_of
