"""Helpers for the worker tests: submitting, waiting, and the invariants every run must keep."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import col, select

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.report import build_report
from promptcompat.runs import QueueStarter, RunRequest
from promptcompat.runs.dispatch import Publisher
from promptcompat.store.tables.core import (
    TERMINAL_STATUSES,
    Call,
    CallClaim,
    CaseResult,
    PlannedCallRecord,
    Run,
    RunCall,
)
from promptcompat.suite import load_suite


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str) -> None:
    """Poll ``predicate`` until it is truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def submit(
    engine: Engine, settings: Settings, publisher: Publisher, request: RunRequest | None = None
) -> str:
    submission = QueueStarter(engine, settings, publisher).start(
        suite=load_suite(settings.prompts_dir), request=request or RunRequest()
    )
    assert submission.created
    return submission.run_id


def run_row(engine: Engine, run_id: str) -> Run:
    with store.session_scope(engine) as session:
        return store.get_run(session=session, run_id=run_id)


def wait_finished(engine: Engine, run_id: str, *, timeout: float = 60.0) -> Run:
    try:
        wait_until(
            lambda: run_row(engine, run_id).status in TERMINAL_STATUSES,
            timeout=timeout,
            what=f"run {run_id} to finish",
        )
    except AssertionError as exc:
        # Where it stopped says which part to look at: calls not done (a lost shard) or all
        # done and not finalized (the completion).
        row = run_row(engine, run_id)
        raise AssertionError(
            f"{exc}: the run is {row.status!r}, {row.done_calls} of {row.total_calls} calls done"
        ) from None
    return run_row(engine, run_id)


def wait_progress(engine: Engine, run_id: str, *, at_least: int, timeout: float = 30.0) -> None:
    """Until the run has some results (and is not finished): the moment to strike."""
    wait_until(
        lambda: run_row(engine, run_id).done_calls >= at_least,
        timeout=timeout,
        what=f"{at_least} results in run {run_id}",
    )


def report_of(engine: Engine, run_id: str) -> dict[str, Any]:
    with store.session_scope(engine) as session:
        return build_report(session=session, run_id=run_id).to_json()


MEASURED = {"budget.latency"}
"""Findings about wall-clock latency differ between any two runs of the same calls."""


def verdicts(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every case verdict with its findings: what "the same report" means."""
    return sorted(
        (
            c["prompt"],
            c["direction"],
            c["comparison"],
            c["case_id"],
            c["verdict"],
            tuple(
                sorted(
                    (f["rule"], f["message"]) for f in c["findings"] if f["rule"] not in MEASURED
                )
            ),
        )
        for c in report["cases"]
    )


def call_results(engine: Engine) -> dict[str, tuple[Any, ...]]:
    """Per cache key: what the call answered (status, output hash, served model)."""
    with store.session_scope(engine) as session:
        rows = session.exec(select(Call)).all()
    return {r.cache_key: (r.status, r.snapshot_hash, r.served_model, r.error_reason) for r in rows}


def check_invariants(engine: Engine, run_id: str) -> dict[str, int]:
    """RELIABILITY.md section 7 (a)(b): every planned call has exactly one result, linked
    once; the run's counters equal the row counts; nothing is left leased; one verdict per
    case and comparison. Returns the counts.

    A copy of a shard may still be releasing its leases when the run is finished (its result
    and its release are two transactions): "nothing left leased" is waited for, with a
    deadline, before it is asserted."""

    def leased() -> int:
        with store.session_scope(engine) as session:
            keys = session.exec(
                select(PlannedCallRecord.cache_key).where(PlannedCallRecord.run_id == run_id)
            ).all()
            return session.exec(
                select(func.count())
                .select_from(CallClaim)
                .where(col(CallClaim.cache_key).in_(sorted(set(keys))))
            ).one()

    wait_until(lambda: leased() == 0, timeout=30, what="the leases released (none left behind)")
    with store.session_scope(engine) as session:
        run = store.get_run(session=session, run_id=run_id)
        planned = session.exec(
            select(PlannedCallRecord).where(PlannedCallRecord.run_id == run_id)
        ).all()
        keys = {p.cache_key for p in planned if p.render_error is None}
        links = session.exec(select(RunCall).where(RunCall.run_id == run_id)).all()
        per_key = Counter(
            session.exec(select(Call.cache_key).where(col(Call.cache_key).in_(sorted(keys)))).all()
        )
        claims = session.exec(
            select(func.count())
            .select_from(CallClaim)
            .where(col(CallClaim.cache_key).in_(sorted(keys)))
        ).one()
        results = session.exec(select(CaseResult).where(CaseResult.run_id == run_id)).all()
        errors = session.exec(
            select(func.count())
            .select_from(RunCall)
            .join(Call, col(Call.cache_key) == col(RunCall.cache_key))
            .where(RunCall.run_id == run_id, Call.status == "error")
        ).one()
    unrenderable = sum(1 for p in planned if p.render_error is not None)
    assert run.status in TERMINAL_STATUSES and run.status != "failed", (run.status, run.error)
    assert set(per_key) == keys and set(per_key.values()) <= {1}, "one result per key"
    assert sorted(link.cache_key for link in links) == sorted(keys), "each key linked once"
    assert run.total_calls == len(keys) + unrenderable
    assert run.done_calls == len(links) + unrenderable == run.total_calls
    assert run.cached_calls == sum(1 for link in links if link.cached)
    assert run.error_calls == errors
    assert claims == 0, "no lease left behind"
    idents = Counter((r.comparison, r.case_id) for r in results)
    assert idents and set(idents.values()) == {1}, "one verdict per case and comparison"
    return {"keys": len(keys), "provider_requests": run.provider_calls, "errors": errors}


def log_count(logs: list[str], needle: str) -> int:
    return sum(log.count(needle) for log in logs)


def elapsed(since: float) -> float:
    return time.monotonic() - since
