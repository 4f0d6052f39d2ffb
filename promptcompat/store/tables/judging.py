"""Tables of the judge's measurement: reviewers' verdict marks and judge calibrations.

Migration ``0012`` creates them. Both carry the project; neither has a foreign key: deleting a
run must not erase the labelled pairs its review produced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from promptcompat.store.tables.core import new_id, utcnow


class VerdictMark(SQLModel, table=True):
    """A reviewer's "this verdict is wrong; the right one is ...", on one case result.

    It keeps the two texts the verdict was about (as stored: redacted), so the mark stays a
    labelled pair (``promptcompat labels export``) after retention removes the run. One mark
    per case result: marking again replaces it; the audit log keeps every mark."""

    __tablename__ = "verdict_mark"

    case_result_id: str = Field(primary_key=True)
    project: str = Field(default="default", index=True)
    run_id: str = Field(index=True)
    prompt: str = Field(index=True)
    case_id: str
    verdict: str
    """The verdict the run gave."""
    right_verdict: str
    """The verdict the reviewer says is right."""
    reviewer: str
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    baseline: str = Field(default="", sa_column=Column(Text, nullable=False))
    candidate: str = Field(default="", sa_column=Column(Text, nullable=False))
    marked_at: datetime = Field(default_factory=utcnow)


class JudgeCalibration(SQLModel, table=True):
    """The figures of one ``promptcompat judge calibrate``: how far the judge (one target,
    one question version) agrees with a labelled set. The latest one gates its findings."""

    __tablename__ = "judge_calibration"

    id: str = Field(default_factory=new_id, primary_key=True)
    project: str = Field(default="default", index=True)
    judge: str = Field(index=True)
    """The judge target's label."""
    question: str
    """The judge question's version (``compat.judge.QUESTION_VERSION``)."""
    labels: str
    """Where the labelled pairs came from (a file, or the suite's own marks)."""
    pairs: int
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """``compat.calibration.Figures`` as JSON: agreement, kappa, FP/FN rates, order
    consistency, undecided, and the fact diff's figures when it ran."""
    kappa: float | None = None
    """Cohen's kappa (also in ``figures``): what the gate reads."""
    calibrated_at: datetime = Field(default_factory=utcnow, index=True)
