"""Is a request from Slack? The signature over the raw body, checked before anything parses it.

Hand-written rather than slack_sdk's `SignatureVerifier`: that one decodes the body as UTF-8
and calls `int()` on the timestamp header, so a hostile `abc` or a non-UTF-8 body raises
instead of answering "no" (issue 11: the exception reached Bolt's error handler, which then
answered through the unverified body's `response_url`).
"""

from __future__ import annotations

import hashlib
import hmac
import re

MAX_AGE_SECONDS = 300  # Slack: reject requests more than five minutes old (replays)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only (`\d` takes any Unicode digit)
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def signed_by_slack(
    secret: str | None, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> bool:
    """True only for a fresh request whose `X-Slack-Signature` is the HMAC-SHA256 of
    `v0:{timestamp}:{body}` with the signing secret. Never raises, whatever the inputs."""
    if not secret or timestamp is None or signature is None:
        return False
    if not _TIMESTAMP.fullmatch(timestamp) or abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    if not _SIGNATURE.fullmatch(signature):
        return False
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)
