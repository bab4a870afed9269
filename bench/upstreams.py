"""The Slack and Hugging Face fakes in a process of their own, so a bench's load generator and
the fakes do not share one interpreter lock. Prints one JSON line with their URLs, then serves
until standard input closes. Arrival times: GET <url>/_fake/calls?prefix=/response/.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from bot.core.window import feed_days
from tests.fakes.hf import FakeHuggingFace, load_corpus
from tests.fakes.slack import FakeSlack


def main() -> None:
    with FakeSlack() as slack, FakeHuggingFace(load_corpus()) as hf:
        slack.response_url_max_uses = None
        slack.add_channel("C0001", name="research")
        hf.serve_days(feed_days(datetime.now(UTC), 7))
        print(json.dumps({"slack": slack.url, "hf": hf.url}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
