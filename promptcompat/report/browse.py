"""What the store and the suite know, for browsing: snapshots, baselines, prompts, targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from promptcompat.errors import ConfigError, NotFoundError
from promptcompat.store.paging import Page, decode_cursor, page_of
from promptcompat.store.tables.core import Baseline, Call, PromptVersionRecord, Snapshot
from promptcompat.suite import Prompt, Suite
from promptcompat.suite.targets import parse_target

_Row = TypeVar("_Row")


def list_snapshots(
    *,
    session: Session,
    limit: int,
    cursor: str | None = None,
    prompt: str | None = None,
    version: str | None = None,
    target: str | None = None,
    case_id: str | None = None,
    status: str | None = None,
) -> Page[Call]:
    """Recorded calls (a snapshot is a call's output with its metadata), newest first."""
    query = _equal(
        select(Call),
        (Call.prompt, prompt),
        (Call.version, version),
        (Call.target, target),
        (Call.case_id, case_id),
        (Call.status, status),
    )
    if cursor is not None:
        (last_id,) = decode_cursor("snapshots", cursor, arity=1)
        query = query.where(col(Call.id) < int(last_id))
    rows = session.exec(query.order_by(col(Call.id).desc()).limit(limit + 1)).all()
    return page_of(rows, limit=limit, kind="snapshots", key=lambda c: [c.id])


def _equal(query: SelectOfScalar[_Row], *filters: tuple[Any, str | None]) -> SelectOfScalar[_Row]:
    """``query`` narrowed to rows whose column equals each filter's value that is set."""
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    return query


def get_snapshot(*, session: Session, key: str) -> tuple[Call, Snapshot | None]:
    """A recorded call by its cache key, with its output (None for a failed call)."""
    call = session.exec(select(Call).where(Call.cache_key == key)).first()
    if call is None:
        raise NotFoundError(f"no snapshot with key {key!r}")
    snapshot = session.get(Snapshot, call.snapshot_hash) if call.snapshot_hash else None
    return call, snapshot


def list_baselines(
    *,
    session: Session,
    limit: int,
    cursor: str | None = None,
    prompt: str | None = None,
    version: str | None = None,
    target: str | None = None,
    case_id: str | None = None,
) -> Page[Baseline]:
    """Accepted baselines (what works), in (prompt, version, target, case, sample) order."""
    query = _equal(
        select(Baseline),
        (Baseline.prompt, prompt),
        (Baseline.version, version),
        (Baseline.target, target),
        (Baseline.case_id, case_id),
    )
    if cursor is not None:
        (last_id,) = decode_cursor("baselines", cursor, arity=1)
        query = query.where(col(Baseline.id) > int(last_id))
    rows = session.exec(query.order_by(col(Baseline.id)).limit(limit + 1)).all()
    return page_of(rows, limit=limit, kind="baselines", key=lambda b: [b.id])


def prompt_view(prompt: Prompt, records: Sequence[PromptVersionRecord]) -> dict[str, Any]:
    """A prompt as the suite declares it, with the versions the store has replayed."""
    seen = {(r.version, r.content_hash) for r in records}
    return {
        "name": prompt.name,
        "description": prompt.description,
        "mode": prompt.mode,
        "deployed": prompt.deployed,
        "pinned": prompt.pinned,
        "candidates": list(prompt.candidates),
        "cases": len(prompt.cases),
        "versions": [
            {
                "version": v.version,
                "content_hash": v.content_hash,
                "variables": list(v.variables),
                "released": name not in prompt.unlocked,
                "replayed": (name, v.content_hash) in seen,
            }
            for name, v in prompt.versions.items()
        ],
    }


def list_prompts(*, session: Session, suite: Suite) -> list[dict[str, Any]]:
    """Every prompt of the suite, with which versions the store has replayed."""
    records = session.exec(select(PromptVersionRecord)).all()
    by_prompt: dict[str, list[PromptVersionRecord]] = {}
    for record in records:
        by_prompt.setdefault(record.prompt, []).append(record)
    return [prompt_view(p, by_prompt.get(name, [])) for name, p in suite.prompts.items()]


def get_prompt(*, session: Session, suite: Suite, name: str) -> dict[str, Any]:
    prompt = suite.prompts.get(name)
    if prompt is None:
        raise NotFoundError(f"no prompt named {name!r}")
    records = session.exec(
        select(PromptVersionRecord).where(PromptVersionRecord.prompt == name)
    ).all()
    return prompt_view(prompt, records)


def list_targets(*, session: Session, suite: Suite) -> list[dict[str, Any]]:
    """Targets the suite declares or the store has called, with call and baseline counts."""
    calls = dict(session.exec(select(Call.target, func.count()).group_by(col(Call.target))).all())
    baselines = dict(
        session.exec(select(Baseline.target, func.count()).group_by(col(Baseline.target))).all()
    )
    declared: dict[str, list[str]] = {}
    for prompt in suite.prompts.values():
        for spec in (prompt.pinned, *prompt.candidates):
            try:
                label = parse_target(spec).label
            except ConfigError:  # the suite loader reports it; list the rest
                continue
            declared.setdefault(label, []).append(prompt.name)
    labels = sorted(set(calls) | set(baselines) | set(declared))
    return [
        {
            "target": label,
            "provider": label.partition(":")[0],
            "declared_by": sorted(set(declared.get(label, []))),
            "calls": int(calls.get(label, 0)),
            "baselines": int(baselines.get(label, 0)),
        }
        for label in labels
    ]
