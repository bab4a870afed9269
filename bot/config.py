"""Settings: read once from the environment (and an optional `.env` file) into a frozen value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_HF_BASE_URL = "https://huggingface.co"
DEFAULT_ARXIV_BASE_URL = "https://rss.arxiv.org"
DEFAULT_DATABASE_URL = "sqlite:///papers-bot.db"


# The bot scopes manifest.yml asks for; SLACK_SCOPES overrides them for the OAuth install.
DEFAULT_SCOPES = (
    "commands", "chat:write", "channels:join", "users:read", "reactions:read", "im:write",
    "files:write",
)  # fmt: skip
# name -> (default, lowest, highest)
_INT_SETTINGS = {
    "PORT": (3000, 1, 65535),
    "TRENDING_DAYS": (7, 1, 30),
    "REFRESH_MINUTES": (30, 1, 1440),
    "LISTENER_THREADS": (32, 1, 512),
    "ANSWER_THREADS": (8, 1, 256),
    "DIGEST_GRACE_MINUTES": (120, 0, 1440),
    "DIGEST_WAIT_HOURS": (12, 1, 48),
    "UNINSTALL_KEEP_SAVES_DAYS": (0, 0, 365),
    "DIGEST_THREADS": (8, 1, 256),
    "WORKSPACE_POSTS_PER_SECOND": (10, 1, 100),
    "WEB_THREADS": (16, 1, 512),
    "WEB_CONNECTIONS": (1000, 10, 10000),
    "WEB_CONCURRENCY": (1, 1, 64),
}
_URL_SETTINGS = {
    "SLACK_API_URL": DEFAULT_SLACK_API_URL,
    "HF_BASE_URL": DEFAULT_HF_BASE_URL,
    "ARXIV_BASE_URL": DEFAULT_ARXIV_BASE_URL,
}


class ConfigError(Exception):
    """Settings are missing or invalid; the message names every one of them."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot can be told from outside. Nothing else reads the environment."""

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_scopes: tuple[str, ...] = DEFAULT_SCOPES
    slack_redirect_uri: str | None = None
    slack_token_rotation: bool = False
    uninstall_keep_saves_days: int = 0
    database_url: str = DEFAULT_DATABASE_URL
    slack_api_url: str = DEFAULT_SLACK_API_URL
    hf_base_url: str = DEFAULT_HF_BASE_URL
    hf_token: str | None = None
    arxiv_base_url: str = DEFAULT_ARXIV_BASE_URL
    port: int = 3000
    log_level: str = "INFO"
    log_format: str = "text"
    trending_days: int = 7
    refresh_minutes: int = 30
    listener_threads: int = 32
    answer_threads: int = 8
    digest_grace_minutes: int = 120
    digest_wait_hours: int = 12
    digest_threads: int = 8
    workspace_posts_per_second: int = 10
    save_emoji: frozenset[str] = frozenset({"bookmark"})
    web_threads: int = 16
    web_connections: int = 1000
    web_concurrency: int = 1
    http_timeout: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from a mapping of environment variables; ConfigError lists all faults."""
        env = {k: v.strip() for k, v in environ.items() if v and v.strip()}
        errors: list[str] = []
        numbers = {
            name: _int(env, name, default, low, high, errors)
            for name, (default, low, high) in _INT_SETTINGS.items()
        }
        level = env.get("LOG_LEVEL", "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            errors.append(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR (got {level!r})")
        log_format = env.get("LOG_FORMAT", "text").lower()
        if log_format not in {"text", "json"}:
            errors.append(f"LOG_FORMAT must be text or json (got {log_format!r})")
        timeout = _float(env, "HTTP_TIMEOUT_SECONDS", 10.0, errors)
        urls = {name: _url(env, name, default, errors) for name, default in _URL_SETTINGS.items()}
        emoji = frozenset(
            e.strip().strip(":").lower() for e in env.get("SAVE_EMOJI", "bookmark").split(",")
        ) - {""}
        if not emoji:
            errors.append("SAVE_EMOJI must name at least one emoji, like bookmark,star")
        scopes = tuple(dict.fromkeys(
            s.strip() for s in env.get("SLACK_SCOPES", ",".join(DEFAULT_SCOPES)).split(",")
            if s.strip()
        ))  # fmt: skip
        redirect = _url(env, "SLACK_REDIRECT_URI", "", errors) if env.get("SLACK_REDIRECT_URI") \
            else None
        rotation_text = env.get("SLACK_TOKEN_ROTATION", "off").lower()
        if rotation_text not in {"on", "off", "true", "false", "1", "0"}:
            errors.append(f"SLACK_TOKEN_ROTATION must be on or off (got {rotation_text!r})")
        rotation = rotation_text in {"on", "true", "1"}
        if bool(env.get("SLACK_CLIENT_ID")) != bool(env.get("SLACK_CLIENT_SECRET")):
            errors.append("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (OAuth mode)")
        if errors:
            raise ConfigError("Invalid settings:\n" + "\n".join(f"  - {e}" for e in errors))
        return cls(
            slack_api_url=urls["SLACK_API_URL"],
            hf_base_url=urls["HF_BASE_URL"],
            arxiv_base_url=urls["ARXIV_BASE_URL"],
            port=numbers["PORT"],
            trending_days=numbers["TRENDING_DAYS"],
            refresh_minutes=numbers["REFRESH_MINUTES"],
            listener_threads=numbers["LISTENER_THREADS"],
            answer_threads=numbers["ANSWER_THREADS"],
            digest_grace_minutes=numbers["DIGEST_GRACE_MINUTES"],
            digest_wait_hours=numbers["DIGEST_WAIT_HOURS"],
            digest_threads=numbers["DIGEST_THREADS"],
            workspace_posts_per_second=numbers["WORKSPACE_POSTS_PER_SECOND"],
            web_threads=numbers["WEB_THREADS"],
            web_connections=numbers["WEB_CONNECTIONS"],
            web_concurrency=numbers["WEB_CONCURRENCY"],
            save_emoji=emoji,
            slack_bot_token=env.get("SLACK_BOT_TOKEN"),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET"),
            slack_app_token=env.get("SLACK_APP_TOKEN"),
            slack_client_id=env.get("SLACK_CLIENT_ID"),
            slack_client_secret=env.get("SLACK_CLIENT_SECRET"),
            slack_scopes=scopes,
            slack_redirect_uri=redirect,
            slack_token_rotation=rotation,
            uninstall_keep_saves_days=numbers["UNINSTALL_KEEP_SAVES_DAYS"],
            database_url=env.get("DATABASE_URL", DEFAULT_DATABASE_URL),
            hf_token=env.get("HF_TOKEN"),
            log_level=level,
            log_format=log_format,
            http_timeout=timeout,
        )

    @property
    def oauth(self) -> bool:
        """Installable into any workspace (OAuth) rather than one workspace's token."""
        return bool(self.slack_client_id and self.slack_client_secret)

    def require_slack(self, *names: str) -> None:
        """Like `require`, with the bot token needed only without OAuth."""
        self.require(*(n for n in names if not (self.oauth and n == "SLACK_BOT_TOKEN")))

    def require(self, *names: str) -> None:
        """Raise ConfigError naming every required environment variable that is not set."""
        missing = [name for name in names if not getattr(self, name.lower(), None)]
        if missing:
            raise ConfigError(
                "Missing required settings: "
                + ", ".join(missing)
                + ".\nSet them in the environment or in a .env file (see .env.example)."
            )


def load(environ: Mapping[str, str] | None = None, env_file: str | Path = ".env") -> Settings:
    """Settings from the process environment, with `.env` filling in what is not set."""
    merged = {**read_env_file(Path(env_file)), **(os.environ if environ is None else environ)}
    return Settings.from_env(merged)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a dotenv file ('#' comments, optional quotes); {} when absent."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _int(
    env: Mapping[str, str], name: str, default: int, low: int, high: int, errors: list[str]
) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors.append(f"{name} must be a whole number from {low} to {high} (got {raw!r})")
        return default
    return int(raw)


def _float(env: Mapping[str, str], name: str, default: float, errors: list[str]) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 300:
        errors.append(f"{name} must be a number of seconds above 0 and up to 300 (got {raw!r})")
        return default
    return value


def _url(env: Mapping[str, str], name: str, default: str, errors: list[str]) -> str:
    raw = env.get(name, default)
    if not raw.startswith(("http://", "https://")):
        errors.append(f"{name} must be an http(s) URL (got {raw!r})")
        return default
    return raw
