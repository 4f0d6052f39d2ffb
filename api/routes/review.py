"""Review: accept or reject pending changes (per case, per rule, in bulk) and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query
from sqlmodel import Session

from api.deps import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    ReviewerDep,
    SessionDep,
    StateDep,
    ViewerDep,
)
from api.routes.reports import CaseResultDep
from api.routes.runs import RunIdPath
from api.schemas import (
    AuditEntryPublic,
    AuditPublic,
    BulkDecisionCreate,
    BulkDecisionPublic,
    CaseDecisionPublic,
    DecisionCreate,
    HexId,
    VerdictMarkCreate,
    VerdictMarkPublic,
)
from promptcompat import store
from promptcompat.snapshots import decisions as review
from promptcompat.snapshots import marks
from promptcompat.store import audit
from promptcompat.store.tables.judging import VerdictMark
from promptcompat.store.tables.review import ReviewDecision

router = APIRouter(tags=["review"])
Done = TypeVar("Done")


def review_act(
    act: Callable[..., Done],
    *,
    session: Session,
    run_id: str,
    case_result_id: str,
    reviewer: str,
    reason: str,
) -> Done:
    """One reviewer's act on a case of a run (accept, reject, mark a verdict), committed; an
    unknown run is NotFound before anything is done. The review page's forms share it."""
    run = store.get_run(session=session, run_id=run_id)
    done = act(
        session=session,
        case_result_id=case_result_id,
        reviewer=reviewer,
        reason=reason,
        run_id=run.id,
    )
    session.commit()
    return done


def decision_public(row: ReviewDecision) -> CaseDecisionPublic:
    return CaseDecisionPublic.model_validate(row, from_attributes=True)


@router.post("/runs/{run_id}/cases/{case}/accept", response_model=CaseDecisionPublic)
def accept_case(
    run_id: RunIdPath,
    case_result_id: CaseResultDep,
    body: DecisionCreate,
    principal: ReviewerDep,
    session: SessionDep,
    state: StateDep,
) -> CaseDecisionPublic:
    """Accept a pending case: its candidate outputs become the accepted baseline."""
    row = review_act(
        review.accept,
        session=session,
        run_id=run_id,
        case_result_id=case_result_id,
        reviewer=principal.name,
        reason=body.reason,
    )
    state.metrics.decisions.labels("accepted").inc()
    return decision_public(row)


@router.post("/runs/{run_id}/cases/{case}/reject", response_model=CaseDecisionPublic)
def reject_case(
    run_id: RunIdPath,
    case_result_id: CaseResultDep,
    body: DecisionCreate,
    principal: ReviewerDep,
    session: SessionDep,
    state: StateDep,
) -> CaseDecisionPublic:
    """Reject a pending case: the decision is recorded and the case stays a break."""
    row = review_act(
        review.reject,
        session=session,
        run_id=run_id,
        case_result_id=case_result_id,
        reviewer=principal.name,
        reason=body.reason,
    )
    state.metrics.decisions.labels("rejected").inc()
    return decision_public(row)


@router.post("/runs/{run_id}/cases/{case}/verdict", response_model=VerdictMarkPublic)
def mark_verdict(
    run_id: RunIdPath,
    case_result_id: CaseResultDep,
    body: VerdictMarkCreate,
    principal: ReviewerDep,
    session: SessionDep,
) -> VerdictMarkPublic:
    """Mark a case's verdict as wrong, with the right one: it becomes a labelled pair."""
    mark = review_act(
        partial(marks.mark_wrong, right_verdict=body.right_verdict),
        session=session,
        run_id=run_id,
        case_result_id=case_result_id,
        reviewer=principal.name,
        reason=body.reason,
    )
    return mark_public(mark)


def mark_public(mark: VerdictMark) -> VerdictMarkPublic:
    return VerdictMarkPublic.model_validate(
        {**mark.model_dump(), "label": marks.label_of(mark.right_verdict)}
    )


@router.post("/runs/{run_id}/review", response_model=BulkDecisionPublic)
def decide_bulk(
    run_id: RunIdPath,
    body: BulkDecisionCreate,
    principal: ReviewerDep,
    session: SessionDep,
    state: StateDep,
) -> BulkDecisionPublic:
    """Accept or reject many pending cases of a run: listed ones, one rule's, or all."""
    outcome = review.decide_bulk(
        session=session,
        run_id=run_id,
        action=body.action,
        reviewer=principal.name,
        reason=body.reason,
        rule=body.rule,
        case_result_ids=body.case_result_ids,
    )
    session.commit()
    label = "accepted" if body.action == "accept" else "rejected"
    state.metrics.decisions.labels(label).inc(len(outcome.decided))
    return BulkDecisionPublic(
        decided=len(outcome.decided),
        skipped=outcome.skipped,
        decisions=[decision_public(d) for d in outcome.decided],
    )


@router.get("/audit", response_model=AuditPublic)
def audit_log(
    _: ViewerDep,
    session: SessionDep,
    run_id: Annotated[HexId | None, Query(description="Only this run.")] = None,
    subject: Annotated[HexId | None, Query(description="Only this object (case, token).")] = None,
    actor: Annotated[str | None, Query(max_length=100, description="Only this actor.")] = None,
    action: Annotated[
        str | None, Query(pattern=r"^[a-z]+\.[a-z]+$", description="e.g. case.accept")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> AuditPublic:
    """List the audit log, newest first: every decision and privileged action."""
    page = audit.history(
        session=session,
        limit=limit,
        cursor=cursor,
        run_id=run_id,
        subject=subject,
        actor=actor,
        action=action,
    )
    return AuditPublic(
        items=[AuditEntryPublic.model_validate(e, from_attributes=True) for e in page.items],
        next_cursor=page.next_cursor,
    )
