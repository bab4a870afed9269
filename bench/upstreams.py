"""The Slack and Hugging Face fakes in a process of their own, so a bench's load generator and
the fakes do not share one interpreter lock. Prints one JSON line with their URLs, then serves
until standard input closes. Arrival times: GET <url>/_fake/calls?prefix=/response/; the
chat.postMessage log: GET <slack url>/_fake/posts.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from bot.core.window import feed_days
from tests.fakes.hf import FakeHuggingFace, load_corpus
from tests.fakes.slack import FakeSlack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=0, help="workspaces T001.. (token xoxb-T001)")
    parser.add_argument("--channels", type=int, default=0, help="channels per workspace")
    parser.add_argument("--channel-rate", type=float, help="enforced posts/s per channel")
    parser.add_argument("--workspace-rate", type=float, help="enforced posts/s per workspace")
    parser.add_argument("--now", help="serve the feed days of this ISO instant (default: now)")
    args = parser.parse_args()
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    with FakeSlack() as slack, FakeHuggingFace(load_corpus()) as hf:
        slack.response_url_max_uses = None
        slack.add_channel("C0001", name="research")
        for team in range(1, args.teams + 1):
            team_id = f"T{team:03d}"
            slack.add_token(f"xoxb-{team_id}", team_id)
            for channel in range(args.channels):
                slack.add_channel(f"C{team:03d}{channel:04d}", team_id=team_id)
        if args.channel_rate:
            slack.enforce_post_rate(args.channel_rate, burst=2)
        if args.workspace_rate:
            slack.enforce_workspace_rate(args.workspace_rate, burst=3)
        hf.serve_days(feed_days(now, 7))
        print(json.dumps({"slack": slack.url, "hf": hf.url}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
