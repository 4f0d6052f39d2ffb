"""Distributed runs without the queue library: publishing and reconcile.

The core never imports Celery: it talks to a ``Publisher`` (``worker/publisher.py`` is the
Celery one; tests can pass any object with these methods). A run is written to the store
before anything is published (an outbox, ``starters.QueueStarter``): if the broker is down
the run stays ``pending``, and ``reconcile`` publishes it later. ``reconcile`` also
re-publishes shards whose messages a broker crash lost, and evaluations nobody finished.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import col, select

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.errors import PromptCompatError
from promptcompat.replay import shards as shard_store
from promptcompat.replay.leases import live_claims
from promptcompat.store import session_scope
from promptcompat.store.sql import now
from promptcompat.store.tables.core import Run

log = logging.getLogger("promptcompat.runs.dispatch")
QUEUE_GRACE = 10.0
"""An unstarted shard is only re-published this long after it was published, even when the
queue is empty: a worker may have just taken it off the queue."""


class BrokerUnavailableError(PromptCompatError):
    """The message broker (Redis) cannot be reached; the run waits in the store."""


class Publisher(Protocol):
    def publish_shards(self, run_id: str, shards: Sequence[int]) -> None:
        """Queue one replay task per shard; raises BrokerUnavailableError."""

    def publish_finalize(self, run_id: str) -> None:
        """Queue the evaluation of a run whose calls are all answered."""

    def queue_depth(self) -> int | None:
        """Messages waiting in the queue (not yet taken by a worker), None if unknown."""


def enqueue_run(
    *, engine: Engine, run_id: str, publisher: Publisher, shards: Sequence[int] | None = None
) -> list[int]:
    """Publish the run's unfinished shards (or ``shards``) and mark the run ``running``."""
    with session_scope(engine) as session:
        if shards is None:
            shards = sorted(shard_store.unfinished(session=session, run_id=run_id))
    if shards:
        publisher.publish_shards(run_id, shards)
    else:
        publisher.publish_finalize(run_id)  # nothing to call: every call cached or unrenderable
    with session_scope(engine) as session:
        shard_store.mark_published(session=session, run_id=run_id, shards=shards)
        store.set_status(session=session, run_id=run_id, status="running", only_from=("pending",))
    return list(shards)


@dataclass
class ReconcileReport:
    published: dict[str, list[int]] = field(default_factory=dict)
    """Run id → shards re-published."""
    finalize: list[str] = field(default_factory=list)
    """Runs whose evaluation was queued again."""
    waiting: int = 0
    """Unfinished shards left alone: a live lease, or not stale yet."""
    orphans: list[str] = field(default_factory=list)
    """Embedded runs whose process was gone, ended ``failed`` (``store.recover_orphans``)."""


def reconcile(
    *,
    engine: Engine,
    publisher: Publisher,
    settings: Settings,
    stale_after: float | None = None,
) -> ReconcileReport:
    """Re-publish the work of queue runs that no message or worker is carrying any more.

    Only the runs published to ``settings.queue`` are this reconcile's: another queue's runs
    belong to its own workers (a run re-published here would run on the wrong ones).

    Per unfinished shard of a ``pending``/``running`` queue run: left alone while any of its
    calls has a live lease (someone works on it); re-published if it never started and the
    queue is empty (a broker crash lost it) or it was published a visibility timeout ago, or
    if it started but nothing happened for ``stale_after`` seconds (its worker died and the
    message is gone). Runs whose calls are all answered but that nobody evaluated (or whose
    evaluator died) get their evaluation queued. Duplicates are harmless: execution is
    idempotent, so this errs on the side of publishing. First, embedded runs whose process is
    gone are ended ``failed`` (nothing can resume them: their process held their execution).

    Raises:
        BrokerUnavailableError: The broker cannot be reached (nothing is marked published).
    """
    stale = settings.reconcile_stale_after if stale_after is None else stale_after
    report = ReconcileReport()
    with session_scope(engine) as session:
        report.orphans = [o.run_id for o in store.recover_orphans(session=session)]
    depth = publisher.queue_depth()
    at = now()
    with session_scope(engine) as session:
        runs = session.exec(
            select(Run).where(
                Run.executor == "queue",
                col(Run.status).in_(["pending", "running", "finalizing"]),
            )
        ).all()
    # Runs from before the queue was recorded count as the default queue's.
    runs = [r for r in runs if (r.spec.queue or settings.queue) == settings.queue]
    for run in runs:
        if run.status == "finalizing":
            if (run.lease_until or 0.0) < at:
                publisher.publish_finalize(run.id)
                report.finalize.append(run.id)
            continue
        with session_scope(engine) as session:
            missing = shard_store.unfinished(session=session, run_id=run.id)
            rows = shard_store.shard_rows(session=session, run_id=run.id)
            live = live_claims(session=session, keys=[k for ks in missing.values() for k in ks])
        if not missing:
            publisher.publish_finalize(run.id)
            report.finalize.append(run.id)
            continue
        lost: list[int] = []
        for shard, keys in sorted(missing.items()):
            row = rows.get(shard)
            published = row.published_at if row and row.published_at else 0.0
            started = row.started_at if row and row.started_at else None
            if any(k in live for k in keys):
                report.waiting += 1
            elif run.status == "pending" or not published:
                lost.append(shard)
            elif started is None:
                quiet = at - published
                if (depth == 0 and quiet >= min(stale, QUEUE_GRACE)) or (
                    quiet >= settings.visibility_timeout
                ):
                    lost.append(shard)
                else:
                    report.waiting += 1
            elif at - max(published, started) >= stale:
                lost.append(shard)
            else:
                report.waiting += 1
        if lost:
            enqueue_run(engine=engine, run_id=run.id, publisher=publisher, shards=lost)
            report.published[run.id] = lost
            log.info("reconcile: re-published run %s shards %s", run.id, lost)
    return report
