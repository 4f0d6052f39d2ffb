"""Release events and the replay runs they start: shared by the watcher, ``watch --once``,
the announce endpoint, alias drift and retirements.

An event is recorded with ``INSERT ... ON CONFLICT DO NOTHING`` on ``(kind, account,
model_id)``: whoever sees a release first, every later sighting or announcement finds it. Its
runs are started with an idempotency key per (event, pinned target), so two processes
planning the same event at once still make one run per affected prompt set. The caller
chooses how they execute by the run starter it passes (``promptcompat.runs.starters``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from promptcompat.config import Settings
from promptcompat.errors import PromptCompatError
from promptcompat.runs import RunRequest, RunStarter
from promptcompat.store import session_scope
from promptcompat.store.paging import Page, decode_cursor, page_of
from promptcompat.store.sql import upsert
from promptcompat.store.tables.core import utcnow
from promptcompat.store.tables.watch import ReleaseEvent, ReleaseRun
from promptcompat.suite import Suite
from promptcompat.suite.retirements import deprecation_for, load_deprecations
from promptcompat.watch.config import watched_prompts, with_model

log = logging.getLogger("promptcompat.watch.releases")


@dataclass(frozen=True)
class Group:
    """The prompts one run replays: they share a pinned target, hence baseline and candidate."""

    baseline: str
    candidate: str
    prompts: tuple[str, ...]


@dataclass
class Recorded:
    event_id: int
    created: bool
    """False: the event existed (another poll or announcement recorded it first)."""
    runs: list[str] = field(default_factory=list)


def record_event(
    *,
    session: Session,
    kind: str,
    account: str,
    model_id: str,
    source: str,
    detail: dict[str, Any] | None = None,
) -> tuple[int, bool]:
    """Record an event once; returns its id and whether this call created it."""
    statement = (
        upsert(session, ReleaseEvent)
        .values(
            kind=kind,
            account=account,
            model_id=model_id,
            source=source,
            created_at=utcnow(),
            detail=detail or {},
        )
        .on_conflict_do_nothing(index_elements=["kind", "account", "model_id"])
    )
    created = session.execute(statement).rowcount == 1  # type: ignore[attr-defined]
    event_id = session.exec(
        select(ReleaseEvent.id).where(
            ReleaseEvent.kind == kind,
            ReleaseEvent.account == account,
            ReleaseEvent.model_id == model_id,
        )
    ).one()
    assert event_id is not None
    return event_id, created


def groups_for(event: ReleaseEvent, suite: Suite, settings: Settings) -> list[Group]:
    """The affected prompt sets of an event, one per pinned target."""
    by_pinned: dict[tuple[str, str], list[str]] = {}
    watched = watched_prompts(suite, settings)
    if event.kind == "release":
        for w in watched:
            mine = w.account.name == event.account and w.target.model != event.model_id
            if mine and w.matches(event.model_id):
                candidate = with_model(w.pinned, event.model_id)
                by_pinned.setdefault((w.pinned, candidate), []).append(w.prompt)
    elif event.kind == "alias_drift":
        served = str(event.detail.get("served_model", ""))
        for w in watched:
            if w.target.label == event.account and served and served != w.target.model:
                by_pinned.setdefault((w.pinned, with_model(w.pinned, served)), []).append(w.prompt)
    elif event.kind == "deprecation":
        deps = load_deprecations(suite.root)
        for w in watched:
            dep = deprecation_for(w.target, deps)
            if dep is None or dep.successor.label != event.model_id:
                continue
            if dep.successor.provider == w.target.provider:
                candidate = with_model(w.pinned, dep.successor.model)
            else:
                candidate = event.model_id
            by_pinned.setdefault((w.pinned, candidate), []).append(w.prompt)
    return [Group(b, c, tuple(sorted(p))) for (b, c), p in sorted(by_pinned.items())]


def start_runs(
    *, engine: Engine, suite: Suite, settings: Settings, starter: RunStarter, event_id: int
) -> list[str]:
    """Start (or find) the event's runs and mark it planned; returns the run ids."""
    with session_scope(engine) as session:
        event = session.get(ReleaseEvent, event_id)
        if event is None:
            raise PromptCompatError(f"no release event {event_id}")
        groups = groups_for(event, suite, settings)
        kind = event.kind
    run_ids: list[str] = []
    for group in groups:
        with session_scope(engine) as session:
            session.execute(
                upsert(session, ReleaseRun)
                .values(
                    event_id=event_id,
                    baseline=group.baseline,
                    candidate=group.candidate,
                    prompts=list(group.prompts),
                )
                .on_conflict_do_nothing(index_elements=["event_id", "baseline"])
            )
        request = RunRequest(
            prompts=group.prompts,
            baseline=group.baseline,
            candidate=group.candidate,
            labels={"release_event": str(event_id), "release_kind": kind},
        )
        digest = hashlib.sha256(group.baseline.encode()).hexdigest()[:16]
        error: str | None = None
        run_id: str | None = None
        try:
            run_id = starter.start(
                suite=suite, request=request, idempotency_key=f"release-{event_id}-{digest}"
            ).run_id
            run_ids.append(run_id)
        except PromptCompatError as exc:
            error = f"{exc.message} ({exc.where})" if exc.where else exc.message
            log.warning("release event %s: no run for %s: %s", event_id, group.baseline, error)
        with session_scope(engine) as session:
            row = session.get(ReleaseRun, (event_id, group.baseline))
            if row is not None:
                row.run_id = run_id or row.run_id
                row.error = None if run_id else error
                session.add(row)
    with session_scope(engine) as session:
        event = session.get(ReleaseEvent, event_id)
        if event is not None and event.planned_at is None:
            event.planned_at = utcnow()
            session.add(event)
    return run_ids


