"""One run, start to finish: the core that every run starter shares.

``prepare_run`` plans the run and writes it to the store (the run, every planned call, its
shards) in one transaction, before anything is called or published. It has one caller per
execution mode, the starters of ``starters.py`` (the one way a run is started): the inline and
the background starters then execute every shard in this process (``execute_run``), the
queue starter publishes the shards to Celery workers instead (``dispatch``). All end in
``execution.finalize_if_complete``.

A run executed in this process keeps its plan in memory: the planned calls are written once
and never read back, and its evaluation reads neither them nor the spec again.

An embedded run is owned by the process that executes it: the run records it and a heartbeat
renews the run's lease, so a run whose process is gone is found (``store.recover_orphans``).
An interrupted run (Ctrl-C, SIGTERM, a cancelled task) ends ``cancelled`` with what it saved;
running the same request again takes every saved answer from the cache.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from promptcompat import store
from promptcompat.compat import accepted_targets
from promptcompat.config import Settings
from promptcompat.errors import AuthError, ConflictError, PromptCompatError, StoreError
from promptcompat.providers import missing_key, no_key_message
from promptcompat.replay import Progress, ReplayStats, replay
from promptcompat.replay import shards as shard_store
from promptcompat.replay.leases import Claimer, held_elsewhere
from promptcompat.replay.plan import Comparison, PlannedCall, expand_calls, plan_comparisons
from promptcompat.replay.ratelimit import make_limiter
from promptcompat.runs import interrupts
from promptcompat.runs.execution import (
    Planned,
    fail_run,
    finalize_if_complete,
    unanswered_calls,
)
from promptcompat.runs.interrupts import RunInterrupted
from promptcompat.store import session_scope
from promptcompat.store.processes import ProcessRef
from promptcompat.store.redaction import spec_entry
from promptcompat.store.sql import now
from promptcompat.store.tables.core import LIVE_STATUSES, TERMINAL_STATUSES
from promptcompat.store.tables.run_spec import (
    ExecutionMode,
    RetirementWarning,
    RunRequest,
    RunSpec,
)
from promptcompat.suite import Suite
from promptcompat.suite.retirements import deprecation_warnings
from promptcompat.suite.targets import Target

log = logging.getLogger("promptcompat.runs.run")
_WRITE_ATTEMPTS = 3
LEASE_POLL_SECONDS = 0.25
"""How often a run waiting on calls another run holds looks whether they were released."""


class IdempotencyConflictError(ConflictError):
    """An idempotency key was reused for a different request (HTTP 409 in the API)."""


@dataclass
class PreparedRun:
    run_id: str
    comparisons: list[Comparison]
    calls: list[PlannedCall]
    spec: RunSpec
    shards: list[int] = field(default_factory=list)
    created: bool = True
    """False when an idempotency key matched a run submitted before (nothing was written)."""


def prepare_run(
    *,
    engine: Engine,
    suite: Suite,
    request: RunRequest,
    settings: Settings,
    mode: ExecutionMode,
    idempotency_key: str | None = None,
    comparisons: Sequence[Comparison] | None = None,
    project: str | None = None,
    require_keys: bool = False,
) -> PreparedRun:
    """Plan the run and write it to the store before anything is called.

    ``mode``: how the run will execute (recorded in its spec); a ``queue`` run is written for
    the workers of ``settings.queue`` (``reconcile`` works per queue), any other is owned by
    this process. ``comparisons``, when given, replace the planned ones (``check --base``
    picks its own). ``require_keys``: the calls run in this process, so a key its environment
    lacks is an error now, before anything is stored (see :func:`require_provider_keys`).

    Raises:
        IdempotencyConflictError: ``idempotency_key`` belongs to a run of another request.
        AuthError: ``require_keys`` and a call the cache cannot answer needs an unset key.
    """
    if request.samples < 1:
        raise PromptCompatError("samples must be at least 1")
    project = project or settings.project
    if idempotency_key is not None and project != "default":
        # Keys are unique store-wide; each project has its own namespace of them.
        idempotency_key = f"{project}/{idempotency_key}"
    if comparisons is None:
        comparisons = plan_comparisons(
            suite,
            prompts=request.prompts,
            baseline=request.baseline,
            candidate=request.candidate,
            candidate_version=request.candidate_version,
            aa=request.aa,
            accepted_targets=accepted_targets(engine, project),
        )
    comparisons = list(comparisons)
    if not comparisons:
        raise PromptCompatError(
            "nothing to compare: no prompt declares a candidate target or a version newer than "
            "the deployed one (give --candidate or --candidate-version)"
        )
    calls = expand_calls(
        suite, comparisons, samples=request.samples, max_rendered_chars=settings.max_rendered_chars
    )
    if require_keys:
        require_provider_keys(engine=engine, calls=calls, settings=settings)
    in_run = {c.prompt for c in comparisons}
    used = {(c.prompt, v) for c in comparisons for v in (c.baseline.version, c.candidate.version)}
    # The content each version was planned with: a draft may change before a worker evaluates.
    planned: dict[str, dict[str, str]] = {}
    for p, v in sorted(used):
        planned.setdefault(p, {})[v] = suite.prompts[p].versions[v].content_hash
    spec = RunSpec(
        request=request,
        comparisons=tuple(c.to_spec() for c in comparisons),
        modes={c.prompt: suite.prompts[c.prompt].mode for c in comparisons},
        redact=spec_entry({c.prompt: suite.prompts[c.prompt].redact for c in comparisons}),
        # Recorded with the run, so its report warns of a pinned target retiring soon (or
        # retired).
        deprecations=tuple(
            RetirementWarning.model_validate(w)
            for w in deprecation_warnings(suite, settings)
            if w["prompt"] in in_run
        ),
        queue=settings.queue if mode == "queue" else None,
        version_hashes=planned,
        execution=mode,
    )
    digest = request.digest()
    for attempt in range(_WRITE_ATTEMPTS):
        try:
            # One transaction: the key's earlier run is looked for where this one is written.
            with session_scope(engine) as session:
                if idempotency_key is not None:
                    earlier = store.run_by_idempotency_key(session=session, key=idempotency_key)
                    if earlier is not None:
                        if earlier.request_hash != digest:
                            raise IdempotencyConflictError(
                                "this idempotency key was used for a different request",
                                where=f"run {earlier.id}",
                            )
                        return PreparedRun(
                            earlier.id, comparisons, calls, earlier.spec, created=False
                        )
                store.record_prompt_versions(
                    session=session,
                    versions=[suite.prompts[p].versions[v] for p, v in sorted(used)],
                )
                run = store.create_run(
                    session=session,
                    spec=spec,
                    total_calls=len({c.key for c in calls}),
                    executor="queue" if mode == "queue" else "embedded",
                    idempotency_key=idempotency_key,
                    request_hash=digest,
                    project=project,
                    # The process that prepares an embedded run executes it.
                    owner=None if mode == "queue" else ProcessRef.current(),
                    lease_until=now() + settings.lease_seconds,
                )
                shards = shard_store.save_plan(
                    session=session, run_id=run.id, calls=calls, shard_size=settings.shard_size
                )
            return PreparedRun(run.id, comparisons, calls, spec, shards)
        except IntegrityError as exc:
            # A concurrent submission with the same key, or the first record of a prompt
            # version written by another process at the same moment: read again and retry.
            if attempt + 1 == _WRITE_ATTEMPTS:
                raise StoreError(f"could not write the run: {exc.orig}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def require_provider_keys(
    *, engine: Engine, calls: Sequence[PlannedCall], settings: Settings
) -> None:
    """Refuse a run whose calls need a key that is not in this process's environment.

    Without it every call of such a target would fail one by one, and the report would
    count them among the results. Calls the cache answers need no key, so a replay of a
    cached run works without one.

    Raises:
        AuthError: naming the first such target and the variable to set.
    """
    keys_by_target: dict[Target, set[str]] = {}
    for call in calls:
        if call.render_error is None:
            keys_by_target.setdefault(call.target, set()).add(call.key)
    for target, keys in keys_by_target.items():
        env = missing_key(target, settings)
        if env is None:
            continue
        with session_scope(engine) as session:
            answered = store.answered_keys(session=session, keys=sorted(keys))
        if len(answered) < len(keys):
            raise AuthError(no_key_message(env), where=target.label)


async def execute_run(
    prepared: PreparedRun,
    *,
    engine: Engine,
    suite: Suite,
    settings: Settings,
    on_progress: Callable[[Progress], None] | None = None,
) -> ReplayStats:
    """Replay every shard here, compare, and finish the run (or fail it, with the reason).

    A run this process just created is executed and evaluated from ``prepared`` (planned from
    ``suite``): its calls and spec are not read back from the store. Cancelled (the task, or
    ``KeyboardInterrupt``), the run ends ``cancelled`` with every answer it had saved.
    """
    run_id = prepared.run_id
    planned = Planned(prepared.spec, prepared.calls, suite) if prepared.created else None
    known = planned.calls if planned is not None else None
    with session_scope(engine) as session:
        store.set_status(session=session, run_id=run_id, status="running", only_from=("pending",))
        store.renew_lease(session=session, run_id=run_id, until=now() + settings.lease_seconds)
        todo = unanswered_calls(session=session, run_id=run_id, calls=known)
    total = ReplayStats()
    claimer = Claimer(lease_seconds=settings.lease_seconds)
    limiter = make_limiter(settings, shared=False)
    heartbeat = asyncio.create_task(_hold(engine, run_id, settings.lease_seconds))
    try:
        while todo is not None:  # None: the run is no longer executable (cancelled, ended)
            stats = await replay(
                todo,
                engine=engine,
                run_id=run_id,
                settings=settings,
                on_progress=on_progress,
                claimer=claimer,
                limiter=limiter,
            )
            _add(total, stats)
            if stats.complete:
                break
            # Another run holds leases on some calls: wait until it answers them (or dies, or
            # the leases expire), looking often, not a whole lease later.
            wait = max(0.05, min(stats.retry_in, settings.lease_seconds))
            await _wait_for_release(engine, stats.waiting_on, claimer, time.monotonic() + wait)
            with session_scope(engine) as session:
                todo = unanswered_calls(session=session, run_id=run_id, calls=known)
        finished = finalize_if_complete(
            engine=engine, run_id=run_id, settings=settings, suite=suite, planned=planned
        )
    except (asyncio.CancelledError, KeyboardInterrupt):
        _cancel(engine, run_id, "interrupted before it finished")
        raise
    except BaseException as exc:
        fail_run(engine=engine, run_id=run_id, exc=exc, only_from=LIVE_STATUSES)
        raise
    finally:
        heartbeat.cancel()  # reaped by the event loop's shutdown if not here
        if limiter is not None:
            await limiter.aclose()
    if not finished:  # cancelled, or evaluated elsewhere: whatever it is, it must have ended
        with session_scope(engine) as session:
            status = store.get_run(session=session, run_id=run_id).status
        if status not in TERMINAL_STATUSES:
            raise StoreError(f"run {run_id} did not finish (status {status})")
    return total


def _cancel(engine: Engine, run_id: str, error: str) -> None:
    """End the run ``cancelled``; never raises (the interrupt goes on either way)."""
    try:
        with session_scope(engine) as session:
            # Counted from the rows first: the report and the interrupt line say what was saved.
            store.refresh_progress(session=session, run_id=run_id)
            store.finish_run(
                session=session,
                run_id=run_id,
                status="cancelled",
                error=error,
                only_from=LIVE_STATUSES,
            )
    except SQLAlchemyError as exc:
        # Left running: once this process is gone, recover_orphans ends it.
        log.warning("run %s could not be marked cancelled: %s", run_id, exc)


async def _hold(engine: Engine, run_id: str, lease_seconds: float) -> None:
    """Renew the run's lease while this process executes it (a third of a lease apart)."""

    def renew() -> bool:
        with session_scope(engine) as session:
            return store.renew_lease(session=session, run_id=run_id, until=now() + lease_seconds)

    while True:
        await asyncio.sleep(lease_seconds / 3)
        if not await asyncio.to_thread(renew):
            return  # evaluating (under its own lease) or ended


