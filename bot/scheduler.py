"""APScheduler wiring only: each job calls one service with `now`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.services import PaperService

log = logging.getLogger(__name__)


def build_scheduler(papers: PaperService, refresh_minutes: int) -> BackgroundScheduler:
    """A UTC background scheduler that keeps the trending window warm, starting right away."""
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        lambda: refresh_papers(papers),
        IntervalTrigger(minutes=refresh_minutes, timezone="UTC"),
        id="refresh-papers",
        next_run_time=datetime.now(UTC),
    )
    return scheduler


def refresh_papers(papers: PaperService) -> None:
    """One refresh tick; failures are logged, never raised into the scheduler."""
    try:
        got = papers.refresh(datetime.now(UTC))
    except Exception:
        log.exception("paper refresh failed")
        return
    log.info("refresh: %d papers, failed days %s", len(got.papers), list(map(str, got.failed)))
