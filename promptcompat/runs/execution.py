"""Executing a run's shards and finishing the run: the core both executors share.

An embedded run (``run.execute_run``) replays every call at once and then calls
``finalize_if_complete``; a Celery worker calls ``run_shard`` (one shard per task, within the
task's time limit), which ends with the same ``finalize_if_complete``. Completion is read from
the store, never counted in memory, so it survives any worker dying: whichever process writes
the last result sees the run complete, and a conditional status change lets exactly one of
them evaluate it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from promptcompat import store
from promptcompat.compat import evaluate, judge_run
from promptcompat.config import Settings
from promptcompat.errors import NotFoundError, StoreError, SuiteError, public_message
from promptcompat.providers import make_provider
from promptcompat.replay import Progress, ProviderFactory, ReplayStats, error_rows, replay
from promptcompat.replay import shards as shard_store
from promptcompat.replay.leases import Claimer, live_claims
from promptcompat.replay.plan import Comparison, PlannedCall
from promptcompat.replay.ratelimit import Limiter, make_limiter
from promptcompat.store import reserve, session_scope
from promptcompat.store.redaction import RunRedaction
from promptcompat.store.tables.core import PlannedCallRecord, RunStatus
from promptcompat.store.tables.run_spec import RunSpec
from promptcompat.suite import Suite, load_suite

log = logging.getLogger("promptcompat.runs.execution")
EXECUTABLE = ("pending", "running")


@dataclass(frozen=True)
class Planned:
    """A run as this process planned it from ``suite``: executing and evaluating it reads
    neither its calls nor its spec back from the store."""

    spec: RunSpec
    calls: Sequence[PlannedCall]
    suite: Suite


@dataclass
class ShardResult:
    stats: ReplayStats
    retry_in: float | None = None
    """Seconds after which the shard should run again (calls left busy or deferred)."""
    finalized: bool = False
    gave_up: int = 0


async def execute_shards(
    *,
    engine: Engine,
    run_id: str,
    settings: Settings,
    shards: Sequence[int] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    claimer: Claimer | None = None,
    limiter: Limiter | None = None,
    deadline: float | None = None,
    provider_factory: ProviderFactory = make_provider,
) -> ReplayStats:
    """Replay the calls of ``shards`` (all when None) that have no result for the run yet.

    Raises:
        NotFoundError: The run does not exist (it was deleted after the task was queued).
    """
    with session_scope(engine) as session:
        todo = unanswered_calls(session=session, run_id=run_id, shards=shards)
    if todo is None:
        return ReplayStats()  # a late duplicate: the run is already evaluated or ending
    return await replay(
        todo,
        engine=engine,
        run_id=run_id,
        settings=settings,
        on_progress=on_progress,
        provider_factory=provider_factory,
        claimer=claimer or Claimer(lease_seconds=settings.lease_seconds),
        limiter=limiter,
        deadline=deadline,
    )


def unanswered_calls(
    *,
    session: Session,
    run_id: str,
    calls: Sequence[PlannedCall] | None = None,
    shards: Sequence[int] | None = None,
) -> list[PlannedCall] | None:
    """The run's planned calls (of ``shards``) that have no result for the run yet; None when
    the run is no longer executable (evaluated, ending or cancelled).

    ``calls``: the run's planned calls when this process planned them (not read again).

    Raises:
        NotFoundError: The run does not exist (it was deleted after the task was queued).
    """
    run = store.find_run(session=session, run_id=run_id)
    if run is None:
        raise NotFoundError(f"no run {run_id!r} (deleted?)")
    if run.status not in EXECUTABLE:
        return None
    if calls is None:
        calls = shard_store.load_calls(session=session, run_id=run_id, shards=shards)
    keys = sorted({c.key for c in calls if c.render_error is None})
    done = store.linked_keys(session=session, run_id=run_id, keys=keys) if keys else set()
    return [c for c in calls if c.key not in done]


def run_shard(
    *,
    engine: Engine,
    settings: Settings,
    run_id: str,
    shard: int,
    redelivered: bool = False,
    interrupts: tuple[type[BaseException], ...] = (),
) -> ShardResult:
    """What one worker task does: execute a shard within the task's time, then try to finish.

    ``redelivered`` (Celery's flag for a message whose worker was lost) counts as a crash; a
    shard that crashed ``shard_max_failures`` times has its unanswered calls given up as
    errors instead of being tried again, so a poison shard cannot loop forever.
    ``interrupts``: see :func:`finalize_if_complete`.
    """
    with session_scope(engine) as session:
        run = store.find_run(session=session, run_id=run_id)
        if run is None:
            raise NotFoundError(f"no run {run_id!r} (deleted?)")
        if run.status not in EXECUTABLE:
            return ShardResult(ReplayStats())
        failures = shard_store.mark_started(
            session=session, run_id=run_id, shard=shard, crashed_before=redelivered
        )
    result = ShardResult(ReplayStats())
    if failures >= settings.shard_max_failures:
        result.gave_up = give_up_shard(
            engine=engine, run_id=run_id, shard=shard, crashes=failures, settings=settings
        )
    else:
        # Stop starting calls early enough that the slowest one ends before the soft limit.
        margin = min(5.0, settings.task_soft_time_limit * 0.1)
        deadline = time.monotonic() + settings.task_soft_time_limit - margin
        result.stats = asyncio.run(_execute_one(engine, settings, run_id, shard, deadline))
        if result.stats.busy:
            result.retry_in = max(0.2, result.stats.retry_in)
        elif result.stats.deferred:
            result.retry_in = 0.2
    result.finalized = finalize_if_complete(
        engine=engine, run_id=run_id, settings=settings, interrupts=interrupts, shared_limits=True
    )
    return result


async def _execute_one(
    engine: Engine, settings: Settings, run_id: str, shard: int, deadline: float
) -> ReplayStats:
    limiter = make_limiter(settings, shared=True)
    try:
        return await execute_shards(
            engine=engine,
            run_id=run_id,
            settings=settings,
            shards=[shard],
            limiter=limiter,
            deadline=deadline,
        )
    finally:
        if limiter is not None:
            await limiter.aclose()


def give_up_shard(
    *, engine: Engine, run_id: str, shard: int, crashes: int, settings: Settings | None = None
) -> int:
    """Record the shard's unanswered, unclaimed calls as errors; returns how many."""
    with session_scope(engine) as session:
        missing = shard_store.unfinished(session=session, run_id=run_id).get(shard, [])
        live = live_claims(session=session, keys=missing)
        calls = [
            c
            for c in shard_store.load_calls(session=session, run_id=run_id, shards=[shard])
            if c.key in set(missing) - set(live)
        ]
        unique = list({c.key: c for c in calls}.values())
        rows = error_rows(
            unique,
            reason="worker_lost",
            message=f"gave up after {crashes} deliveries of its shard ended with the worker lost",
        )
        redaction = RunRedaction.for_run(
            session=session, run_id=run_id, settings=settings or Settings()
        )
        rows, _, _ = redaction.apply(rows, {})
        store.save_calls(session=session, run_id=run_id, calls=rows, texts={})
        store.refresh_progress(session=session, run_id=run_id)
    log.error(
        "run %s shard %s: gave up %d calls after %d crashes", run_id, shard, len(rows), crashes
    )
    return len(rows)


def finalize_if_complete(
    *,
    engine: Engine,
    run_id: str,
    settings: Settings,
    suite: Suite | None = None,
    planned: Planned | None = None,
    interrupts: tuple[type[BaseException], ...] = (),
    shared_limits: bool = False,
) -> bool:
    """Evaluate and finish the run if every call has its result; True if this call did it.

    ``planned``: the run as this process planned it (its suite is the one evaluated with).
    ``shared_limits``: the judge's calls wait in the rate limits all workers share (Redis),
    not in this process's own (a worker evaluates).

    Exactly one caller wins the ``running`` → ``finalizing`` transition (or takes over a
    ``finalizing`` run whose owner's lease expired). A failure that retrying cannot fix (the
    suite is gone or differs) ends the run ``failed`` with the reason; any other failure
    hands the evaluation back so the next attempt can take it at once. So do ``interrupts``:
    exceptions that stop the evaluation from outside (a worker passes Celery's soft time
    limit, which would otherwise count as the evaluation failing), re-raised.
    """
    with session_scope(engine) as session:
        run = store.find_run(session=session, run_id=run_id)
        if run is None or run.status not in (*EXECUTABLE, "finalizing"):
            return False
        if not shard_store.run_complete(session=session, run_id=run_id):
            return False
        if not store.begin_finalize(
            session=session, run_id=run_id, lease_seconds=settings.finalize_lease_seconds
        ):
            return False
        # An evaluation taken over from a dead owner starts clean; this one owns it now.
        store.clear_results(session=session, run_id=run_id)
        spec = planned.spec if planned is not None else run.spec
    handed_back: tuple[type[BaseException], ...] = (StoreError, SQLAlchemyError, *interrupts)
    try:
        finished = _evaluate(engine, run_id, settings, spec, suite, planned, shared_limits)
    except handed_back:
        with session_scope(engine) as session:
            store.abort_finalize(session=session, run_id=run_id)
        raise
    except Exception as exc:
        fail_run(engine=engine, run_id=run_id, exc=exc, only_from=("finalizing",))
        raise
    except BaseException:
        with session_scope(engine) as session:
            store.abort_finalize(session=session, run_id=run_id)
        raise
    return finished


def fail_run(
    *, engine: Engine, run_id: str, exc: BaseException, only_from: Sequence[RunStatus]
) -> bool:
    """Mark the run failed with ``public_message(exc)`` as its error; True if it did.

    Never raises: the caller re-raises ``exc``, the failure to report (a second traceback
    chained to the first told users nothing more). On a full disk the usual finish, which
    also forgets the run's rendered requests (a write as large as the plan), is refused;
    the status alone usually still fits, in the log space the refused write had taken.
    """
    error = public_message(exc)
    # Last, in the room the store's reserve file gives back (store/reserve.py).
    for scrub, released in ((True, False), (False, False), (False, True)):
        if released and not reserve.release(engine):
            break
        try:
            with session_scope(engine) as session:
                return store.finish_run(
                    session=session,
                    run_id=run_id,
                    status="failed",
                    error=error,
                    only_from=only_from,
                    scrub=scrub,
                )
        except SQLAlchemyError as refused:
            cause = public_message(refused)
        finally:
            if released:
                reserve.keep(engine)
    log.warning("run %s could not be marked failed (%s): %s", run_id, error, cause)
    return False


def _evaluate(
    engine: Engine,
    run_id: str,
    settings: Settings,
    spec: RunSpec,
    suite: Suite | None,
    planned: Planned | None,
    shared_limits: bool = False,
) -> bool:
    """Evaluate the run (already ``finalizing``, its results cleared) and finish it; True if
    this call finished it."""
    if planned is not None:
        calls, suite = planned.calls, planned.suite
    else:
        with session_scope(engine) as session:
            calls = shard_store.load_calls(session=session, run_id=run_id)
    comparisons = [Comparison.from_spec(c) for c in spec.comparisons]
    suite = suite if suite is not None else load_suite(settings.prompts_dir)
    _check_suite(suite, comparisons, calls, spec.version_hashes)
    if planned is None:
        # A run planned in this process recorded its versions, from this very suite, when it
        # was written; another process's suite (a worker's checkout) is recorded now. Raises
        # VersionEditedError if a version released since was released with another content
        # (a run planned before 0008 has no version hashes; this is its check).
        versions = {
            (c.prompt, v) for c in comparisons for v in (c.baseline.version, c.candidate.version)
        }
        with session_scope(engine) as session:
            store.record_prompt_versions(
                session=session,
                versions=[suite.prompts[p].versions[v] for p, v in sorted(versions)],
            )
    evaluate(
        engine=engine,
        run_id=run_id,
        suite=suite,
        comparisons=comparisons,
        calls=calls,
        samples=spec.request.samples,
    )
    if settings.judge or any(suite.prompts[c.prompt].judge for c in comparisons):
        # Only where no deterministic rule decided a case (compat/judge.py).
        judge_run(
            engine=engine,
            run_id=run_id,
            suite=suite,
            settings=settings,
            shared_limits=shared_limits,
        )
    with session_scope(engine) as session:
        store.refresh_progress(session=session, run_id=run_id)
        run = store.get_run(session=session, run_id=run_id)
        if planned is not None:
            unrenderable = sum(1 for c in planned.calls if c.render_error is not None)
        else:
            unrenderable = session.execute(
                sa_select(func.count()).where(
                    col(PlannedCallRecord.run_id) == run_id,
                    col(PlannedCallRecord.render_error).is_not(None),
                )
            ).scalar_one()
        status: RunStatus = (
            "completed_with_errors" if run.error_calls or unrenderable else "completed"
        )
        finished = store.finish_run(
            session=session, run_id=run_id, status=status, only_from=("finalizing",)
        )
    if finished:
        # One line per evaluation, so tests and operators can count them.
        log.info("run_finalized run=%s status=%s", run_id, status)
    return finished


def _check_suite(
    suite: Suite,
    comparisons: Sequence[Comparison],
    calls: Sequence[PlannedCall],
    version_hashes: dict[str, dict[str, str]],
) -> None:
    """The suite this process loaded must be the one the run was planned with."""
    for prompt_name, hashes in sorted(version_hashes.items()):
        for version, digest in sorted(hashes.items()):
            found = suite.prompts.get(prompt_name)
            pv = found.versions.get(version) if found is not None else None
            if pv is not None and pv.content_hash != digest:
                raise SuiteError(
                    f"{prompt_name} {version} has changed since the run was planned (content "
                    f"{digest[:12]} then, {pv.content_hash[:12]} now): start a new run",
                    where=pv.source or str(pv.path),
                )
    planned: dict[str, set[str]] = {}
    for call in calls:
        planned.setdefault(call.prompt, set()).add(call.case_id)
    for comp in comparisons:
        prompt = suite.prompts.get(comp.prompt)
        where = str(suite.root)
        if prompt is None:
            raise SuiteError(
                f"the run needs prompt {comp.prompt!r}, which this suite lacks", where=where
            )
        for version in (comp.baseline.version, comp.candidate.version):
            if version not in prompt.versions:
                raise SuiteError(
                    f"the run needs {comp.prompt} {version}, which this suite lacks", where=where
                )
        if {c.id for c in prompt.cases} != planned.get(comp.prompt, set()):
            raise SuiteError(
                f"the cases of {comp.prompt} differ from those the run was planned with",
                where=where,
            )
