"""A reviewer's "this verdict is wrong": marks on case results, and the labelled pairs they
become (``promptcompat labels export``, read by ``promptcompat judge calibrate``).

One core for the three faces (review page, API, CLI). A mark keeps the two texts the verdict
was about; its label is ``equivalent`` when the right verdict is COMPATIBLE, else
``different``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from sqlmodel import Session

from promptcompat import store
from promptcompat.errors import ConflictError
from promptcompat.snapshots.decisions import get_result
from promptcompat.store import judging
from promptcompat.store.judging import Label, LabelledPair
from promptcompat.store.tables.core import CaseResult
from promptcompat.store.tables.judging import VerdictMark

RightVerdict = Literal["COMPATIBLE", "CHANGED", "BREAKING"]
RIGHT_VERDICTS: tuple[str, ...] = get_args(RightVerdict)


def label_of(right_verdict: str) -> Label:
    return "equivalent" if right_verdict == "COMPATIBLE" else "different"


def mark_wrong(
    *,
    session: Session,
    case_result_id: str,
    right_verdict: RightVerdict,
    reviewer: str,
    reason: str = "",
    run_id: str | None = None,
) -> VerdictMark:
    """Mark the case's verdict wrong, with the right one (audited as ``case.mark``).

    Raises:
        NotFoundError: no such case result (in ``run_id``).
        ConflictError: the run's verdict already is ``right_verdict``, or the case has no
            answered baseline and candidate (an ERROR case: nothing to label).
    """
    result = get_result(session=session, case_result_id=case_result_id, run_id=run_id)
    if result.verdict == right_verdict:
        raise ConflictError(
            f"the verdict of {result.prompt}/{result.case_id} already is {right_verdict}",
            where=result.id,
        )
    baseline, candidate = pair_texts(session=session, result=result)
    if baseline is None or candidate is None:
        raise ConflictError(
            f"{result.prompt}/{result.case_id} has no answered baseline and candidate to label",
            where=result.id,
        )
    return judging.mark_verdict(
        session=session,
        result=result,
        right_verdict=right_verdict,
        reviewer=reviewer,
        reason=reason,
        baseline=baseline,
        candidate=candidate,
    )


def pair_texts(*, session: Session, result: CaseResult) -> tuple[str | None, str | None]:
    """The first baseline text and the first candidate text that differs from it (else the
    first candidate text): the pair a verdict is about."""
    keys = [*result.baseline_keys, *result.candidate_keys]
    rows = store.result_rows(session=session, keys=keys)
    texts = store.load_texts(
        session=session, hashes=sorted({r.snapshot_hash for r in rows.values() if r.snapshot_hash})
    )

    def text(key: str) -> str | None:
        row = rows.get(key)
        return texts.get(row.snapshot_hash) if row and row.snapshot_hash else None

    base = [t for t in map(text, result.baseline_keys) if t is not None]
    cand = [t for t in map(text, result.candidate_keys) if t is not None]
    if not base or not cand:
        return (base[0] if base else None), None
    differing = [t for t in cand if t not in base]
    return base[0], (differing or cand)[0]


def export_labels(
    *, session: Session, prompt: str | None = None, descriptions: dict[str, str] | None = None
) -> list[LabelledPair]:
    """The project's marks as labelled pairs, oldest first (``descriptions``: prompt name to
    its description, from the suite, when known)."""
    return [
        as_pair(mark, (descriptions or {}).get(mark.prompt, ""))
        for mark in judging.verdict_marks(session=session, prompt=prompt)
    ]


def as_pair(mark: VerdictMark, description: str = "") -> LabelledPair:
    why = mark.reason or f"reviewer {mark.reviewer}: {mark.verdict} should be {mark.right_verdict}"
    return LabelledPair(
        baseline=mark.baseline,
        candidate=mark.candidate,
        label=label_of(mark.right_verdict),
        reason=why,
        description=description,
        source=f"run {mark.run_id} {mark.prompt}/{mark.case_id}",
    )


def marks_of_run(*, session: Session, run_id: str) -> Sequence[VerdictMark]:
    return judging.verdict_marks(session=session, run_id=run_id)


def mark_of(*, session: Session, case_result_id: str) -> VerdictMark | None:
    """The current mark on a case result, if a reviewer made one."""
    return judging.mark_of(session=session, case_result_id=case_result_id)
