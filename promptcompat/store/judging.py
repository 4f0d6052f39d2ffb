"""Reads and writes of the judge's measurement: verdict marks, calibrations, judge calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import update
from sqlmodel import Session, col, select

from promptcompat.store import audit, projects
from promptcompat.store.tables.core import CaseResult, FindingRecord, Run, utcnow
from promptcompat.store.tables.judging import JudgeCalibration, VerdictMark

QUESTION_VERSION = "judge/1"
"""The version of the judge's question and schema (``compat.judge``): a new wording is a new
version, so no cached answer to another question is ever reused, and calibrations are per
version."""
FACT_QUESTION_VERSION = "judge/fact-1"
"""The version of the judge's key-fact question (``compat.judge``); its findings are gated by
the calibration of :data:`QUESTION_VERSION` (``judge calibrate`` measures pairs)."""


def mark_verdict(
    *,
    session: Session,
    result: CaseResult,
    right_verdict: str,
    reviewer: str,
    reason: str,
    baseline: str,
    candidate: str,
) -> VerdictMark:
    """Record (or replace) the reviewer's mark on ``result``, audited as ``case.mark``."""
    mark = session.get(VerdictMark, result.id)
    if mark is None:
        mark = VerdictMark(
            case_result_id=result.id,
            project=projects.project_of(session),
            run_id=result.run_id,
            prompt=result.prompt,
            case_id=result.case_id,
            verdict=result.verdict,
            right_verdict=right_verdict,
            reviewer=reviewer,
        )
    mark.right_verdict, mark.reviewer, mark.reason = right_verdict, reviewer, reason
    mark.baseline, mark.candidate, mark.marked_at = baseline, candidate, utcnow()
    session.add(mark)
    audit.record(
        session=session,
        actor=reviewer,
        action="case.mark",
        run_id=result.run_id,
        subject=result.id,
        reason=reason,
        detail={
            "prompt": result.prompt,
            "case_id": result.case_id,
            "verdict": result.verdict,
            "right_verdict": right_verdict,
        },
    )
    return mark


def verdict_marks(
    *, session: Session, prompt: str | None = None, run_id: str | None = None
) -> Sequence[VerdictMark]:
    """The marks of the session's project, oldest first."""
    query = select(VerdictMark).where(VerdictMark.project == projects.project_of(session))
    if prompt is not None:
        query = query.where(VerdictMark.prompt == prompt)
    if run_id is not None:
        query = query.where(VerdictMark.run_id == run_id)
    return session.exec(query.order_by(col(VerdictMark.marked_at))).all()


def mark_of(*, session: Session, case_result_id: str) -> VerdictMark | None:
    mark = session.get(VerdictMark, case_result_id)
    if mark is None or mark.project != projects.project_of(session):
        return None
    return mark


def save_calibration(
    *,
    session: Session,
    judge: str,
    question: str,
    labels: str,
    pairs: int,
    figures: dict[str, Any],
    kappa: float | None,
) -> JudgeCalibration:
    row = JudgeCalibration(
        project=projects.project_of(session),
        judge=judge,
        question=question,
        labels=labels,
        pairs=pairs,
        figures=figures,
        kappa=kappa,
    )
    session.add(row)
    return row


def latest_calibration(
    *, session: Session, judge: str, question: str, project: str | None = None
) -> JudgeCalibration | None:
    """The newest calibration of this judge target and question version (in ``project``,
    default: the session's)."""
    return session.exec(
        select(JudgeCalibration)
        .where(
            JudgeCalibration.project == (project or projects.project_of(session)),
            JudgeCalibration.judge == judge,
            JudgeCalibration.question == question,
        )
        .order_by(col(JudgeCalibration.calibrated_at).desc())
        .limit(1)
    ).first()


def add_planned_calls(*, session: Session, run_id: str, calls: int) -> None:
    """Count calls planned after the run started (the judge's) in its total, so its progress
    still reads done of total."""
    if calls:
        session.execute(
            update(Run).where(col(Run.id) == run_id).values(total_calls=Run.total_calls + calls)
        )


Label = Literal["equivalent", "different"]
LABELS: tuple[Label, ...] = ("equivalent", "different")


class LabelledPair(BaseModel):
    """One line of a labelled set (jsonl): what ``judge calibrate`` reads and
    ``labels export`` writes."""

    model_config = ConfigDict(extra="forbid")

    baseline: str
    candidate: str
    label: Label
    reason: str = ""
    description: str = ""
    """What the answers are for (the prompt's description), when known."""
    source: str = ""
    """Where the pair comes from, e.g. ``run <id> extract/c1`` for a reviewer's mark."""


def case_findings(*, session: Session, case_result_id: str) -> Sequence[FindingRecord]:
    """The stored findings of one case result (the judge demotes or adds to them)."""
    return session.exec(
        select(FindingRecord).where(FindingRecord.case_result_id == case_result_id)
    ).all()
