"""The baseline: a Bolt app that only acks /papers, served by gunicorn like the bot."""

from __future__ import annotations

import os
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.web import create_wsgi_app

app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    token_verification_enabled=False,
)


@app.command("/papers")
def only_ack(ack: Ack) -> None:
    ack()


def _health() -> tuple[bool, dict[str, Any]]:
    return True, {}


wsgi = create_wsgi_app(app, _health, os.environ["SLACK_SIGNING_SECRET"])
