"""The store's run lifecycle: create, progress from the rows, status transitions, delete.

Status moves ``pending`` (planned and written, nothing published or started yet) →
``running`` → ``finalizing`` (one process evaluates, under a lease) → ``completed`` /
``completed_with_errors`` / ``failed``. Each transition is one conditional ``UPDATE``, so when
several processes race (two workers finishing the last shards, reconcile) exactly one wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from promptcompat.errors import NotFoundError
from promptcompat.models import (
    Call,
    CaseResult,
    FindingRecord,
    PlannedCallRecord,
    Run,
    RunCall,
    RunShard,
    utcnow,
)
from promptcompat.redaction import scrub_plan
from promptcompat.sqlutil import now


def create_run(
    *,
    session: Session,
    spec: dict[str, Any],
    total_calls: int,
    executor: str = "embedded",
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    project: str = "default",
) -> Run:
    run = Run(
        project=project,
        spec=spec,
        total_calls=total_calls,
        status="pending",
        executor=executor,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
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
    errors = (
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
    session.execute(
        update(Run)
        .where(col(Run.id) == run_id)
        .values(done_calls=linked + unrenderable, cached_calls=cached, error_calls=errors)
    )


def set_status(*, session: Session, run_id: str, status: str, only_from: Sequence[str]) -> bool:
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
    status: str,
    error: str | None = None,
    only_from: Sequence[str] | None = None,
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
