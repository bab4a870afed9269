"""APScheduler wiring only: each job calls one service with `now`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.digests import DigestService
from bot.services import PaperService

log = logging.getLogger(__name__)
DIGEST_TICK_SECONDS = 30


def add_jobs(
    scheduler: Any, papers: PaperService, digests: DigestService | None, refresh_minutes: int
) -> None:
    """Refresh the trending window at start and every interval; look for due digests often."""
    scheduler.add_job(
        lambda: _safely("paper refresh", lambda: papers.refresh(datetime.now(UTC))),
        IntervalTrigger(minutes=refresh_minutes, timezone="UTC"),
        id="refresh-papers",
        next_run_time=datetime.now(UTC),
    )
    if digests is not None:
        scheduler.add_job(
            lambda: _safely("digests", lambda: digests.send_due_digests(datetime.now(UTC))),
            IntervalTrigger(seconds=DIGEST_TICK_SECONDS, timezone="UTC"),
            id="send-digests",
            next_run_time=datetime.now(UTC),
        )


def background(papers: PaperService, digests: DigestService | None, minutes: int) -> Any:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults=_DEFAULTS)
    add_jobs(scheduler, papers, digests, minutes)
    return scheduler


def blocking(papers: PaperService, digests: DigestService | None, minutes: int) -> Any:
    scheduler = BlockingScheduler(timezone="UTC", job_defaults=_DEFAULTS)
    add_jobs(scheduler, papers, digests, minutes)
    return scheduler


_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def _safely(name: str, job: Any) -> None:
    """One tick; failures are logged, never raised into the scheduler."""
    try:
        job()
    except Exception:
        log.exception("%s failed", name)
