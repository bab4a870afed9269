"""The WSGI app: Bolt on /slack/events (commands, events, buttons) and /healthz for operators."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]


def create_wsgi_app(app: App, health: Callable[[], tuple[bool, dict[str, Any]]]) -> WSGIApp:
    """Route `/healthz` here and everything else to Bolt (which 404s unknown paths)."""
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in {
            "GET",
            "HEAD",
        }:
            healthy, report = health()
            body = json.dumps({"status": "ok" if healthy else "degraded", **report}).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            start_response(status, headers)
            return [body]
        return slack(environ, start_response)

    return wsgi
