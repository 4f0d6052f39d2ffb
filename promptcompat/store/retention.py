"""Retention and purge: stored outputs are kept only as long as they are needed.

``collect`` (``promptcompat gc``, and a beat task) deletes, per project, the finished runs older
than the project's retention (``retention_days``, ``retention_days_by_project``) with their
results and plans, then every call no remaining run uses and no accepted baseline is, then
every snapshot no remaining call or baseline points to. Accepted baselines (their calls and
snapshots) and the audit log always stay. Before that it ends the runs whose process is gone
(``store_runs.recover_orphans``) and erases the rendered requests (with the personal data the
stored calls have redacted) of every run that is not live, whatever its age.

``purge`` deletes everything stored of one prompt, or of one case of it, on request:
calls, snapshots, baselines, case results and findings, planned calls; audit entries stay
(they hold ids and reasons, not outputs). Both take ``now``/``dry_run`` so tests and operators
can see what would go.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, String, and_, cast, delete, false, func, or_, select
from sqlmodel import Session, col

from promptcompat.errors import NotFoundError
from promptcompat.store import runs as store_runs
from promptcompat.store.sql import chunks
from promptcompat.store.tables.core import (
    TERMINAL_STATUSES,
    Baseline,
    Call,
    CaseResult,
    FindingRecord,
    PlannedCallRecord,
    PromptVersionRecord,
    Run,
    RunCall,
    RunShard,
    Snapshot,
)


@dataclass
class Removed:
    """What a gc or purge deleted (or, with ``dry_run``, would delete)."""

    dry_run: bool
    runs: list[str] = field(default_factory=list)
    calls: int = 0
    snapshots: int = 0
    baselines: int = 0
    case_results: int = 0
    rendered_prompts: int = 0
    """Planned calls of runs no longer live whose rendered requests were erased."""
    orphans: list[str] = field(default_factory=list)
    """Runs whose process was gone, ended ``failed`` (not with ``dry_run``)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "runs": len(self.runs),
            "calls": self.calls,
            "snapshots": self.snapshots,
            "baselines": self.baselines,
            "case_results": self.case_results,
            "rendered_prompts": self.rendered_prompts,
            "orphans": len(self.orphans),
        }


def retention_days(project: str, *, default: int, by_project: Mapping[str, int]) -> int:
    return by_project.get(project, default)


def collect(
    *,
    session: Session,
    now: datetime | None = None,
    default_days: int,
    by_project: Mapping[str, int] | None = None,
    project: str | None = None,
    dry_run: bool = False,
) -> Removed:
    """Apply retention (all projects, or only ``project``); 0 days keeps a project's runs."""
    now = now or datetime.now(UTC)
    by_project = by_project or {}
    orphans = [] if dry_run else store_runs.recover_orphans(session=session)
    rendered = store_runs.scrub_finished_plans(session=session, dry_run=dry_run)
    projects = (
        [project]
        if project is not None
        else list(session.execute(select(col(Run.project)).distinct()).scalars())
    )
    expired: list[ColumnElement[bool]] = []
    for name in projects:
        days = retention_days(name, default=default_days, by_project=by_project)
        if days > 0:
            cutoff = now - timedelta(days=days)
            expired.append(and_(col(Run.project) == name, col(Run.created_at) < cutoff))
    condition = and_(or_(false(), *expired), col(Run.status).in_(TERMINAL_STATUSES))
    runs = list(session.execute(select(col(Run.id)).where(condition)).scalars())
    removed = Removed(
        dry_run=dry_run,
        runs=[str(r) for r in runs],
        rendered_prompts=rendered,
        orphans=[o.run_id for o in orphans],
    )
    removed.case_results = _count(session, CaseResult, col(CaseResult.run_id).in_(removed.runs))
    if not dry_run:
        _delete_runs(session, removed.runs)
    _collect_orphans(session, removed, doomed_runs=removed.runs if dry_run else [])
    return removed


