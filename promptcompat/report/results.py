"""Reading a run's results piecewise: the report without its case list, pages of case results,
one case in full. What the API and the review pages show; the CLI prints ``report.py``'s
whole report instead.

The report and the case pages of a finished run never change (decisions are kept beside them,
not in them), so each is built once per process and reused.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import func, literal, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from promptcompat import store
from promptcompat.errors import ConflictError, NotFoundError
from promptcompat.report.model import FindingView, RunReport
from promptcompat.report.run_report import build_report, finding_view
from promptcompat.rules.catalog import REVIEWABLE
from promptcompat.store.paging import Page, decode_cursor, page_of
from promptcompat.store.reviews import decisions_for
from promptcompat.store.tables.core import TERMINAL_STATUSES, Call, CaseResult, FindingRecord, Run
from promptcompat.store.tables.review import ReviewDecision
from promptcompat.suite.turns import call_json, display, read_turn

T = TypeVar("T")

_LISTED = tuple(
    col(getattr(CaseResult, name))
    for name in (
        "id",
        "run_id",
        "comparison",
        "seq",
        "prompt",
        "direction",
        "case_id",
        "baseline_version",
        "baseline_target",
        "candidate_version",
        "candidate_target",
        "verdict",
    )
)
"""The columns a page of case results shows (not the diffs, not the keys)."""


class _Memo(Generic[T]):
    """A small LRU of values that never change once built, each built once however many
    threads ask for it at the same moment."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[tuple[Any, ...], T] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[Any, ...], threading.Lock] = {}

    def get(self, key: tuple[Any, ...], build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            try:
                value = build()
            except BaseException:
                with self._lock:
                    self._building.pop(key, None)
                raise
            with self._lock:
                self._values[key] = value
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
                self._building.pop(key, None)
        return value


_reports: _Memo[RunReport] = _Memo(8)
_pages: _Memo[Page[dict[str, Any]]] = _Memo(512)


def _finished_key(session: Session, run: Run) -> tuple[str, str, str] | None:
    """The cache key of a run whose results can no longer change, else None."""
    if run.status not in TERMINAL_STATUSES:
        return None
    return (str(session.get_bind().engine.url), run.id, run.status)


def run_report(*, session: Session, run_id: str) -> RunReport:
    """The run's report without its case list (``cases`` empty: pages of those come from
    :func:`case_page`); the API answers ``to_json(cases=False)``."""
    run = store.get_run(session=session, run_id=run_id)

    def build() -> RunReport:
        # Kept without its cases: a large run's would fill the memo.
        return build_report(session=session, run_id=run.id).model_copy(update={"cases": []})

    key = _finished_key(session, run)
    return build() if key is None else _reports.get(key, build)


def review_counts(
    *, session: Session, run_id: str, report: RunReport | None = None
) -> dict[str, int]:
    """How many of the run's CHANGED/BREAKING results are pending, accepted and rejected
    (``report``, the run's, saves counting the reviewable results again)."""
    if report is not None:
        reviewable = sum(
            c.verdicts.get("CHANGED", 0) + c.verdicts.get("BREAKING", 0)
            for c in report.comparisons
            if c.direction != "AA"
        )
    else:
        reviewable = session.exec(
            select(func.count())
            .select_from(CaseResult)
            .where(
                CaseResult.run_id == run_id,
                col(CaseResult.verdict).in_(REVIEWABLE),
                CaseResult.direction != "AA",
            )
        ).one()
    decided = dict(
        session.exec(
            select(ReviewDecision.decision, func.count())
            .where(ReviewDecision.run_id == run_id)
            .group_by(col(ReviewDecision.decision))
        ).all()
    )
    accepted, rejected = int(decided.get("accepted", 0)), int(decided.get("rejected", 0))
    return {
        "pending": max(reviewable - accepted - rejected, 0),
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
    ``review`` is ``pending``, ``accepted`` or ``rejected``.

    A finished run's pages are kept (their rows and findings never change); the review
    state of each case is read fresh every time.
    """
    run = store.get_run(session=session, run_id=run_id)
    filters = (verdict, rule, prompt, version, direction, review)

    def build() -> Page[dict[str, Any]]:
        return _stored_page(session, run.id, limit=limit, cursor=cursor, filters=filters)

    key = _finished_key(session, run)
    page = (
        _pages.get((*key, limit, cursor, filters), build)
        if key is not None and review is None
        else build()
    )
    decisions = decisions_for(session=session, ids=[r["id"] for r in page.items])
    items = []
    for row in page.items:
        decision = decisions.get(row["id"])
        pending = decision is None and row["verdict"] in REVIEWABLE and row["direction"] != "AA"
        items.append({**row, "pending": pending, "review": decision_view(decision)})
    return Page(items=items, next_cursor=page.next_cursor)


def _stored_page(
    session: Session,
    run_id: str,
    *,
    limit: int,
    cursor: str | None,
    filters: tuple[str | None, ...],
) -> Page[dict[str, Any]]:
    """A page of case results with their findings, without their review state."""
    verdict, rule, prompt, version, direction, review = filters
    # Plain rows of the listed columns: a page is read often, ORM objects would cost more.
    query = sa_select(*_LISTED).where(col(CaseResult.run_id) == run_id)
    if verdict is not None:
        query = query.where(col(CaseResult.verdict) == verdict)
    if prompt is not None:
        query = query.where(col(CaseResult.prompt) == prompt)
    if direction is not None:
        query = query.where(col(CaseResult.direction) == direction)
    if version is not None:
        query = query.where(
            (col(CaseResult.candidate_version) == version)
            | (col(CaseResult.baseline_version) == version)
        )
    if rule is not None:
        query = query.where(
            col(CaseResult.id).in_(
                select(FindingRecord.case_result_id).where(
                    FindingRecord.run_id == run_id, FindingRecord.rule == rule
                )
            )
        )
    decided = select(ReviewDecision.case_result_id).where(ReviewDecision.run_id == run_id)
    if review == "pending":
        query = query.where(
            col(CaseResult.verdict).in_(REVIEWABLE),
            col(CaseResult.direction) != "AA",
            ~col(CaseResult.id).in_(decided),
        )
    elif review in ("accepted", "rejected"):
        query = query.where(
            col(CaseResult.id).in_(decided.where(ReviewDecision.decision == review))
        )
    if cursor is not None:
        comparison, seq, last_id = decode_cursor("cases", cursor, arity=3)
        # A row-value comparison, so the database seeks in the (run, order) index.
        query = query.where(
            tuple_(col(CaseResult.comparison), col(CaseResult.seq), col(CaseResult.id))
            > tuple_(literal(int(comparison)), literal(int(seq)), literal(str(last_id)))
        )
    rows = session.execute(
        query.order_by(col(CaseResult.comparison), col(CaseResult.seq), col(CaseResult.id)).limit(
            limit + 1
        )
    ).all()
    page = page_of(rows, limit=limit, kind="cases", key=lambda r: [r.comparison, r.seq, r.id])
    findings = findings_by_result(session=session, run_id=run_id, ids=[r.id for r in page.items])
    items = [_case_row(r, findings.get(r.id, []), None) for r in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


def findings_by_result(
    *, session: Session, run_id: str, ids: Sequence[str]
) -> dict[str, list[FindingView]]:
    """The findings of these case results, as the report shows them."""
    out: dict[str, list[FindingView]] = {}
    if not ids:
        return out
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows = session.execute(
            sa_select(FindingRecord.__table__)  # type: ignore[attr-defined]
            # By result id only: with run_id too, SQLite would walk the whole run's findings.
            .where(col(FindingRecord.case_result_id).in_(chunk))
            .order_by(col(FindingRecord.id))
        )
        for record in rows:
            # A row reads like the record (same attribute names), without the ORM's cost.
            out.setdefault(record.case_result_id, []).append(finding_view(cast("Any", record)))
    return out


def _case_row(
    row: Any, findings: list[FindingView], decision: ReviewDecision | None
) -> dict[str, Any]:
    """``row``: a CaseResult, or a row of its ``_LISTED`` columns."""
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
        "findings": [f.model_dump() for f in findings],
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


@dataclass(frozen=True)
class CaseMatch:
    """One case result a case id names: the id that names it alone, and where it sits."""

    case_result_id: str
    prompt: str
    direction: str
    baseline_version: str
    baseline_target: str
    candidate_version: str
    candidate_target: str


class AmbiguousCaseError(ConflictError):
    """A case id that names several case results of a run (one per comparison it is in)."""

    def __init__(self, message: str, *, matches: Sequence[CaseMatch], where: str | None = None):
        super().__init__(message, where=where)
        self.matches = tuple(matches)


_RESULT_ID = re.compile(r"[0-9a-f]{32}")


def resolve_case(
    *,
    session: Session,
    run_id: str,
    case: str,
    prompt: str | None = None,
    version: str | None = None,
    target: str | None = None,
) -> str:
    """The id of the case result ``case`` names in a run.

    ``case`` is a case result id (from the case list), or a case id from the suite. A case id
    is in every comparison of its prompt, so ``prompt``, ``version`` and ``target`` (either
    side's, as in the case list) narrow it down to one.

    Raises:
        NotFoundError: nothing in the run matches.
        AmbiguousCaseError: several case results match; it lists them.
    """
    run = store.get_run(session=session, run_id=run_id)
    if _RESULT_ID.fullmatch(case):
        row = session.get(CaseResult, case)
        if row is not None and row.run_id == run.id:
            return row.id
    query = select(CaseResult).where(CaseResult.run_id == run.id, CaseResult.case_id == case)
    if prompt is not None:
        query = query.where(CaseResult.prompt == prompt)
    if version is not None:
        query = query.where(
            (col(CaseResult.baseline_version) == version)
            | (col(CaseResult.candidate_version) == version)
        )
    if target is not None:
        query = query.where(
            (col(CaseResult.baseline_target) == target)
            | (col(CaseResult.candidate_target) == target)
        )
    rows = session.exec(query.order_by(col(CaseResult.comparison))).all()
    narrowed = "".join(
        f", {name} {value!r}"
        for name, value in (("prompt", prompt), ("version", version), ("target", target))
        if value is not None
    )
    if not rows:
        raise NotFoundError(f"no case {case!r} in run {run.id}{narrowed}", where=case)
    if len(rows) > 1:
        raise AmbiguousCaseError(
            f"case {case!r} is in {len(rows)} comparisons of run {run.id}{narrowed}: "
            "name one by its case result id, or narrow it with prompt, version or target",
            matches=[
                CaseMatch(
                    r.id,
                    r.prompt,
                    r.direction,
                    r.baseline_version,
                    r.baseline_target,
                    r.candidate_version,
                    r.candidate_target,
                )
                for r in rows
            ],
            where=case,
        )
    return rows[0].id


def case_detail(*, session: Session, run_id: str, case_result_id: str) -> dict[str, Any]:
    """One case in full: both sides' rendered requests and every sample's output and
    metadata, the text and structural diffs, the findings and the review decision."""
    run = store.get_run(session=session, run_id=run_id)
    row = session.get(CaseResult, case_result_id)
    if row is None or row.run_id != run.id:
        raise NotFoundError(f"no case result {case_result_id!r} in run {run.id}")
    calls = store.load_calls(session=session, keys=[*row.baseline_keys, *row.candidate_keys])
    # The steps of agent loops (each a call of its own), for both trajectories.
    step_keys = sorted({k for c in list(calls.values()) for k in c.request.get("steps", ())})
    # A page's session is bound to a project: it links the loops, not their steps.
    steps = store.load_calls(session=session, keys=step_keys, loop_steps=True)
    calls.update(steps)
    texts = store.load_outputs(
        session=session, hashes=sorted({c.snapshot_hash for c in calls.values() if c.snapshot_hash})
    )
    texts.update(
        store.load_outputs(
            session=session,
            hashes=sorted({c.snapshot_hash for c in steps.values() if c.snapshot_hash}),
            loop_steps=True,
        )
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
    if any(s.get("steps") for s in (*baseline, *candidate)):
        detail["trajectory"] = {"first_divergence": _first_divergence(baseline, candidate)}
    return detail


def _first_divergence(
    baseline: Sequence[dict[str, Any]], candidate: Sequence[dict[str, Any]]
) -> int | None:
    """The first step (0-based) where the first samples' loops differ: another text, other
    tool calls or arguments (ids aside), or one loop ending first; None when they agree."""

    def signature(step: dict[str, Any]) -> Any:
        calls = [(c["name"], c["arguments"], c.get("raw_arguments")) for c in step["tool_calls"]]
        return step["status"], step["text"], step["refusal"], calls

    base = baseline[0].get("steps", []) if baseline else []
    cand = candidate[0].get("steps", []) if candidate else []
    for index in range(max(len(base), len(cand))):
        if index >= len(base) or index >= len(cand):
            return index
        if signature(base[index]) != signature(cand[index]):
            return index
    return None


def _request(keys: Sequence[str], calls: dict[str, Call]) -> dict[str, Any] | None:
    for key in keys:
        if key in calls:
            return calls[key].request
    return None


def _sample(
    index: int, key: str, calls: dict[str, Call], texts: dict[str, store.StoredOutput]
) -> dict[str, Any]:
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
    stored = texts.get(call.snapshot_hash) if call.snapshot_hash else None
    turn = read_turn(stored.text, stored.kind) if stored else None
    extra: dict[str, Any] = {}
    shown = display(stored.text, stored.kind) if stored else None
    if "steps" in call.request:
        # An agent loop: every step's turn, in order (a step not stored reads as missing).
        extra["steps"] = steps = [
            _step(step, calls.get(step), texts) for step in call.request["steps"]
        ]
        if len(steps) > 1 and shown is not None:
            # The whole trajectory, as the case's text diff shows it (compat.diff.shown).
            shown = "\n".join(
                f"[step {n}]\n{s['shown'] if s['shown'] is not None else '(' + s['status'] + ')'}"
                for n, s in enumerate(steps, start=1)
            )
    return {
        **extra,
        "index": index,
        "cache_key": key,
        "status": call.status,
        "text": turn.text if turn else None,
        "tool_calls": [call_json(c) for c in turn.tool_calls] if turn else [],
        "refusal": turn.refusal if turn else None,
        "shown": shown,
        "error": f"{call.error_reason}: {call.error_message}" if call.status != "ok" else None,
        "snapshot_hash": call.snapshot_hash,
        "served_model": call.served_model,
        "fingerprint": call.fingerprint,
        "finish_reason": call.finish_reason,
        "input_tokens": call.input_tokens,
        "output_tokens": call.output_tokens,
        "reasoning_tokens": call.reasoning_tokens,
        "latency_ms": call.latency_ms,
        "cost_usd": call.cost_usd,
    }


def _step(key: str, call: Call | None, texts: dict[str, store.StoredOutput]) -> dict[str, Any]:
    stored = texts.get(call.snapshot_hash) if call and call.snapshot_hash else None
    turn = read_turn(stored.text, stored.kind) if stored else None
    return {
        "cache_key": key,
        "status": call.status if call else "missing",
        "text": turn.text if turn else None,
        "tool_calls": [call_json(c) for c in turn.tool_calls] if turn else [],
        "refusal": turn.refusal if turn else None,
        "shown": display(stored.text, stored.kind) if stored else None,
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
