"""Reviewers' decisions as stored: the current decision of each case result."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from promptcompat.store.tables.review import ReviewDecision


def decisions_for(*, session: Session, ids: Sequence[str]) -> dict[str, ReviewDecision]:
    """The current decision of each case result that has one."""
    found: dict[str, ReviewDecision] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for row in session.exec(
            select(ReviewDecision).where(col(ReviewDecision.case_result_id).in_(chunk))
        ):
            found[row.case_result_id] = row
    return found
