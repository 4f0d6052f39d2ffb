"""The store's run lifecycle: create, progress from the rows, status transitions, delete.

Status moves ``pending`` (planned and written, nothing published or started yet) →
``running`` → ``finalizing`` (one process evaluates, under a lease) → ``completed`` /
``completed_with_errors`` / ``failed``; a pending or running run may end ``cancelled`` (a
client cancelled it, or its process was interrupted: Ctrl-C, SIGTERM). Each transition is one
conditional ``UPDATE``, so when several processes race (two workers finishing the last shards,
reconcile) exactly one wins.

An embedded run records the process that executes it (``owner_*``), which renews
``lease_until`` while it works: a run whose process is gone (``kill -9``, a crash, a host lost)
is found by :func:`recover_orphans` and ended ``failed``, not left ``running`` for ever.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Text, cast, delete, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from promptcompat.errors import NotFoundError
from promptcompat.store.processes import ProcessRef
from promptcompat.store.redaction import scrub_plan
from promptcompat.store.sql import now
from promptcompat.store.tables.core import (
    LIVE_STATUSES,
    TERMINAL_STATUSES,
    Call,
    CaseResult,
    FindingRecord,
    PlannedCallRecord,
    Run,
    RunCall,
    RunShard,
    RunStatus,
    utcnow,
)
from promptcompat.store.tables.run_spec import RunSpec

log = logging.getLogger("promptcompat.runs.run")
ORPHAN_GRACE_SECONDS = 30.0
"""How long past its owner's last lease a run of another host is still taken for alive (clock
skew between hosts, a slow renewal)."""


def create_run(
    *,
    session: Session,
    spec: RunSpec,
    total_calls: int,
    executor: str = "embedded",
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    project: str = "default",
    owner: ProcessRef | None = None,
    lease_until: float | None = None,
) -> Run:
    """``owner``: the process that will execute an embedded run, holding it until
    ``lease_until`` unless it renews (:func:`renew_lease`)."""
    run = Run(
        project=project,
        spec=spec,
        total_calls=total_calls,
        status="pending",
        executor=executor,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        owner_host=owner.host if owner else None,
        owner_pid=owner.pid if owner else None,
        owner_started=owner.started if owner else None,
        lease_until=lease_until if owner else None,
    )
    session.add(run)
    session.flush()
    return run


def get_run(*, session: Session, run_id: str) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        # Allow an unambiguous prefix, as git does for commits.
        matches = session.exec(select(Run).where(col(Run.id).startswith(run_id))).all()
        if len(matches) == 1:
            return matches[0]
        raise NotFoundError(f"no run {run_id!r}")
    return run


def find_run(*, session: Session, run_id: str) -> Run | None:
    """The run with exactly this id, or None (a task for a deleted run)."""
    return session.get(Run, run_id)


def run_by_idempotency_key(*, session: Session, key: str) -> Run | None:
    return session.exec(select(Run).where(Run.idempotency_key == key)).first()


def latest_runs(*, session: Session, limit: int = 20) -> Sequence[Run]:
    return session.exec(select(Run).order_by(col(Run.created_at).desc()).limit(limit)).all()


def add_provider_calls(*, session: Session, run_id: str, requests: int) -> None:
    """Count HTTP requests sent to providers (retries and any duplicate included: billed)."""
    if requests:
        session.execute(
            update(Run)
            .where(col(Run.id) == run_id)
            .values(provider_calls=Run.provider_calls + requests)
        )


def refresh_progress(*, session: Session, run_id: str) -> None:
    """Recompute done / cached / error counters from the rows, so they always equal them.

    Counting instead of incrementing keeps the counters exact when a shard runs twice.
    """
    linked = sa_select(func.count()).where(col(RunCall.run_id) == run_id).scalar_subquery()
    cached = (
        sa_select(func.count())
        .where(col(RunCall.run_id) == run_id, col(RunCall.cached).is_(True))
        .scalar_subquery()
    )
    failed = (
        sa_select(func.count())
        .select_from(RunCall)
        .join(Call, col(Call.cache_key) == col(RunCall.cache_key))
        .where(col(RunCall.run_id) == run_id, col(Call.status) == "error")
        .scalar_subquery()
    )
    unrenderable = (
        sa_select(func.count())
        .where(
            col(PlannedCallRecord.run_id) == run_id,
            col(PlannedCallRecord.render_error).is_not(None),
        )
        .scalar_subquery()
    )
    # A call its template refused to render is answered (nothing more will come of it) and an
    # error (the case is ERROR), though nothing was sent.
    session.execute(
        update(Run)
        .where(col(Run.id) == run_id)
        .values(
            done_calls=linked + unrenderable,
            cached_calls=cached,
            error_calls=failed + unrenderable,
        )
    )


def sent_calls(*, session: Session, run_id: str) -> int:
    """Calls of the run a provider was asked for (at least one request; not from the cache)."""
    return int(
        session.execute(
            sa_select(func.count())
            .select_from(RunCall)
            .join(Call, col(Call.cache_key) == col(RunCall.cache_key))
            .where(
                col(RunCall.run_id) == run_id,
                col(RunCall.cached).is_(False),
                col(Call.attempts) > 0,
            )
        ).scalar_one()
    )


def set_status(
    *, session: Session, run_id: str, status: RunStatus, only_from: Sequence[RunStatus]
) -> bool:
    """Move the run to ``status`` if it is in one of ``only_from``; True if this call did it."""
    result = session.execute(
        update(Run)
        .where(col(Run.id) == run_id, col(Run.status).in_(list(only_from)))
        .values(status=status)
    )
    return bool(getattr(result, "rowcount", 0))


def begin_finalize(*, session: Session, run_id: str, lease_seconds: float) -> bool:
    """Take the evaluation of a run: from ``pending``/``running`` (a tiny run may be done
    before its submitter marked it running), or from a ``finalizing`` owner whose lease
    expired (it died). True for exactly one caller."""
    at = now()
    result = session.execute(
        update(Run)
        .where(
            col(Run.id) == run_id,
            col(Run.status).in_(["pending", "running"])
            | ((col(Run.status) == "finalizing") & (col(Run.lease_until) < at)),
        )
        .values(status="finalizing", lease_until=at + lease_seconds)
    )
    return bool(getattr(result, "rowcount", 0))


def abort_finalize(*, session: Session, run_id: str) -> None:
    """Give the evaluation back (it failed transiently) so a retry can take it at once."""
    session.execute(
        update(Run)
        .where(col(Run.id) == run_id, col(Run.status) == "finalizing")
        .values(status="running", lease_until=None)
    )


def finish_run(
    *,
    session: Session,
    run_id: str,
    status: RunStatus,
    error: str | None = None,
    only_from: Sequence[RunStatus] | None = None,
    scrub: bool = True,
) -> bool:
    """Set the final status; with ``only_from``, only from those statuses (True if it did).

    ``scrub=False`` keeps the rendered requests (only for a store too full to forget them).
    """
    statement = update(Run).where(col(Run.id) == run_id)
    if only_from is not None:
        statement = statement.where(col(Run.status).in_(list(only_from)))
    result = session.execute(
        statement.values(status=status, error=error, finished_at=utcnow(), lease_until=None)
    )
    finished = bool(getattr(result, "rowcount", 0))
    if finished and scrub:
        scrub_plan(session=session, run_id=run_id)  # rendered requests: no longer needed
    return finished


def renew_lease(*, session: Session, run_id: str, until: float) -> bool:
    """The owner of an embedded run says it still works on it; False once the run is no
    longer pending or running (finished, cancelled, or taken for an orphan)."""
    result = session.execute(
        update(Run)
        .where(col(Run.id) == run_id, col(Run.status).in_(["pending", "running"]))
        .values(lease_until=until)
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class Orphan:
    """A run whose owner process is gone, as :func:`recover_orphans` ended it."""

    run_id: str
    was: RunStatus
    error: str


def recover_orphans(*, session: Session, at: float | None = None) -> list[Orphan]:
    """End ``failed`` every embedded run whose owner process is gone; their rendered requests
    are erased with it (``finish_run``).

    Gone: on this host, the owner's pid no longer runs (or runs another process); on another
    host, the owner stopped renewing its lease ``ORPHAN_GRACE_SECONDS`` ago. Runs without an
    owner (queue runs, which ``reconcile`` repairs; runs from before migration 0009) are left
    alone. A live owner is never touched, so this is safe to call from any process, any time.
    """
    at = now() if at is None else at
    live = session.exec(
        select(Run).where(
            col(Run.status).in_(list(LIVE_STATUSES)),
            col(Run.executor) == "embedded",
            col(Run.owner_pid).is_not(None),
        )
    ).all()
    found: list[Orphan] = []
    for run in live:
        assert run.owner_host is not None and run.owner_pid is not None
        owner = ProcessRef(host=run.owner_host, pid=run.owner_pid, started=run.owner_started)
        gone = owner.gone()
        if gone is None:  # another host's process: only its lease can tell
            expired = run.lease_until is not None and run.lease_until + ORPHAN_GRACE_SECONDS < at
            if not expired:
                continue
            error = (
                f"owner process {owner.pid} on host {owner.host} is gone "
                "(it stopped renewing its lease)"
            )
        elif gone:
            error = f"owner process {owner.pid} on host {owner.host} is gone"
        else:
            continue
        was = run.status
        if finish_run(
            session=session, run_id=run.id, status="failed", error=error, only_from=(was,)
        ):
            found.append(Orphan(run.id, was, error))
            log.warning("run %s was left %s: its %s; marked failed", run.id, was, error)
    return found


def scrub_finished_plans(*, session: Session, dry_run: bool = False) -> int:
    """Erase the rendered requests of every run that is not live (finished, cancelled, or
    failed in any way); returns how many planned calls had some (``dry_run``: would)."""
    # Compared as text: PostgreSQL's json type has no equality operator.
    holding = (
        col(PlannedCallRecord.run_id).in_(
            sa_select(col(Run.id)).where(col(Run.status).in_(list(TERMINAL_STATUSES)))
        ),
        cast(col(PlannedCallRecord.messages), Text) != "[]",
    )
    count = int(
        session.execute(
            sa_select(func.count()).select_from(PlannedCallRecord).where(*holding)
        ).scalar_one()
    )
    if count and not dry_run:
        session.execute(update(PlannedCallRecord).where(*holding).values(messages=[]))
    return count


def clear_results(*, session: Session, run_id: str) -> None:
    """Drop a run's verdicts: an evaluation taken over from a dead owner starts clean."""
    session.execute(delete(FindingRecord).where(col(FindingRecord.run_id) == run_id))
    session.execute(delete(CaseResult).where(col(CaseResult.run_id) == run_id))


def delete_run(*, session: Session, run_id: str) -> None:
    """Delete a run and what belongs only to it (calls and snapshots stay: they are shared)."""
    clear_results(session=session, run_id=run_id)
    for table in (RunCall, PlannedCallRecord, RunShard):
        session.execute(delete(table).where(col(table.run_id) == run_id))
    session.execute(delete(Run).where(col(Run.id) == run_id))
