"""Reviewing pending changes: accept a candidate's outputs as the new baseline, or reject them.

A case result is *pending* when its verdict is CHANGED or BREAKING and nobody has decided on
it yet. Accepting makes the candidate's outputs the accepted baseline for (prompt, candidate
version, candidate target, case, sample) and is final; rejecting records the decision (the
case stays reported as it was) and may later be overturned by an accept. Every decision is
also appended to the audit log, with the reviewer and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from promptcompat import store
from promptcompat.errors import ConflictError, NotFoundError
from promptcompat.rules.catalog import REVIEWABLE
from promptcompat.store import audit
from promptcompat.store.tables.core import Call, CaseResult, FindingRecord, utcnow
from promptcompat.store.tables.review import ReviewDecision

Action = Literal["accept", "reject"]


@dataclass
class BulkOutcome:
    decided: list[ReviewDecision] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """Case result id → why it was left pending (e.g. a candidate sample failed)."""


def get_result(*, session: Session, case_result_id: str, run_id: str | None = None) -> CaseResult:
    """The case result, checked to belong to ``run_id`` when one is given."""
    result = session.get(CaseResult, case_result_id)
    if result is None or (run_id is not None and result.run_id != run_id):
        raise NotFoundError(
            f"no case result {case_result_id!r}" + (f" in run {run_id}" if run_id else "")
        )
    return result


def accept(
    *,
    session: Session,
    case_result_id: str,
    reviewer: str,
    reason: str = "",
    run_id: str | None = None,
) -> ReviewDecision:
    """Make the candidate's outputs of a pending case the accepted baseline.

    Raises:
        NotFoundError: no such case result (in ``run_id``).
        ConflictError: the case is not CHANGED/BREAKING, was already accepted, compares a
            model with itself (A/A), or one of its candidate samples failed.
    """
    result = get_result(session=session, case_result_id=case_result_id, run_id=run_id)
    previous = _check_decidable(session, result, "accept")
    calls = store.load_calls(session=session, keys=result.candidate_keys)
    rows: list[Call] = []
    for key in result.candidate_keys:
        row = calls.get(key)
        if row is None or row.status != "ok" or row.snapshot_hash is None:
            raise ConflictError(
                "a candidate sample of this case failed; only complete outputs can become the "
                "baseline",
                where=f"{result.prompt}/{result.case_id}",
            )
        rows.append(row)
    run = store.get_run(session=session, run_id=result.run_id)
    version_hash = store.planned_version_hash(
        session=session, run=run, prompt=result.prompt, version=result.candidate_version
    )
    # Identical renders share one call row, which may carry another case's or version's
    # name: the baseline is keyed by this result's own prompt version, target and case.
    slots = [
        store.BaselineSlot(
            result.prompt,
            result.candidate_version,
            version_hash,
            result.candidate_target,
            result.case_id,
            sample,
        )
        for sample in range(len(rows))
    ]
    store.accept_baselines(
        session=session,
        accepted=list(zip(slots, rows, strict=True)),
        accepted_by=reviewer,
        replace=True,
    )
    return _decide(session, result, previous, "accepted", reviewer=reviewer, reason=reason)


def reject(
    *,
    session: Session,
    case_result_id: str,
    reviewer: str,
    reason: str = "",
    run_id: str | None = None,
) -> ReviewDecision:
    """Record that a pending change is not acceptable; the case stays reported as a break.

    Raises:
        NotFoundError: no such case result (in ``run_id``).
        ConflictError: the case is not CHANGED/BREAKING or was already decided.
    """
    result = get_result(session=session, case_result_id=case_result_id, run_id=run_id)
    previous = _check_decidable(session, result, "reject")
    return _decide(session, result, previous, "rejected", reviewer=reviewer, reason=reason)


def pending_ids(*, session: Session, run_id: str, rule: str | None = None) -> list[str]:
    """Ids of the run's undecided CHANGED/BREAKING results, in report order (with ``rule``:
    only those where that rule fired)."""
    query = (
        select(CaseResult.id)
        .where(CaseResult.run_id == run_id, col(CaseResult.verdict).in_(REVIEWABLE))
        .where(
            ~col(CaseResult.id).in_(
                select(ReviewDecision.case_result_id).where(ReviewDecision.run_id == run_id)
            )
        )
        .order_by(col(CaseResult.comparison), col(CaseResult.seq), col(CaseResult.id))
    )
    if rule is not None:
        query = query.where(
            col(CaseResult.id).in_(
                select(FindingRecord.case_result_id).where(
                    FindingRecord.run_id == run_id, FindingRecord.rule == rule
                )
            )
        )
    return list(session.exec(query).all())


def decide_bulk(
    *,
    session: Session,
    run_id: str,
    action: Action,
    reviewer: str,
    reason: str = "",
    rule: str | None = None,
    case_result_ids: Sequence[str] | None = None,
) -> BulkOutcome:
    """Accept or reject many pending results of a run: all, those where ``rule`` fired, or
    the listed ones (which must belong to the run). A result that cannot take the decision
    is left pending and named in ``skipped`` with the reason."""
    run = store.get_run(session=session, run_id=run_id)
    if case_result_ids is not None:
        ids = list(dict.fromkeys(case_result_ids))
        for case_result_id in ids:
            get_result(session=session, case_result_id=case_result_id, run_id=run.id)
    else:
        ids = pending_ids(session=session, run_id=run.id, rule=rule)
    outcome = BulkOutcome()
    decide = accept if action == "accept" else reject
    for case_result_id in ids:
        try:
            with session.begin_nested():
                outcome.decided.append(
                    decide(
                        session=session,
                        case_result_id=case_result_id,
                        reviewer=reviewer,
                        reason=reason,
                        run_id=run.id,
                    )
                )
        except ConflictError as exc:
            outcome.skipped[case_result_id] = exc.message
    return outcome


def _check_decidable(session: Session, result: CaseResult, action: Action) -> ReviewDecision | None:
    where = f"{result.prompt}/{result.case_id}"
    if result.verdict not in REVIEWABLE:
        raise ConflictError(
            f"a {result.verdict} case has no pending change to {action}", where=where
        )
    if result.direction == "AA":
        raise ConflictError(
            "an A/A comparison measures sampling noise; there is nothing to " + action,
            where=where,
        )
    previous = session.get(ReviewDecision, result.id)
    if previous is not None and previous.decision == "accepted":
        raise ConflictError(
            f"already accepted by {previous.reviewer}; accepting is final", where=where
        )
    if previous is not None and action == "reject":
        raise ConflictError(f"already rejected by {previous.reviewer}", where=where)
    return previous


def _decide(
    session: Session,
    result: CaseResult,
    previous: ReviewDecision | None,
    decision: Literal["accepted", "rejected"],
    *,
    reviewer: str,
    reason: str,
) -> ReviewDecision:
    before = previous.decision if previous is not None else None
    row = previous or ReviewDecision(
        case_result_id=result.id, run_id=result.run_id, decision=decision, reviewer=reviewer
    )
    row.decision = decision
    row.reviewer = reviewer
    row.reason = reason
    row.decided_at = utcnow()
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # Another reviewer decided the same case at the same moment; theirs stands.
        raise ConflictError(
            "another reviewer decided this case just now", where=f"{result.prompt}/{result.case_id}"
        ) from None
    audit.record(
        session=session,
        actor=reviewer,
        action="case.accept" if decision == "accepted" else "case.reject",
        run_id=result.run_id,
        subject=result.id,
        reason=reason,
        detail={
            "prompt": result.prompt,
            "case_id": result.case_id,
            "direction": result.direction,
            "verdict": result.verdict,
            "candidate": {"version": result.candidate_version, "target": result.candidate_target},
            "previous": before,
        },
    )
    return row
