"""OAuth states of installs nobody finished are deleted once expired, on SQLite and PostgreSQL:
2,000 unauthenticated visits to /slack/install no longer leave 2,000 rows for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select, text

from bot import scheduler
from bot.config import Settings
from bot.installations import InstallationService
from bot.slack.installs import PURGE_EVERY_ISSUES, STATE_EXPIRATION_SECONDS, Workspaces
from bot.storage.repositories import Store
from bot.storage.saves import SaveStore

OAUTH = Settings(slack_client_id="1234.5678", slack_client_secret="secret")


def workspaces(engine: Engine, settings: Settings = OAUTH) -> Workspaces:
    return Workspaces(settings, engine, lambda token: None)  # type: ignore[arg-type,return-value]


def states(engine: Engine) -> int:
    with engine.connect() as db:
        return int(db.execute(select(func.count()).select_from(text("slack_oauth_states")))
                   .scalar_one())  # fmt: skip


def expire_all(engine: Engine) -> None:
    with engine.begin() as db:
        db.execute(text("UPDATE slack_oauth_states SET expire_at = :past"),
                   {"past": datetime(2020, 1, 1)})  # fmt: skip


def test_two_thousand_abandoned_installs_leave_no_rows_once_expired_and_purged(
    engine: Engine,
) -> None:
    spaces = workspaces(engine)
    assert spaces.state_store is not None
    issued = [spaces.state_store.issue() for _ in range(2000)]
    assert len(set(issued)) == 2000
    now = datetime.now(UTC)
    assert spaces.purge_expired_states(now) == 0  # none has expired yet: all still usable
    assert states(engine) == 2000
    later = now + timedelta(seconds=STATE_EXPIRATION_SECONDS + 1)
    assert spaces.purge_expired_states(later) == 2000
    assert states(engine) == 0


def test_only_expired_states_are_purged_and_a_live_one_still_works(engine: Engine) -> None:
    spaces = workspaces(engine)
    assert spaces.state_store is not None
    old = spaces.state_store.issue()
    expire_all(engine)
    live = spaces.state_store.issue()
    assert spaces.purge_expired_states(datetime.now(UTC)) == 1
    assert states(engine) == 1
    assert not spaces.state_store.consume(old)
    assert spaces.state_store.consume(live)


def test_issuing_states_purges_expired_ones_so_a_flood_cannot_outgrow_one_batch(
    engine: Engine,
) -> None:
    spaces = workspaces(engine)
    assert spaces.state_store is not None
    for _ in range(PURGE_EVERY_ISSUES + 50):
        spaces.state_store.issue()
    expire_all(engine)  # a flood of visits, ten minutes ago
    for _ in range(PURGE_EVERY_ISSUES):  # passes one purge point: the expired rows go
        spaces.state_store.issue()
    assert states(engine) <= PURGE_EVERY_ISSUES


def test_without_oauth_there_are_no_states_to_purge(engine: Engine) -> None:
    spaces = workspaces(engine, Settings(slack_bot_token="xoxb-x"))
    assert spaces.purge_expired_states(datetime.now(UTC)) == 0


class _NoRefresh:
    """The refresher port of the scheduler, doing nothing."""

    def run(self, now: datetime) -> None:
        return None


def test_the_scheduler_purges_expired_states_every_ten_minutes(engine: Engine) -> None:
    spaces = workspaces(engine)
    assert spaces.state_store is not None
    installations = InstallationService(spaces, Store(engine), SaveStore(engine),
                                        clock=lambda: datetime.now(UTC))  # fmt: skip
    jobs = scheduler.background(_NoRefresh(), None, installations)  # type: ignore[arg-type]
    job = jobs.get_job("purge-oauth-states")
    assert job is not None
    assert job.trigger.interval == timedelta(minutes=scheduler.STATE_PURGE_MINUTES)
    for _ in range(3):
        spaces.state_store.issue()
    expire_all(engine)
    job.func()
    assert states(engine) == 0