async def _wait_for_release(
    engine: Engine, keys: Sequence[str], claimer: Claimer, deadline: float
) -> None:
    """Until no other live owner holds any of ``keys``, or ``deadline`` (monotonic)."""

    def held() -> bool:
        with session_scope(engine) as session:
            return bool(held_elsewhere(session=session, keys=keys, owner=claimer.owner))

    while time.monotonic() < deadline and await asyncio.to_thread(held):
        await asyncio.sleep(min(LEASE_POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def _add(total: ReplayStats, stats: ReplayStats) -> None:
    if not total.total:
        total.total, total.cached = stats.total, stats.cached
    total.executed += stats.executed
    total.provider_calls += stats.provider_calls
    total.errors += stats.errors
    total.seconds += stats.seconds


def interrupted(engine: Engine, run_id: str) -> RunInterrupted:
    """Store the run ``cancelled`` (if the interrupt came before its execution could), naming
    the signal, and say what it saved."""
    with session_scope(engine) as session:
        store.refresh_progress(session=session, run_id=run_id)
        store.finish_run(
            session=session,
            run_id=run_id,
            status="cancelled",
            error=f"interrupted by {interrupts.describe()} before it finished",
            only_from=(*LIVE_STATUSES, "cancelled"),
        )
        run = store.get_run(session=session, run_id=run_id)
        return RunInterrupted(
            run_id=run.id,
            status=run.status,
            done=run.done_calls,
            total=run.total_calls,
            errors=run.error_calls,
        )
