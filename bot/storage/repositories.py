"""The Store: the channel and run queries in one object; each method is one transaction."""

from __future__ import annotations

from bot.storage.base import insert_ignore, paper_from_json, paper_to_json
from bot.storage.channels import ChannelQueries
from bot.storage.runs import MAX_POST_ATTEMPTS, RunQueries

__all__ = ["MAX_POST_ATTEMPTS", "Store", "insert_ignore", "paper_from_json", "paper_to_json"]


class Store(ChannelQueries, RunQueries):
    """Channels, subscriptions, digest runs and posts, scoped by Slack team id."""
