from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load, read_env_file


def test_defaults_need_nothing() -> None:
    s = Settings.from_env({})
    assert s.database_url == "sqlite:///papers-bot.db"
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.hf_base_url == "https://huggingface.co"
    assert s.arxiv_base_url == "https://rss.arxiv.org"
    assert (s.port, s.trending_days, s.log_level) == (3000, 7, "INFO")


def test_values_are_read_and_validated_all_at_once() -> None:
    s = Settings.from_env(
        {"PORT": "8080", "LOG_LEVEL": "debug", "HF_BASE_URL": "http://127.0.0.1:9"}
    )
    assert (s.port, s.log_level, s.hf_base_url) == (8080, "DEBUG", "http://127.0.0.1:9")
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"PORT": "http", "TRENDING_DAYS": "0", "SLACK_API_URL": "slack.com"})
    message = str(err.value)
    assert "PORT" in message and "TRENDING_DAYS" in message and "SLACK_API_URL" in message


def test_require_names_every_missing_setting() -> None:
    s = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "  "})
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET, SLACK_APP_TOKEN"):
        s.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")


def test_env_file_fills_in_but_the_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# comment\nexport PORT=4000\nSLACK_BOT_TOKEN='xoxb-file'\nLOG_LEVEL=WARNING\n")
    assert read_env_file(env)["SLACK_BOT_TOKEN"] == "xoxb-file"
    s = load({"LOG_LEVEL": "ERROR"}, env_file=env)
    assert (s.port, s.slack_bot_token, s.log_level) == (4000, "xoxb-file", "ERROR")
    assert read_env_file(tmp_path / "missing") == {}