def purge(
    *, session: Session, prompt: str, case_id: str | None = None, dry_run: bool = False
) -> Removed:
    """Delete everything stored of ``prompt`` (or of its case ``case_id``).

    Raises:
        NotFoundError: Nothing of that prompt (or case) is stored.
    """
    removed = Removed(dry_run=dry_run)

    def of(
        table: type[Call] | type[Baseline] | type[CaseResult] | type[PlannedCallRecord],
    ) -> ColumnElement[bool]:
        where = col(table.prompt) == prompt
        return where if case_id is None else and_(where, col(table.case_id) == case_id)

    keys = [str(k) for k in session.execute(select(col(Call.cache_key)).where(of(Call))).scalars()]
    removed.calls = len(keys)
    removed.baselines = _count(session, Baseline, of(Baseline))
    removed.case_results = _count(session, CaseResult, of(CaseResult))
    planned = _count(session, PlannedCallRecord, of(PlannedCallRecord))
    versions = 0
    if case_id is None:
        versions = _count(session, PromptVersionRecord, col(PromptVersionRecord.prompt) == prompt)
    if not (removed.calls or removed.baselines or removed.case_results or planned or versions):
        what = f"case {case_id!r} of prompt {prompt!r}" if case_id else f"prompt {prompt!r}"
        raise NotFoundError(f"nothing is stored of {what}")
    hashes = {
        str(h)
        for h in session.execute(
            select(col(Call.snapshot_hash)).where(of(Call), col(Call.snapshot_hash).is_not(None))
        ).scalars()
    }
    base = select(col(Baseline.snapshot_hash)).where(of(Baseline))
    hashes |= {str(h) for h in session.execute(base).scalars()}
    if dry_run:
        removed.snapshots = len(hashes)
        return removed
    found = session.execute(select(col(CaseResult.id)).where(of(CaseResult))).scalars()
    results = [str(r) for r in found]
    for part in chunks(results):
        session.execute(delete(FindingRecord).where(col(FindingRecord.case_result_id).in_(part)))
    session.execute(delete(CaseResult).where(of(CaseResult)))
    session.execute(delete(Baseline).where(of(Baseline)))
    session.execute(delete(PlannedCallRecord).where(of(PlannedCallRecord)))
    for part in chunks(keys):
        session.execute(delete(RunCall).where(col(RunCall.cache_key).in_(part)))
    session.execute(delete(Call).where(of(Call)))
    if case_id is None:
        session.execute(
            delete(PromptVersionRecord).where(col(PromptVersionRecord.prompt) == prompt)
        )
    # A snapshot another prompt's call produced too (same text) stays.
    for part in chunks(sorted(hashes)):
        gone = [h for h in part if not _snapshot_used(session, h)]
        if gone:
            session.execute(delete(Snapshot).where(col(Snapshot.content_hash).in_(gone)))
            removed.snapshots += len(gone)
    return removed


def _snapshot_used(session: Session, content_hash: str) -> bool:
    by_call = _count(session, Call, col(Call.snapshot_hash) == content_hash)
    return bool(by_call or _count(session, Baseline, col(Baseline.snapshot_hash) == content_hash))


def _count(session: Session, table: type, where: ColumnElement[bool]) -> int:
    return int(session.execute(select(func.count()).select_from(table).where(where)).scalar_one())


def _delete_runs(session: Session, run_ids: Sequence[str]) -> None:
    for part in chunks(list(run_ids)):
        session.execute(delete(FindingRecord).where(col(FindingRecord.run_id).in_(part)))
        session.execute(delete(CaseResult).where(col(CaseResult.run_id).in_(part)))
        for table in (RunCall, PlannedCallRecord, RunShard):
            session.execute(delete(table).where(col(table.run_id).in_(part)))
        session.execute(delete(Run).where(col(Run.id).in_(part)))


def _steps_of(session: Session, *, kept: ColumnElement[bool]) -> set[str]:
    """The step keys the agent loops among the ``kept`` calls name (``request.steps``)."""
    loops = select(col(Call.request)).where(kept, cast(col(Call.request), String).like('%"steps"%'))
    found: set[str] = set()
    for (request,) in session.execute(loops):
        steps = request.get("steps") if isinstance(request, dict) else None
        if isinstance(steps, list):
            found.update(str(k) for k in steps)
    return found


def _collect_orphans(session: Session, removed: Removed, *, doomed_runs: Sequence[str]) -> None:
    """Calls no (surviving) run links and no baseline is; then unreferenced snapshots.

    ``doomed_runs`` (dry run only) are runs still present that would be gone.
    """
    links = select(col(RunCall.cache_key))
    if doomed_runs:
        links = links.where(col(RunCall.run_id).not_in(list(doomed_runs)))
    orphan = and_(
        col(Call.cache_key).not_in(links),
        col(Call.cache_key).not_in(select(col(Baseline.cache_key))),
    )
    # An agent loop's steps are calls no run links (a run links the loop, whose request names
    # its steps): they stay while their loop does, or a kept run loses its trajectories and a
    # rerun calls the steps again.
    steps = _steps_of(session, kept=~orphan)
    if steps:
        orphan = and_(orphan, col(Call.cache_key).not_in(sorted(steps)))
    removed.calls = _count(session, Call, orphan)
    kept_calls = select(col(Call.snapshot_hash)).where(
        col(Call.snapshot_hash).is_not(None), ~orphan
    )
    unused = and_(
        col(Snapshot.content_hash).not_in(kept_calls),
        col(Snapshot.content_hash).not_in(select(col(Baseline.snapshot_hash))),
    )
    if doomed_runs or removed.dry_run:
        removed.snapshots = _count(session, Snapshot, unused)
        return
    session.execute(delete(Call).where(orphan))
    removed.snapshots = _count(session, Snapshot, unused)
    session.execute(delete(Snapshot).where(unused))
