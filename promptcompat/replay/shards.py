"""A run's planned calls, persisted and cut into shards.

``prepare_run`` writes every planned call, exactly as rendered, with the run (one
transaction: the run exists in the store before anything is published). A shard is a
fixed-size slice of the run's distinct cache keys: the unit one worker task executes. Calls
that could not render need no shard (shard -1): they are ERROR results from the start.
Whether a shard, or the run, is complete is read from the store: a key is done for the run
once ``run_call`` links it (answered, from the cache, or failed after retries).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, exists, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from promptcompat.errors import TemplateError
from promptcompat.replay.plan import PlannedCall
from promptcompat.store.sql import chunks, now
from promptcompat.store.tables.core import PlannedCallRecord, RunCall, RunShard
from promptcompat.suite.agent_loops import loop_from_json
from promptcompat.suite.targets import Target, parse_target
from promptcompat.suite.turns import message_from_json, message_json, options_from_json

NO_SHARD = -1


def target_spec(target: Target) -> str:
    """The target string with its connection parameters (which the label leaves out)."""
    return target.spec


def assign_shards(calls: Sequence[PlannedCall], *, shard_size: int) -> dict[str, int]:
    """Shard of each distinct runnable cache key, in plan order."""
    shards: dict[str, int] = {}
    for call in calls:
        if call.render_error is None and call.key not in shards:
            shards[call.key] = len(shards) // shard_size
    return shards


def save_plan(
    *, session: Session, run_id: str, calls: Sequence[PlannedCall], shard_size: int
) -> list[int]:
    """Write the planned calls and the shard rows; returns the shard numbers."""
    shards = assign_shards(calls, shard_size=shard_size)
    rows = [
        {
            "run_id": run_id,
            "shard": shards.get(c.key, NO_SHARD),
            "cache_key": c.key,
            "prompt": c.prompt,
            "version": c.version,
            "case_id": c.case_id,
            "target": c.target.label,
            "target_spec": target_spec(c.target),
            "sample": c.sample,
            "seed": c.seed,
            "messages": [message_json(m) for m in c.messages],
            "render_error": None if c.render_error is None else str(c.render_error),
            "options": None if c.options.empty else c.options.canonical(),
            "loop": None if c.loop is None else {**c.loop.canonical(), "source": c.source},
        }
        for c in calls
    ]
    for part in chunks(rows):
        session.execute(insert(PlannedCallRecord), list(part))
    sizes: dict[int, int] = {}
    for shard in shards.values():
        sizes[shard] = sizes.get(shard, 0) + 1
    shard_rows = [
        {"run_id": run_id, "shard": s, "calls": n, "failures": 0} for s, n in sizes.items()
    ]
    for piece in chunks(shard_rows):
        session.execute(insert(RunShard), list(piece))
    return sorted(sizes)


def load_calls(
    *, session: Session, run_id: str, shards: Sequence[int] | None = None
) -> list[PlannedCall]:
    """The planned calls of the run (of some shards only), in plan order."""
    statement = sa_select(PlannedCallRecord.__table__).where(  # type: ignore[attr-defined]
        col(PlannedCallRecord.run_id) == run_id
    )
    if shards is not None:
        statement = statement.where(col(PlannedCallRecord.shard).in_(list(shards)))
    targets: dict[str, Target] = {}
    calls: list[PlannedCall] = []
    for row in session.execute(statement.order_by(col(PlannedCallRecord.id))).mappings():
        spec, error = row["target_spec"], row["render_error"]
        target = targets.get(spec)
        if target is None:
            target = targets[spec] = parse_target(spec)
        calls.append(
            PlannedCall(
                key=row["cache_key"],
                prompt=row["prompt"],
                version=row["version"],
                case_id=row["case_id"],
                target=target,
                sample=row["sample"],
                seed=row["seed"],
                messages=tuple(message_from_json(m) for m in row["messages"]),
                render_error=None if error is None else TemplateError(error),
                options=options_from_json(row["options"]),
                loop=loop_from_json(row["loop"]),
                source=(row["loop"] or {}).get("source", ""),
            )
        )
    return calls


def _unlinked(run_id: str) -> object:
    linked = exists().where(
        and_(
            col(RunCall.run_id) == run_id,
            col(RunCall.cache_key) == col(PlannedCallRecord.cache_key),
        )
    )
    return and_(
        col(PlannedCallRecord.run_id) == run_id,
        col(PlannedCallRecord.shard) != NO_SHARD,
        ~linked,
    )


def run_complete(*, session: Session, run_id: str) -> bool:
    """Every runnable planned call of the run has a result linked to it."""
    missing = session.execute(
        sa_select(func.count()).select_from(PlannedCallRecord).where(_unlinked(run_id))  # type: ignore[arg-type]
    ).scalar_one()
    return int(missing) == 0


def unfinished(*, session: Session, run_id: str) -> dict[int, list[str]]:
    """Per shard, the keys that still have no result for the run."""
    rows = session.execute(
        sa_select(col(PlannedCallRecord.shard), col(PlannedCallRecord.cache_key)).where(
            _unlinked(run_id)  # type: ignore[arg-type]
        )
    )
    found: dict[int, list[str]] = {}
    for shard, key in rows:
        found.setdefault(shard, []).append(key)
    return found


def shard_rows(*, session: Session, run_id: str) -> dict[int, RunShard]:
    rows = session.execute(sa_select(RunShard).where(col(RunShard.run_id) == run_id)).scalars()
    return {row.shard: row for row in rows}


def mark_published(*, session: Session, run_id: str, shards: Sequence[int]) -> None:
    at = now()
    for part in chunks(list(shards)):
        session.execute(
            update(RunShard)
            .where(col(RunShard.run_id) == run_id, col(RunShard.shard).in_(part))
            .values(published_at=at)
        )


def mark_started(*, session: Session, run_id: str, shard: int, crashed_before: bool) -> int:
    """Record a delivery of the shard; returns how many deliveries of it crashed so far.

    ``crashed_before`` is true for a message Celery redelivered (its worker was lost).
    """
    values: dict[str, object] = {"started_at": now()}
    if crashed_before:
        values["failures"] = RunShard.failures + 1
    session.execute(
        update(RunShard)
        .where(col(RunShard.run_id) == run_id, col(RunShard.shard) == shard)
        .values(**values)
    )
    failures = session.execute(
        sa_select(col(RunShard.failures)).where(
            col(RunShard.run_id) == run_id, col(RunShard.shard) == shard
        )
    ).scalar_one_or_none()
    return int(failures or 0)


def record_failure(*, session: Session, run_id: str, shard: int) -> None:
    """An unexpected error ended a delivery of the shard (counts toward giving up)."""
    session.execute(
        update(RunShard)
        .where(col(RunShard.run_id) == run_id, col(RunShard.shard) == shard)
        .values(failures=RunShard.failures + 1)
    )
