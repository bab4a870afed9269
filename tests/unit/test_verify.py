"""The signature check: Slack's scheme, and never an exception whatever the headers say."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from bot.slack.verify import MAX_AGE_SECONDS, signed_by_slack
from tests.fakes.slack_requests import sign

SECRET = "unit-secret"
BODY = b"token=x&command=%2Fpapers&text=value+alignment"


def test_a_body_signed_with_the_secret_is_accepted() -> None:
    headers = sign(SECRET, BODY)
    assert signed_by_slack(SECRET, headers["X-Slack-Request-Timestamp"],
                           headers["X-Slack-Signature"], BODY, time.time())  # fmt: skip


def test_it_agrees_with_slack_sdks_verifier_on_good_input() -> None:
    now = int(time.time())
    headers = sign(SECRET, BODY, now)
    ours = signed_by_slack(SECRET, str(now), headers["X-Slack-Signature"], BODY, now)
    theirs = SignatureVerifier(SECRET).is_valid(BODY, str(now), headers["X-Slack-Signature"])
    assert ours and theirs


def test_another_secret_a_changed_body_a_replay_and_a_missing_header_are_refused() -> None:
    now = int(time.time())
    headers = sign(SECRET, BODY, now)
    timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert not signed_by_slack("other", timestamp, signature, BODY, now)
    assert not signed_by_slack(SECRET, timestamp, signature, BODY + b"&x=1", now)
    assert not signed_by_slack(SECRET, timestamp, signature, BODY, now + MAX_AGE_SECONDS + 1)
    assert not signed_by_slack(SECRET, None, signature, BODY, now)
    assert not signed_by_slack(SECRET, timestamp, None, BODY, now)
    assert not signed_by_slack(None, timestamp, signature, BODY, now)
    assert not signed_by_slack("", timestamp, signature, BODY, now)


def test_timestamps_that_are_not_whole_ascii_numbers_are_refused_not_raised() -> None:
    """Issue 11: slack-sdk's verifier raises ValueError on these (the 500 behind the forgery)."""
    for timestamp in ["abc", "1.5", "", "1,2", " 1", "-1", "²³", "١٢٣", "1" * 40, "0x10"]:
        signature = sign(SECRET, BODY, 0)["X-Slack-Signature"]
        assert not signed_by_slack(SECRET, timestamp, signature, BODY, time.time())


@given(
    timestamp=st.one_of(st.none(), st.text(max_size=30)),
    signature=st.one_of(st.none(), st.text(max_size=80)),
    body=st.binary(max_size=200),
)
def test_no_header_or_body_makes_it_raise_or_accept(
    timestamp: str | None, signature: str | None, body: bytes
) -> None:
    assert not signed_by_slack(SECRET, timestamp, signature, body, time.time())


@given(body=st.binary(max_size=500))
def test_any_body_signed_with_the_secret_is_accepted_even_if_not_utf8(body: bytes) -> None:
    now = int(time.time())
    headers = sign(SECRET, body, now)
    assert signed_by_slack(SECRET, str(now), headers["X-Slack-Signature"], body, now)
