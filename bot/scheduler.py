"""APScheduler wiring only: each job calls one service with `now`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.digests import DigestService
from bot.installations import InstallationService
from bot.refresh import Refresher

log = logging.getLogger(__name__)
DIGEST_TICK_SECONDS = 30
REFRESH_TICK_MINUTES = 5  # how often the refresh job looks for due feeds (it decides what is due)
STATE_PURGE_MINUTES = 10  # expired OAuth states (they live 10 minutes) are deleted this often


def add_jobs(
    scheduler: Any, refresher: Refresher, digests: DigestService | None,
    installations: InstallationService | None = None,
) -> None:  # fmt: skip
    """Refresh paper data at start and look for due feeds often; look for due digests often."""
    scheduler.add_job(
        lambda: _safely("paper refresh", lambda: refresher.run(datetime.now(UTC))),
        IntervalTrigger(minutes=REFRESH_TICK_MINUTES, timezone="UTC"),
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
    if installations is not None:
        scheduler.add_job(
            lambda: _safely("kept reading lists", installations.purge_kept_saves),
            IntervalTrigger(hours=1, timezone="UTC"),
            id="purge-kept-saves",
        )
        scheduler.add_job(
            lambda: _safely("expired OAuth states", installations.purge_expired_states),
            IntervalTrigger(minutes=STATE_PURGE_MINUTES, timezone="UTC"),
            id="purge-oauth-states",
        )


def background(refresher: Refresher, digests: DigestService | None,
               installations: InstallationService | None = None) -> Any:  # fmt: skip
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults=_DEFAULTS)
    add_jobs(scheduler, refresher, digests, installations)
    return scheduler


def blocking(refresher: Refresher, digests: DigestService | None,
             installations: InstallationService | None = None) -> Any:  # fmt: skip
    scheduler = BlockingScheduler(timezone="UTC", job_defaults=_DEFAULTS)
    add_jobs(scheduler, refresher, digests, installations)
    return scheduler


_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def _safely(name: str, job: Any) -> None:
    """One tick; failures are logged, never raised into the scheduler."""
    try:
        job()
    except Exception:
        log.exception("%s failed", name)
