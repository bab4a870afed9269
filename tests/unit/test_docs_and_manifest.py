"""The manifest, .env.example and README stay true to the code."""

import re
from pathlib import Path

import yaml

from bot.config import _INT_SETTINGS, _URL_SETTINGS, DEFAULT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
ENV_VARS = {
    "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL", "LOG_LEVEL",
    "HTTP_TIMEOUT_SECONDS", "HF_TOKEN", "SAVE_EMOJI", "LOG_FORMAT", "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET", "SLACK_SCOPES", "SLACK_REDIRECT_URI", "SLACK_TOKEN_ROTATION",
    *_INT_SETTINGS, *_URL_SETTINGS,
}  # fmt: skip


def test_manifest_declares_the_command_scopes_and_one_request_url() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/papers"]
    assert commands[0]["url"].endswith("/slack/events")
    assert len(manifest["display_information"]["name"]) <= 35
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= {"commands", "chat:write"}
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith("/slack/events")


def test_every_setting_is_in_env_example_and_the_readme() -> None:
    example = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    readme = set(re.findall(r"^\| `([A-Z_]+)` \|", (ROOT / "README.md").read_text(), re.M))
    assert example == ENV_VARS
    assert readme == ENV_VARS


def test_the_manifest_matches_the_oauth_defaults() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == DEFAULT_SCOPES
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)
    assert manifest["settings"]["token_rotation_enabled"] is False


def test_procfile_and_ci_use_the_documented_commands() -> None:
    procfile = (ROOT / "Procfile").read_text()
    assert "papers-bot serve" in procfile
    assert "release: papers-bot db upgrade" in procfile
    readme = (ROOT / "README.md").read_text()
    test_command = next(line for line in readme.splitlines() if "pytest" in line and "venv" in line)
    assert test_command in (ROOT / ".ci" / "run").read_text()