def plan_pending(
    *, engine: Engine, suite: Suite, settings: Settings, starter: RunStarter
) -> dict[int, list[str]]:
    """Start the runs of every event not planned yet (a crash between recording and
    starting leaves one); returns event id → run ids."""
    with session_scope(engine) as session:
        pending = session.exec(
            select(ReleaseEvent.id)
            .where(col(ReleaseEvent.planned_at).is_(None))
            .order_by(col(ReleaseEvent.id))
        ).all()
    out: dict[int, list[str]] = {}
    for event_id in pending:
        assert event_id is not None
        out[event_id] = start_runs(
            engine=engine, suite=suite, settings=settings, starter=starter, event_id=event_id
        )
    return out


def announce(
    *,
    engine: Engine,
    suite: Suite,
    settings: Settings,
    starter: RunStarter,
    account: str,
    model_id: str,
    source: str,
) -> Recorded:
    """A release told to us (API, CLI, a release feed). It is the same event as the watcher's
    sighting of that model: whichever comes first starts the runs, the other finds them."""
    with session_scope(engine) as session:
        event_id, created = record_event(
            session=session, kind="release", account=account, model_id=model_id, source=source
        )
        planned = session.get(ReleaseEvent, event_id)
        done = planned is not None and planned.planned_at is not None
    if done:
        return Recorded(event_id, created, runs_of(engine=engine, event_id=event_id))
    runs = start_runs(
        engine=engine, suite=suite, settings=settings, starter=starter, event_id=event_id
    )
    return Recorded(event_id, created, runs)


def runs_of(*, engine: Engine, event_id: int) -> list[str]:
    with session_scope(engine) as session:
        rows = session.exec(select(ReleaseRun).where(ReleaseRun.event_id == event_id)).all()
    return [r.run_id for r in rows if r.run_id]


def events(*, session: Session, limit: int = 50, cursor: str | None = None) -> Page[ReleaseEvent]:
    """Release events newest first, a page at a time (``cursor``: the previous page's)."""
    query = select(ReleaseEvent)
    if cursor is not None:
        (last_id,) = decode_cursor("releases", cursor, arity=1)
        query = query.where(col(ReleaseEvent.id) < int(last_id))
    rows = session.exec(query.order_by(col(ReleaseEvent.id).desc()).limit(limit + 1)).all()
    return page_of(rows, limit=limit, kind="releases", key=lambda e: [e.id])
