"""Helpers for the watcher tests: a publisher that only collects, store queries."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import Engine
from sqlmodel import select

from promptcompat import store
from promptcompat.store.tables.core import Run
from promptcompat.store.tables.watch import ReleaseEvent, ReleaseRun, WatchPoll, WebhookDelivery

CASES = 4
"""Cases of the watched prompt in these tests (the example's first four)."""


class CollectingPublisher:
    """A ``dispatch.Publisher`` that keeps what would be queued (no workers in these tests)."""

    def __init__(self) -> None:
        self.shards: list[tuple[str, int]] = []
        self.finalize: list[str] = []
        self._lock = threading.Lock()

    def publish_shards(self, run_id: str, shards: Sequence[int]) -> None:
        with self._lock:
            self.shards.extend((run_id, s) for s in shards)

    def publish_finalize(self, run_id: str) -> None:
        with self._lock:
            self.finalize.append(run_id)

    def queue_depth(self) -> int | None:
        return 0


def events(engine: Engine, kind: str | None = None) -> list[ReleaseEvent]:
    with store.session_scope(engine) as session:
        query = select(ReleaseEvent).order_by(ReleaseEvent.id)  # type: ignore[arg-type]
        rows = list(session.exec(query).all())
    return [e for e in rows if kind is None or e.kind == kind]


def release_runs(engine: Engine) -> list[ReleaseRun]:
    with store.session_scope(engine) as session:
        return list(session.exec(select(ReleaseRun)).all())


def runs(engine: Engine) -> list[Run]:
    with store.session_scope(engine) as session:
        return list(session.exec(select(Run)).all())


def polls(engine: Engine, account: str | None = None) -> list[WatchPoll]:
    with store.session_scope(engine) as session:
        rows = list(session.exec(select(WatchPoll).order_by(WatchPoll.id)).all())  # type: ignore[arg-type]
    return [p for p in rows if account is None or p.account == account]


def deliveries(engine: Engine) -> list[WebhookDelivery]:
    with store.session_scope(engine) as session:
        return list(session.exec(select(WebhookDelivery)).all())
