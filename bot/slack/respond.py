"""`respond()` over one pooled HTTP client: no new TCP/TLS connection per response_url post.

Bolt's own Respond opens a fresh urllib connection (and TLS handshake) for every answer; under a
burst that CPU competes with the acks of the next commands. Same call signature, same result type.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import httpx
from slack_bolt.context.respond import Respond
from slack_sdk.webhook import WebhookResponse

log = logging.getLogger(__name__)


class PooledRespond(Respond):
    """Posts to the response_url with a shared, keep-alive httpx client."""

    def __init__(self, *, response_url: str, http: httpx.Client) -> None:
        super().__init__(response_url=response_url)
        self._http = http

    def __call__(  # type: ignore[override]
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any]] | None = None,
        attachments: Sequence[dict[str, Any]] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if isinstance(text, dict):
            message = dict(text)
        else:
            optional = {
                "blocks": list(blocks) if blocks else None,
                "attachments": list(attachments) if attachments else None,
                "response_type": response_type,
                "replace_original": replace_original,
                "delete_original": delete_original,
                "unfurl_links": unfurl_links,
                "unfurl_media": unfurl_media,
                "thread_ts": thread_ts,
                "metadata": metadata,
            }
            message = {"text": text, **{k: v for k, v in optional.items() if v is not None}}
        return self._post(message)

    def _post(self, message: dict[str, Any]) -> WebhookResponse:
        url = str(self.response_url)
        try:
            response = self._http.post(url, json=message)
        except httpx.HTTPError as exc:
            log.warning("response_url post failed: %s", type(exc).__name__)
            return WebhookResponse(url=url, status_code=599, body=str(exc), headers={})
        return WebhookResponse(
            url=url,
            status_code=response.status_code,
            body=response.text,
            headers=dict(response.headers),
        )
