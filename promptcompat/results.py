"""Reading a run's results piecewise: the report without its case list, pages of case results,
one case in full. What the API and the review pages show; the CLI prints ``report.py``'s
whole report instead.

The report of a finished run never changes (decisions are kept beside it, not in it), so it
is built once per process and reused: a 10,000-case run's summary then costs a lookup.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from promptcompat import store
from promptcompat.errors import NotFoundError
from promptcompat.models import TERMINAL_STATUSES, Call, CaseResult, FindingRecord, Run
from promptcompat.models_review import ReviewDecision
from promptcompat.paging import Page, decode_cursor, page_of
from promptcompat.report import build_report, finding_view
from promptcompat.review import REVIEWABLE, decisions_for

_CACHE_SIZE = 8
_cache: OrderedDict[tuple[str, str, str], dict[str, Any]] = OrderedDict()
_cache_lock = threading.Lock()
_build_locks: dict[tuple[str, str, str], threading.Lock] = {}


def run_report(*, session: Session, run_id: str) -> dict[str, Any]:
    """The run's report without ``cases`` (pages of those come from :func:`case_page`)."""
    run = store.get_run(session=session, run_id=run_id)
    if run.status not in TERMINAL_STATUSES:
        return _without_cases(build_report(session=session, run_id=run.id))
    key = (str(session.get_bind().engine.url), run.id, run.status)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
        lock = _build_locks.setdefault(key, threading.Lock())
    with lock:  # one build per run, however many clients ask at once
        with _cache_lock:
            cached = _cache.get(key)
        if cached is None:
            cached = _without_cases(build_report(session=session, run_id=run.id))
            with _cache_lock:
                _cache[key] = cached
                while len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
                _build_locks.pop(key, None)
    return cached


def _without_cases(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "cases"}


def review_counts(*, session: Session, run_id: str) -> dict[str, int]:
    """How many of the run's CHANGED/BREAKING results are pending, accepted and rejected."""
    reviewable = session.exec(
        select(CaseResult.id).where(
            CaseResult.run_id == run_id,
            col(CaseResult.verdict).in_(REVIEWABLE),
            CaseResult.direction != "AA",
        )
    ).all()
    decided = session.exec(
        select(ReviewDecision.decision).where(ReviewDecision.run_id == run_id)
    ).all()
    accepted = sum(1 for d in decided if d == "accepted")
    rejected = len(decided) - accepted
    return {
        "pending": max(len(reviewable) - len(decided), 0),
        "accepted": accepted,
        "rejected": rejected,
    }


