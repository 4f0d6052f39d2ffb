"""Project isolation: a session bound to a project reads only that project's rows.

Runs, API tokens, audit entries and accepted baselines carry a ``project`` column (migration
0006); what hangs off a run (case results, findings, review decisions, planned calls, shards,
run-call links) belongs to the run's project; calls and snapshots are shared by content (the
cache), and a project sees those its own runs used or its baselines hold.

:func:`bind` marks a session with a project; from then on every ORM query of that session
(``select``, ``session.get``, including column selects and subqueries) gets the project's
criteria added by one ``do_orm_execute`` hook, so no query can forget them. Rows of another
project simply do not exist for it: the API answers 404, never 403. ``tokens.authenticate``
binds the session of every authenticated request, for the JSON API and the review pages.
Sessions that are not bound (the CLI, workers, the replay engine) see everything.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from sqlalchemy import ColumnElement, Table, event, or_, select
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col

from promptcompat.errors import ConfigError
from promptcompat.store.tables.core import (
    Baseline,
    Call,
    CaseResult,
    FindingRecord,
    PlannedCallRecord,
    Run,
    RunCall,
    RunShard,
    Snapshot,
)
from promptcompat.store.tables.review import ApiToken, AuditEntry, ReviewDecision
from promptcompat.store.tables.watch import ReleaseRun

DEFAULT = "default"
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_KEY = "promptcompat.project"


def check_name(project: str) -> str:
    """``project`` if it is a valid project name, else a ConfigError."""
    if not NAME.fullmatch(project):
        raise ConfigError(f"invalid project name {project!r}: 1 to 64 of A-Z a-z 0-9 _ . -")
    return project


def bind(session: OrmSession, project: str) -> None:
    """Scope every later query of ``session`` to ``project``."""
    session.info[_KEY] = project


def project_of(session: OrmSession, default: str = DEFAULT) -> str:
    """The project ``session`` is bound to (``default`` when it is not bound)."""
    return str(session.info.get(_KEY, default))


def _table(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


@functools.lru_cache(maxsize=256)
def _options(project: str) -> tuple[Any, ...]:
    """Built once per project: building them (aliases and all) cost more than the query."""
    # The subqueries select from the plain tables: built on the ORM entities, each would get
    # the entity's criteria added a second time (``run.project = ? AND run.project = ?``).
    run, run_call, baseline, call = _table(Run), _table(RunCall), _table(Baseline), _table(Call)
    snapshot = _table(Snapshot)
    # ``correlate(None)``: the project's runs, whatever the enclosing query selects from.
    runs = select(run.c.id).where(run.c.project == project).correlate(None)
    # Shared calls and outputs are the project's if one of its runs used them or one of its
    # baselines holds them. Asked per row through an index (EXISTS), not as ``IN`` a list of
    # every key the project's runs used: that list was read in full for every query, 55 ms
    # for two calls in a store with five runs of 20,000 calls, growing with history.
    # Aliases: the enclosing query may select from the same tables (no accidental correlation).
    link = run_call.alias("project_link")
    other_call = call.alias("project_call")
    accepted = baseline.alias("project_baseline")

    def used(key: Any) -> Any:
        return (
            select(link.c.cache_key)
            .where(link.c.cache_key == key, link.c.run_id.in_(runs))
            .exists()
        )

    def holds(column: str, value: Any) -> Any:
        return (
            select(accepted.c.id)
            .where(accepted.c[column] == value, accepted.c.project == project)
            .exists()
        )

    output_used = (
        select(other_call.c.id)
        .where(other_call.c.snapshot_hash == snapshot.c.content_hash, used(other_call.c.cache_key))
        .exists()
        .correlate(snapshot)
    )
    mine = col(Baseline.project) == project
    by_run: list[tuple[type, ColumnElement[bool]]] = [
        (CaseResult, col(CaseResult.run_id).in_(runs)),
        (FindingRecord, col(FindingRecord.run_id).in_(runs)),
        (ReviewDecision, col(ReviewDecision.run_id).in_(runs)),
        (PlannedCallRecord, col(PlannedCallRecord.run_id).in_(runs)),
        (RunShard, col(RunShard.run_id).in_(runs)),
        (RunCall, col(RunCall.run_id).in_(runs)),
    ]
    return (
        with_loader_criteria(Run, col(Run.project) == project),
        with_loader_criteria(ApiToken, col(ApiToken.project) == project),
        with_loader_criteria(AuditEntry, col(AuditEntry.project) == project),
        *(with_loader_criteria(table, where) for table, where in by_run),
        # A project's baselines (and their outputs) outlive the runs that made them (gc).
        with_loader_criteria(
            Call,
            or_(
                used(call.c.cache_key).correlate(call),
                holds("cache_key", call.c.cache_key).correlate(call),
            ),
        ),
        with_loader_criteria(Baseline, mine),
        with_loader_criteria(
            Snapshot,
            or_(output_used, holds("snapshot_hash", snapshot.c.content_hash).correlate(snapshot)),
        ),
        # Release events are public facts; the runs started for them are the project's.
        with_loader_criteria(
            ReleaseRun, or_(col(ReleaseRun.run_id).is_(None), col(ReleaseRun.run_id).in_(runs))
        ),
    )


LOOP_STEPS = "promptcompat_loop_steps"
"""Execution option of the queries that read an agent loop's steps (and their outputs) by the
keys the loop's own call names. Steps are cached calls no run links (the run's call is the
loop), so the project's criteria would hide them; a project that sees the loop sees its
steps. Set only by ``store`` reads that take their keys from a loop the session read."""


@event.listens_for(OrmSession, "do_orm_execute")
def _scope(state: ORMExecuteState) -> None:
    project = state.session.info.get(_KEY)
    if project is None or state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get(LOOP_STEPS):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(*_options(str(project)))
