"""papers-bot: trending research papers in Slack."""

__version__ = "0.1.0"