def case_page(
    *,
    session: Session,
    run_id: str,
    limit: int,
    cursor: str | None = None,
    verdict: str | None = None,
    rule: str | None = None,
    prompt: str | None = None,
    version: str | None = None,
    direction: str | None = None,
    review: str | None = None,
) -> Page[dict[str, Any]]:
    """Case results in report order, filtered; ``version`` matches either side's version and
    ``review`` is ``pending``, ``accepted`` or ``rejected``."""
    run = store.get_run(session=session, run_id=run_id)
    query = (
        select(CaseResult)
        .options(defer(CaseResult.text_diff), defer(CaseResult.structural_diff))  # type: ignore[arg-type]
        .where(CaseResult.run_id == run.id)
    )
    if verdict is not None:
        query = query.where(CaseResult.verdict == verdict)
    if prompt is not None:
        query = query.where(CaseResult.prompt == prompt)
    if direction is not None:
        query = query.where(CaseResult.direction == direction)
    if version is not None:
        query = query.where(
            (col(CaseResult.candidate_version) == version)
            | (col(CaseResult.baseline_version) == version)
        )
    if rule is not None:
        query = query.where(
            col(CaseResult.id).in_(
                select(FindingRecord.case_result_id).where(
                    FindingRecord.run_id == run.id, FindingRecord.rule == rule
                )
            )
        )
    decided = select(ReviewDecision.case_result_id).where(ReviewDecision.run_id == run.id)
    if review == "pending":
        query = query.where(
            col(CaseResult.verdict).in_(REVIEWABLE),
            CaseResult.direction != "AA",
            ~col(CaseResult.id).in_(decided),
        )
    elif review in ("accepted", "rejected"):
        query = query.where(
            col(CaseResult.id).in_(decided.where(ReviewDecision.decision == review))
        )
    if cursor is not None:
        comparison, seq, last_id = decode_cursor("cases", cursor, arity=3)
        query = query.where(
            (col(CaseResult.comparison) > comparison)
            | ((col(CaseResult.comparison) == comparison) & (col(CaseResult.seq) > seq))
            | (
                (col(CaseResult.comparison) == comparison)
                & (col(CaseResult.seq) == seq)
                & (col(CaseResult.id) > str(last_id))
            )
        )
    rows = session.exec(
        query.order_by(col(CaseResult.comparison), col(CaseResult.seq), col(CaseResult.id)).limit(
            limit + 1
        )
    ).all()
    page = page_of(rows, limit=limit, kind="cases", key=lambda r: [r.comparison, r.seq, r.id])
    ids = [r.id for r in page.items]
    findings = findings_by_result(session=session, run_id=run.id, ids=ids)
    decisions = decisions_for(session=session, ids=ids)
    items = [_case_row(r, findings.get(r.id, []), decisions.get(r.id)) for r in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


def findings_by_result(
    *, session: Session, run_id: str, ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """The findings of these case results, as the report shows them."""
    out: dict[str, list[dict[str, Any]]] = {}
    if not ids:
        return out
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for record in session.exec(
            select(FindingRecord)
            .where(FindingRecord.run_id == run_id, col(FindingRecord.case_result_id).in_(chunk))
            .order_by(col(FindingRecord.id))
        ):
            out.setdefault(record.case_result_id, []).append(finding_view(record))
    return out


def _case_row(
    row: CaseResult, findings: list[dict[str, Any]], decision: ReviewDecision | None
) -> dict[str, Any]:
    return {
        "id": row.id,
        "run_id": row.run_id,
        "comparison": row.comparison,
        "prompt": row.prompt,
        "direction": row.direction,
        "case_id": row.case_id,
        "baseline": {"version": row.baseline_version, "target": row.baseline_target},
        "candidate": {"version": row.candidate_version, "target": row.candidate_target},
        "verdict": row.verdict,
        "pending": decision is None and row.verdict in REVIEWABLE and row.direction != "AA",
        "review": decision_view(decision),
        "findings": findings,
    }


def decision_view(decision: ReviewDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "decision": decision.decision,
        "reviewer": decision.reviewer,
        "reason": decision.reason,
        "decided_at": decision.decided_at,
    }


def case_detail(*, session: Session, run_id: str, case_result_id: str) -> dict[str, Any]:
    """One case in full: both sides' rendered requests and every sample's output and
    metadata, the text and structural diffs, the findings and the review decision."""
    run = store.get_run(session=session, run_id=run_id)
    row = session.get(CaseResult, case_result_id)
    if row is None or row.run_id != run.id:
        raise NotFoundError(f"no case result {case_result_id!r} in run {run.id}")
    calls = store.load_calls(session=session, keys=[*row.baseline_keys, *row.candidate_keys])
    texts = store.load_texts(
        session=session, hashes=sorted({c.snapshot_hash for c in calls.values() if c.snapshot_hash})
    )
    findings = findings_by_result(session=session, run_id=run.id, ids=[row.id])
    decision = decisions_for(session=session, ids=[row.id]).get(row.id)
    detail = _case_row(row, findings.get(row.id, []), decision)
    baseline = [_sample(i, key, calls, texts) for i, key in enumerate(row.baseline_keys)]
    candidate = [_sample(i, key, calls, texts) for i, key in enumerate(row.candidate_keys)]
    detail.update(
        {
            "request": {
                "baseline": _request(row.baseline_keys, calls),
                "candidate": _request(row.candidate_keys, calls),
            },
            "samples": {"baseline": baseline, "candidate": candidate},
            "text_diff": row.text_diff,
            "structural_diff": row.structural_diff,
        }
    )
    return detail


def _request(keys: Sequence[str], calls: dict[str, Call]) -> dict[str, Any] | None:
    for key in keys:
        if key in calls:
            return calls[key].request
    return None


def _sample(index: int, key: str, calls: dict[str, Call], texts: dict[str, str]) -> dict[str, Any]:
    call = calls.get(key)
    if call is None:
        return {
            "index": index,
            "cache_key": key,
            "status": "error",
            "text": None,
            "error": "no call was made (the case could not be rendered)"
            if key.startswith("render-error:")
            else "no result was recorded for this call",
        }
    return {
        "index": index,
        "cache_key": key,
        "status": call.status,
        "text": texts.get(call.snapshot_hash) if call.snapshot_hash else None,
        "error": f"{call.error_reason}: {call.error_message}" if call.status != "ok" else None,
        "snapshot_hash": call.snapshot_hash,
        "served_model": call.served_model,
        "fingerprint": call.fingerprint,
        "finish_reason": call.finish_reason,
        "input_tokens": call.input_tokens,
        "output_tokens": call.output_tokens,
        "latency_ms": call.latency_ms,
        "cost_usd": call.cost_usd,
    }


def list_runs(
    *,
    session: Session,
    limit: int,
    cursor: str | None = None,
    status: str | None = None,
) -> Page[Run]:
    """Runs, newest first, optionally only those with ``status``."""
    query = select(Run)
    if status is not None:
        query = query.where(Run.status == status)
    if cursor is not None:
        (last_id,) = decode_cursor("runs", cursor, arity=1)
        # The last row's own timestamp is read back: no datetime parsing of client input.
        before = select(Run.created_at).where(Run.id == str(last_id)).scalar_subquery()
        query = query.where(
            (col(Run.created_at) < before)
            | ((col(Run.created_at) == before) & (col(Run.id) < str(last_id)))
        )
    rows = session.exec(
        query.order_by(col(Run.created_at).desc(), col(Run.id).desc()).limit(limit + 1)
    ).all()
    return page_of(rows, limit=limit, kind="runs", key=lambda r: [r.id])
