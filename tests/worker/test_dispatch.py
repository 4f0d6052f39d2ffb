"""Distributed runs at the core level (no Celery): the outbox, idempotent submission,
reconcile, finalize-once, give-up. A fake publisher records what would be queued, and the
test plays the worker by calling the same core function a task calls (``run_shard``)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from inline import run_inline
from sqlalchemy import Engine, func, update
from sqlmodel import col, select
from worker_helpers import check_invariants, report_of, run_row, verdicts

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.errors import ConflictError, NotFoundError, SuiteError
from promptcompat.replay.leases import Claimer
from promptcompat.replay.shards import mark_started
from promptcompat.runs import QueueStarter, RunRequest
from promptcompat.runs.dispatch import BrokerUnavailableError, reconcile
from promptcompat.runs.execution import finalize_if_complete, run_shard
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store.sql import now
from promptcompat.store.tables.core import PlannedCallRecord, Run, RunShard
from promptcompat.suite import Suite, load_suite

ONE_PROMPT = RunRequest(prompts=("extract_contact",))


class FakePublisher:
    """Records publications; ``down`` makes it fail like an unreachable broker."""

    def __init__(self) -> None:
        self.shards: list[tuple[str, int]] = []
        self.finalize: list[str] = []
        self.down = False
        self.depth: int | None = 0

    def publish_shards(self, run_id: str, shards: Sequence[int]) -> None:
        if self.down:
            raise BrokerUnavailableError("connection refused")
        self.shards += [(run_id, s) for s in shards]

    def publish_finalize(self, run_id: str) -> None:
        if self.down:
            raise BrokerUnavailableError("connection refused")
        self.finalize.append(run_id)

    def queue_depth(self) -> int | None:
        return self.depth

    def drain(self, engine: Engine, settings: Settings) -> None:
        """Play a worker: run every queued shard (in order), as the task would."""
        while self.shards:
            run_id, shard = self.shards.pop(0)
            run_shard(engine=engine, settings=settings, run_id=run_id, shard=shard)


@pytest.fixture
def small_shards(settings: Settings) -> Settings:
    return settings.model_copy(update={"shard_size": 7})


def submit(engine: Engine, suite: Suite, settings: Settings, publisher: FakePublisher, **kw):  # type: ignore[no-untyped-def]
    return QueueStarter(engine, settings, publisher).start(suite=suite, **kw)


def test_a_queued_run_gives_the_embedded_report(
    engine: Engine, suite: Suite, small_shards: Settings, sim: SimulatorProcess
) -> None:
    publisher = FakePublisher()
    sub = submit(engine, suite, small_shards, publisher, request=ONE_PROMPT)
    assert sub.created and sub.published
    assert run_row(engine, sub.run_id).status == "running"
    shards = {s for _, s in publisher.shards}
    assert len(shards) > 3  # the run was cut into shards of 7 calls
    publisher.drain(engine, small_shards)
    queued = check_invariants(engine, sub.run_id)
    assert sim.stats()["requests"] == queued["keys"]

    sim.reset()
    embedded_id, _ = run_inline(
        engine=engine, suite=suite, request=ONE_PROMPT, settings=small_shards
    )
    assert sim.stats()["requests"] == 0  # everything from the cache the queued run filled
    assert verdicts(report_of(engine, embedded_id)) == verdicts(report_of(engine, sub.run_id))


def test_the_same_idempotency_key_returns_the_same_run(
    engine: Engine, suite: Suite, settings: Settings
) -> None:
    publisher = FakePublisher()
    first = submit(engine, suite, settings, publisher, request=ONE_PROMPT, idempotency_key="k-1")
    again = submit(engine, suite, settings, publisher, request=ONE_PROMPT, idempotency_key="k-1")
    assert again.run_id == first.run_id and not again.created and again.published
    assert len(publisher.shards) == len({s for _, s in publisher.shards})  # published once
    with pytest.raises(ConflictError, match="different request"):
        submit(
            engine,
            suite,
            settings,
            publisher,
            request=RunRequest(prompts=("prime_check",)),
            idempotency_key="k-1",
        )


def test_concurrent_submissions_with_one_key_create_one_run(
    engine: Engine, suite: Suite, settings: Settings
) -> None:
    # RELIABILITY.md scenario 14 at the core level (the API starts it through QueueStarter).
    publisher = FakePublisher()
    ids: list[str] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            sub = submit(
                store.open_engine(settings.resolved_database_url()),
                suite,
                settings,
                publisher,
                request=ONE_PROMPT,
                idempotency_key="same",
            )
            ids.append(sub.run_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(ids)) == 1 and len(ids) == 4
    with store.session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Run)).one() == 1
        planned = session.exec(select(func.count()).select_from(PlannedCallRecord)).one()
    assert planned == run_row(engine, ids[0]).total_calls


def test_a_broker_down_at_submit_leaves_a_pending_run_that_reconcile_publishes(
    engine: Engine, suite: Suite, small_shards: Settings, sim: SimulatorProcess
) -> None:
    # RELIABILITY.md scenario 6, core path: never a half-created run; reconcile publishes it.
    publisher = FakePublisher()
    publisher.down = True
    sub = submit(engine, suite, small_shards, publisher, request=ONE_PROMPT)
    assert sub.created and not sub.published and "refused" in (sub.error or "")
    run = run_row(engine, sub.run_id)
    assert run.status == "pending"
    with store.session_scope(engine) as session:
        planned = session.exec(
            select(func.count())
            .select_from(PlannedCallRecord)
            .where(PlannedCallRecord.run_id == sub.run_id)
        ).one()
    assert planned == run.total_calls > 0
    with pytest.raises(BrokerUnavailableError):
        reconcile(engine=engine, publisher=publisher, settings=small_shards)
    publisher.down = False
    report = reconcile(engine=engine, publisher=publisher, settings=small_shards)
    assert sorted(report.published[sub.run_id]) == sorted({s for _, s in publisher.shards})
    assert run_row(engine, sub.run_id).status == "running"
    publisher.drain(engine, small_shards)
    check_invariants(engine, sub.run_id)


def test_duplicate_deliveries_make_no_calls_and_finalize_once(
    engine: Engine, suite: Suite, small_shards: Settings, sim: SimulatorProcess
) -> None:
    # RELIABILITY.md scenario 13 at the core level: redeliveries after the run finished.
    small_shards = small_shards.model_copy(update={"concurrency": 1})
    sim.add_faults([{"status": 500, "count": 4, "model": "gpt-sim-2025-06-01"}])
    publisher = FakePublisher()
    sub = submit(engine, suite, small_shards, publisher, request=ONE_PROMPT)
    published = list(publisher.shards)
    publisher.drain(engine, small_shards)
    before = check_invariants(engine, sub.run_id)
    assert before["errors"] == 1 and run_row(engine, sub.run_id).status == "completed_with_errors"
    requests = sim.stats()["requests"]
    verdicts_before = verdicts(report_of(engine, sub.run_id))
    publisher.shards = published * 2
    publisher.drain(engine, small_shards)
    assert not finalize_if_complete(engine=engine, run_id=sub.run_id, settings=small_shards)
    assert sim.stats()["requests"] == requests
    assert check_invariants(engine, sub.run_id) == before
    assert verdicts(report_of(engine, sub.run_id)) == verdicts_before


def test_finalize_runs_exactly_once_when_many_race(
    engine: Engine, suite: Suite, small_shards: Settings, sim: SimulatorProcess
) -> None:
    publisher = FakePublisher()
    sub = submit(engine, suite, small_shards, publisher, request=ONE_PROMPT)
    with store.session_scope(engine) as session:
        store.set_status(
            session=session, run_id=sub.run_id, status="pending", only_from=["running"]
        )
    # Execute every shard without finishing, then let four "workers" finish at once.
    for _, shard in publisher.shards:
        with store.session_scope(engine) as session:
            session.execute(update(Run).where(col(Run.id) == sub.run_id).values(status="running"))
        import asyncio

        from promptcompat.runs.execution import execute_shards

        asyncio.run(
            execute_shards(engine=engine, run_id=sub.run_id, settings=small_shards, shards=[shard])
        )
    won: list[bool] = []

    def finish() -> None:
        won.append(
            finalize_if_complete(
                engine=store.open_engine(small_shards.resolved_database_url()),
                run_id=sub.run_id,
                settings=small_shards,
            )
        )

    threads = [threading.Thread(target=finish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, False, True]
    check_invariants(engine, sub.run_id)


def test_tasks_for_a_deleted_or_finished_run_do_nothing(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    publisher = FakePublisher()
    sub = submit(engine, suite, settings, publisher, request=ONE_PROMPT)
    with store.session_scope(engine) as session:
        store.delete_run(session=session, run_id=sub.run_id)
    with pytest.raises(NotFoundError):
        run_shard(engine=engine, settings=settings, run_id=sub.run_id, shard=0)
    assert not finalize_if_complete(engine=engine, run_id=sub.run_id, settings=settings)
    assert sim.stats()["requests"] == 0


def test_reconcile_republishes_only_lost_work(
    engine: Engine, suite: Suite, small_shards: Settings, sim: SimulatorProcess
) -> None:
    publisher = FakePublisher()
    sub = submit(engine, suite, small_shards, publisher, request=ONE_PROMPT)
    shards = [s for _, s in publisher.shards]
    publisher.shards.clear()
    settings = small_shards.model_copy(update={"reconcile_stale_after": 60})
    # Just published, queue not empty: nothing is lost yet.
    publisher.depth = len(shards)
    assert reconcile(engine=engine, publisher=publisher, settings=settings).published == {}
    # The queue is empty (a broker crash) and they were published a while ago: re-publish.
    with store.session_scope(engine) as session:
        session.execute(update(RunShard).values(published_at=now() - 30))
    publisher.depth = 0
    report = reconcile(engine=engine, publisher=publisher, settings=settings)
    assert sorted(report.published[sub.run_id]) == sorted(shards)
    publisher.shards.clear()
    # One shard started and holds a live lease: left alone, even when stale.
    run_shard(engine=engine, settings=settings, run_id=sub.run_id, shard=shards[0])
    with store.session_scope(engine) as session:
        session.execute(update(RunShard).values(started_at=now() - 300, published_at=now() - 300))
        planned = session.exec(
            select(PlannedCallRecord.cache_key).where(
                PlannedCallRecord.run_id == sub.run_id, PlannedCallRecord.shard == shards[1]
            )
        ).all()
        Claimer(lease_seconds=60).claim(session=session, keys=[planned[0]])
    report = reconcile(engine=engine, publisher=publisher, settings=settings)
    assert shards[0] not in report.published[sub.run_id]  # done
    assert shards[1] not in report.published[sub.run_id]  # leased
    assert report.waiting == 1
    assert sorted(report.published[sub.run_id]) == sorted(shards[2:])


def test_reconcile_queues_the_evaluation_nobody_did(
    engine: Engine, suite: Suite, small_shards: Settings, sim: SimulatorProcess
) -> None:
    publisher = FakePublisher()
    sub = submit(engine, suite, small_shards, publisher, request=ONE_PROMPT)
    publisher.drain(engine, small_shards)
    with store.session_scope(engine) as session:  # as if the finishing worker died mid-way
        store.clear_results(session=session, run_id=sub.run_id)
        session.execute(
            update(Run)
            .where(col(Run.id) == sub.run_id)
            .values(status="finalizing", lease_until=now() - 1)
        )
    report = reconcile(engine=engine, publisher=publisher, settings=small_shards)
    assert report.finalize == [sub.run_id]
    assert finalize_if_complete(engine=engine, run_id=sub.run_id, settings=small_shards)
    check_invariants(engine, sub.run_id)


def test_a_shard_that_keeps_killing_workers_is_given_up(
    engine: Engine, suite: Suite, small_shards: Settings, sim: SimulatorProcess
) -> None:
    settings = small_shards.model_copy(update={"shard_max_failures": 2})
    publisher = FakePublisher()
    sub = submit(engine, suite, settings, publisher, request=ONE_PROMPT)
    poison = publisher.shards[0][1]
    # A first delivery killed its worker before writing anything (as a poison shard does) ...
    with store.session_scope(engine) as session:
        mark_started(session=session, run_id=sub.run_id, shard=poison, crashed_before=False)
    # ... and so did the redelivery; the next redelivery gives the shard up.
    with store.session_scope(engine) as session:
        mark_started(session=session, run_id=sub.run_id, shard=poison, crashed_before=True)
    result = run_shard(
        engine=engine, settings=settings, run_id=sub.run_id, shard=poison, redelivered=True
    )
    assert result.gave_up > 0 and sim.stats()["requests"] == 0
    with store.session_scope(engine) as session:
        calls = session.exec(
            select(func.count())
            .select_from(PlannedCallRecord)
            .where(PlannedCallRecord.run_id == sub.run_id, PlannedCallRecord.shard == poison)
        ).one()
    publisher.shards = publisher.shards[1:]
    publisher.drain(engine, settings)
    counts = check_invariants(engine, sub.run_id)
    assert counts["errors"] == result.gave_up == calls
    report = report_of(engine, sub.run_id)
    assert report["run"]["status"] == "completed_with_errors"
    messages = [f["message"] for c in report["cases"] for f in c["findings"]]
    assert any("worker lost" in m or "worker_lost" in m for m in messages)


def answer_without_evaluating(
    engine: Engine, suite: Suite, settings: Settings, request: RunRequest
) -> str:
    """A queued run whose calls are all answered and which nobody evaluated yet."""
    import asyncio

    from promptcompat.runs.execution import execute_shards

    publisher = FakePublisher()
    sub = submit(engine, suite, settings, publisher, request=request)
    for _, shard in publisher.shards:
        asyncio.run(
            execute_shards(engine=engine, run_id=sub.run_id, settings=settings, shards=[shard])
        )
    return sub.run_id


def test_an_interrupted_evaluation_is_handed_back_not_failed(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    # A worker passes Celery's soft time limit as an interrupt: cut short, the evaluation must
    # go back (run "running", retried with a fresh limit), not fail the run. The interrupt is
    # played here by the error a suite lacking the run's prompt raises.
    run_id = answer_without_evaluating(engine, suite, settings, ONE_PROMPT)
    empty = Suite(root=suite.root, prompts={})
    with pytest.raises(SuiteError):
        finalize_if_complete(
            engine=engine,
            run_id=run_id,
            settings=settings,
            suite=empty,
            interrupts=(SuiteError,),
        )
    run = run_row(engine, run_id)
    assert run.status == "running" and run.lease_until is None  # free for the next attempt
    assert finalize_if_complete(engine=engine, run_id=run_id, settings=settings)
    check_invariants(engine, run_id)
    # Not an interrupt: the same failure ends the run, since retrying could not fix it.
    other = answer_without_evaluating(engine, suite, settings, RunRequest(prompts=("prime_check",)))
    with pytest.raises(SuiteError):
        finalize_if_complete(engine=engine, run_id=other, settings=settings, suite=empty)
    assert run_row(engine, other).status == "failed"


def test_reconcile_keeps_to_its_own_queue(engine: Engine, suite: Suite, settings: Settings) -> None:
    # A run published to the "demo" queue (its own workers, its own providers) must not be
    # re-published to the main queue by the main beat's reconcile.
    demo = settings.model_copy(update={"queue": "demo"})
    publisher = FakePublisher()
    publisher.down = True
    sub = submit(engine, suite, demo, publisher, request=ONE_PROMPT)  # saved, not published
    publisher.down = False
    assert reconcile(engine=engine, publisher=publisher, settings=settings).published == {}
    assert publisher.shards == [] and publisher.finalize == []
    report = reconcile(engine=engine, publisher=publisher, settings=demo)
    assert report.published[sub.run_id] and run_row(engine, sub.run_id).status == "running"


def test_queued_tool_prompts_and_loops_send_what_an_embedded_run_sends(
    engine: Engine, small_shards: Settings, prompts_dir: Path, sim: SimulatorProcess
) -> None:
    """Workers read the planned calls back from the store: tools, structured output, histories
    and agent loops must survive the trip, key for key (issue 17)."""
    loop = prompts_dir / "trip_loop"
    (loop / "versions").mkdir(parents=True)
    plan_trip = prompts_dir / "plan_trip"
    (loop / "prompt.yaml").write_text(
        (plan_trip / "prompt.yaml").read_text("utf-8") + "max_steps: 3\n", "utf-8"
    )
    (loop / "versions" / "v1.yaml").write_text(
        (plan_trip / "versions" / "v1.yaml").read_text("utf-8"), "utf-8"
    )
    (loop / "cases.jsonl").write_text(
        '{"id": "paris", "vars": {"question": "Weather in Paris?", "steps": []}, '
        '"fixtures": {"get_weather": [{"result": "21C"}]}}\n',
        "utf-8",
    )
    suite = load_suite(prompts_dir)
    request = RunRequest(prompts=("plan_trip", "contact_card", "trip_loop"))
    publisher = FakePublisher()
    sub = submit(engine, suite, small_shards, publisher, request=request)
    publisher.drain(engine, small_shards)
    check_invariants(engine, sub.run_id)
    queued = report_of(engine, sub.run_id)
    assert queued["run"]["calls"]["errors"] == 0

    sim.reset()
    embedded_id, _ = run_inline(engine=engine, suite=suite, request=request, settings=small_shards)
    assert sim.stats()["requests"] == 0  # every key the same: all from the queued run's cache
    assert verdicts(report_of(engine, embedded_id)) == verdicts(queued)
