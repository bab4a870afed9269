"""The repository on SQLite and PostgreSQL: constraints, compare-and-set, leases."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select

from bot.core.models import ChannelDigest, Paper, RunKey
from bot.core.schedule import Schedule
from bot.storage.migrate import current, upgrade
from bot.storage.repositories import MAX_POST_ATTEMPTS, Store
from bot.storage.runs import Marks
from bot.storage.schema import Base, DigestRunRow, PostRow

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def defaults(team: str = "T1", channel: str = "C1") -> ChannelDigest:
    return ChannelDigest(team, channel, Schedule(9, 0, "Europe/Berlin"), 5, "active", "U1", DUE)


def subscribe(store: Store, topic: str, team: str = "T1", channel: str = "C1") -> str:
    outcome, _ = store.subscribe(team, channel, topic, topic.lower(), "U1",
                                 defaults(team, channel), NOW, max_topics=3)  # fmt: skip
    return outcome


def _slack_sdk_object(difference: tuple[Any, ...]) -> bool:
    """slack-sdk's store tables (and their indexes) are not in our models: its code owns them."""
    kind, thing = difference[0], difference[1]
    if kind == "remove_table":
        return True
    table = getattr(thing, "table", None)
    return kind == "remove_index" and table is not None and table.name.startswith("slack_")


def test_migrations_build_exactly_the_models_schema(engine: Engine) -> None:
    assert current(engine) == "0005"
    upgrade(engine)  # idempotent
    slack_sdk_tables = {"slack_installations", "slack_bots", "slack_oauth_states"}
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables) | slack_sdk_tables
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if not _slack_sdk_object(d)]
    assert ours == []


def test_migration_0003_recomputes_topic_keys_and_merges_topics_that_now_match(
    engine: Engine,
) -> None:
    from alembic import command
    from sqlalchemy import select

    from bot.core.query import parse_topic
    from bot.storage.migrate import alembic_config
    from bot.storage.schema import SubscriptionRow

    command.downgrade(alembic_config(engine), "0002")
    store = Store(engine)
    for topic, old_key in [("value alignment", "align valu"), ("Aligned values", "align valu2"),
                           ("diffusion", "diffusion"), ("RAG", "rag")]:  # fmt: skip
        outcome, _ = store.subscribe("T1", "C1", topic, old_key, "U1", defaults(), NOW, 25)
        assert outcome == "added"
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            select(SubscriptionRow.topic, SubscriptionRow.topic_key).order_by(SubscriptionRow.id)
        ).all()
    assert [(r.topic, r.topic_key) for r in rows] == [
        (t, parse_topic(t).key) for t in ("value alignment", "diffusion", "RAG")
    ]


def test_subscriptions_are_unique_capped_and_scoped_by_team(engine: Engine) -> None:
    store = Store(engine)
    assert subscribe(store, "Value Alignment") == "added"
    assert subscribe(store, "value alignment") == "exists"
    assert subscribe(store, "agents") == "added"
    assert subscribe(store, "diffusion") == "added"
    assert subscribe(store, "one too many") == "full"
    assert subscribe(store, "agents", team="T2") == "added"  # same channel id, other workspace
    channel = store.channel("T1", "C1")
    assert channel is not None
    assert channel.topics == ("Value Alignment", "agents", "diffusion")
    assert channel.schedule == Schedule(9, 0, "Europe/Berlin")
    assert store.channel("T2", "C1").topics == ("agents",)  # type: ignore[union-attr]


def test_unsubscribing_the_last_topic_removes_the_channel(engine: Engine) -> None:
    store = Store(engine)
    subscribe(store, "a b")
    subscribe(store, "c d")
    assert store.unsubscribe("T1", "C1", "nothing") == 0
    assert store.unsubscribe("T1", "C1", "a b") == 1
    assert store.channel("T1", "C1") is not None
    assert store.unsubscribe("T1", "C1", None) == 1
    assert store.channel("T1", "C1") is None


