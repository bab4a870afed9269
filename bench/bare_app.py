"""The baseline: a Bolt app that only acks /papers, behind Bolt's own WSGI adapter (as Bolt's
documentation serves it under gunicorn), without papers-bot's front (bot/slack/web.py)."""

from __future__ import annotations

import os

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    token_verification_enabled=False,
)


@app.command("/papers")
def only_ack(ack: Ack) -> None:
    ack()


wsgi = SlackRequestHandler(app)