def test_only_one_worker_advances_a_due_channel(engine: Engine) -> None:
    store = Store(engine)
    subscribe(store, "x y")
    (due,) = store.due_channels(NOW)
    run = RunKey("T1", "C1", date(2026, 11, 27))
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def advance() -> None:
        barrier.wait()
        results.extend(store.advance([(due, DUE + timedelta(days=1), run)], NOW))

    threads = [threading.Thread(target=advance) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert store.due_channels(NOW) == []
    assert store.lease_runs("w1", NOW, timedelta(minutes=5)) == [run]
    assert store.lease_runs("w2", NOW, timedelta(minutes=5)) == []  # leased by w1
    later = NOW + timedelta(minutes=6)
    assert store.lease_runs("w2", later, timedelta(minutes=5)) == [run]  # w1's lease ran out


def test_each_paper_is_claimed_once_per_channel_and_failures_come_back(engine: Engine) -> None:
    store = Store(engine)
    run = RunKey("T1", "C1", date(2026, 11, 27))
    wins: list[bool] = []
    barrier = threading.Barrier(6)

    def claim(owner: str) -> None:
        barrier.wait()
        wins.append(store.claim_post(run, "2511.00001", owner, NOW))

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 1
    store.post_failed(run, "2511.00001", "service_unavailable")
    assert store.posted_ids("T1", "C1") == set()
    assert store.retryable(run) == ["2511.00001"]
    for attempt in range(2, MAX_POST_ATTEMPTS + 1):
        assert store.claim_post(run, "2511.00001", "w1", NOW), attempt
        store.post_failed(run, "2511.00001", "service_unavailable")
    assert not store.claim_post(run, "2511.00001", "w1", NOW)  # attempts exhausted
    assert store.claim_post(run, "2511.00002", "w1", NOW)
    store.post_sent(run, "2511.00002", "1700000000.000100", NOW)
    assert store.posted_ids("T1", "C1") == {"2511.00002"}
    assert store.paper_of_message("T1", "C1", "1700000000.000100") == "2511.00002"
    assert store.paper_of_message("T2", "C1", "1700000000.000100") is None


def test_a_dead_workers_sends_become_unknown_and_are_never_resent(engine: Engine) -> None:
    store = Store(engine)
    subscribe(store, "x y")
    (due,) = store.due_channels(NOW)
    run = RunKey("T1", "C1", date(2026, 11, 27))
    store.advance([(due, DUE + timedelta(days=1), run)], NOW)
    store.lease_runs("dead", NOW, timedelta(minutes=5))
    assert store.claim_header(run)
    assert store.claim_post(run, "2511.00001", "dead", NOW)
    later = NOW + timedelta(minutes=10)
    assert store.lease_runs("alive", later, timedelta(minutes=5)) == [run]
    assert not store.claim_header(run)
    assert store.posted_ids("T1", "C1") == {"2511.00001"}
    assert store.run_post_count(run) == 1


def leased_run(store: Store, owner: str) -> RunKey:
    subscribe(store, "x y")
    (due,) = store.due_channels(NOW)
    run = RunKey("T1", "C1", date(2026, 11, 27))
    store.advance([(due, DUE + timedelta(days=1), run)], NOW)
    assert store.lease_runs(owner, NOW, timedelta(minutes=5)) == [run]
    return run


def post_states(store: Store) -> dict[str, tuple[str, str | None]]:
    with store._tx() as s:
        rows = s.execute(select(PostRow.arxiv_id, PostRow.state, PostRow.message_ts)).all()
    return {arxiv_id: (state, ts) for arxiv_id, state, ts in rows}


def run_status(store: Store, run: RunKey) -> str:
    with store._tx() as s:
        return str(s.scalar(select(DigestRunRow.status).where(
            DigestRunRow.team_id == run.team_id, DigestRunRow.digest_date == run.digest_date
        )))  # fmt: skip


def test_a_run_finishes_in_one_transaction_with_its_last_sent_marks(engine: Engine) -> None:
    store = Store(engine)
    run = leased_run(store, "w1")
    assert store.claim_header(run)
    assert store.claim_post(run, "2511.00001", "w1", NOW)
    marks = Marks(posts=((run, "2511.00001", "1700000000.000100", NOW),),
                  headers=((run, "1700000000.000099"),))  # fmt: skip
    assert store.finish_unless_failed(run, "w1", NOW, marks)
    assert run_status(store, run) == "done"
    assert post_states(store) == {"2511.00001": ("sent", "1700000000.000100")}
    assert store.paper_of_message("T1", "C1", "1700000000.000100") == "2511.00001"
    assert store.header_state(run) == "sent"


def test_a_late_sent_mark_turns_an_unknown_post_sent_with_its_ts(engine: Engine) -> None:
    store = Store(engine)
    run = leased_run(store, "w1")
    assert store.claim_post(run, "2511.00001", "w1", NOW)
    store.release_run(run, "w1")  # w1's mark could not be written: the run is given back
    assert store.lease_runs("w2", NOW, timedelta(minutes=5)) == [run]
    assert post_states(store) == {"2511.00001": ("unknown", None)}
    assert not store.claim_post(run, "2511.00001", "w2", NOW)  # never sent again
    store.record_sent(Marks(posts=((run, "2511.00001", "1700000000.000100", NOW),)))
    assert post_states(store) == {"2511.00001": ("sent", "1700000000.000100")}
    assert store.paper_of_message("T1", "C1", "1700000000.000100") == "2511.00001"


def test_a_workers_own_unmarked_sends_become_unknown_when_it_takes_the_run_again(
    engine: Engine,
) -> None:
    store = Store(engine)
    run = leased_run(store, "w1")
    assert store.claim_post(run, "2511.00001", "w1", NOW)  # claimed, its mark never written
    store.release_run(run, "w1")
    assert store.lease_runs("w1", NOW, timedelta(minutes=5)) == [run]
    assert post_states(store) == {"2511.00001": ("unknown", None)}
    assert store.posted_ids("T1", "C1") == {"2511.00001"}


def test_paper_snapshots_round_trip(engine: Engine) -> None:
    store = Store(engine)
    paper = Paper(arxiv_id="2511.00001", title="T & <b>", authors=("A", "B"), upvotes=3,
                  feed_day=date(2026, 11, 26), published_at=NOW, keywords=("k",))  # fmt: skip
    store.keep_papers([paper], NOW)
    store.keep_papers([paper], NOW)
    assert store.paper("2511.00001") == paper
    assert store.paper("2511.99999") is None


def test_inactive_workspaces_get_no_digests(engine: Engine) -> None:
    store = Store(engine)
    subscribe(store, "x y")
    store.set_workspace_active("T1", False, "token_revoked", NOW)
    assert store.due_channels(NOW) == []
    store.set_workspace_active("T1", True, None, NOW)
    assert len(store.due_channels(NOW)) == 1


@pytest.mark.parametrize("status", ["paused", "inactive"])
def test_paused_and_inactive_channels_are_not_due(engine: Engine, status: str) -> None:
    store = Store(engine)
    subscribe(store, "x y")
    store.update_channel("T1", "C1", status=status, status_reason="not_in_channel")
    assert store.due_channels(NOW) == []
