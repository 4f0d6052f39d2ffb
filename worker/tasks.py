"""The Celery tasks: parse ids, open the store, call a core function, decide on a retry.

Delivery is at least once (``acks_late``, redelivery after a worker is lost, parallel copies
after the visibility timeout), so every task is idempotent through the store: answered calls
are skipped, calls are leased before a provider sees them, and a run is evaluated once.
Provider retries happen inside the shard (replay.py owns them); a task retries only when its
shard is not finished (calls leased by someone else, or deferred near the time limit) or the
database refused transiently. Anything else is logged and dropped: a malformed task, or a
task for a run that was deleted, never takes the worker down.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError as DatabaseBusy

# Imported in the parent, before the pool forks, so that no child pays for the SDK imports
# (about 1.3 s) during its first task, which counts against the task's time limit.
import promptcompat.providers.anthropic_messages
import promptcompat.providers.openai_chat  # noqa: F401
from promptcompat import store
from promptcompat.config import Settings, get_settings
from promptcompat.errors import NotFoundError, StoreError
from promptcompat.replay.shards import record_failure
from promptcompat.runs.dispatch import BrokerUnavailableError, reconcile
from promptcompat.runs.execution import finalize_if_complete, run_shard
from worker.app import app
from worker.publisher import FINALIZE_RUN, RECONCILE, REPLAY_SHARD, CeleryPublisher

log = logging.getLogger("worker.tasks")
_engines: dict[tuple[int, str], Engine] = {}
_STORE_RETRIES = 6


def engine_for(settings: Settings) -> Engine:
    """One engine per process: prefork children must not share the parent's connections."""
    key = (os.getpid(), settings.resolved_database_url())
    if key not in _engines:
        _engines[key] = store.open_engine(key[1])
    return _engines[key]


def _valid_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isalnum()


def _countdown(settings: Settings, seconds: float) -> float:
    return min(max(seconds, 0.0), settings.retry_countdown_max)


@app.task(bind=True, name=REPLAY_SHARD, max_retries=None)  # type: ignore[untyped-decorator]
def replay_shard(self: Task, run_id: object, shard: object) -> dict[str, Any] | None:
    """Execute one shard of a run, then finish the run if it was the last."""
    if not _valid_id(run_id) or not isinstance(shard, int) or isinstance(shard, bool):
        log.error("dropped a malformed replay task: run_id=%.80r shard=%.80r", run_id, shard)
        return None
    assert isinstance(run_id, str)
    settings = get_settings()
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    try:
        result = run_shard(
            engine=engine_for(settings),
            settings=settings,
            run_id=run_id,
            shard=shard,
            redelivered=redelivered,
            interrupts=(SoftTimeLimitExceeded,),
        )
    except NotFoundError as exc:
        log.warning("dropped a replay task: %s", exc)
        return None
    except SoftTimeLimitExceeded:
        # Calls still in flight keep their leases until they expire; the next try resumes. An
        # evaluation the limit cut short was handed back: the next try makes it afresh.
        raise self.retry(countdown=1.0) from None
    except (StoreError, DatabaseBusy) as exc:
        if self.request.retries >= _STORE_RETRIES:
            raise
        raise self.retry(countdown=_countdown(settings, 2.0**self.request.retries)) from exc
    except Exception:
        # Counted, so a shard that fails every time is given up on (see run_shard).
        try:
            with store.session_scope(engine_for(settings)) as session:
                record_failure(session=session, run_id=run_id, shard=shard)
        except Exception:
            log.exception("could not record the failure of run %s shard %s", run_id, shard)
        raise
    stats = result.stats
    if result.retry_in is not None:
        raise self.retry(countdown=_countdown(settings, result.retry_in))
    return {
        "executed": stats.executed,
        "cached": stats.cached,
        "provider_calls": stats.provider_calls,
        "errors": stats.errors,
        "gave_up": result.gave_up,
        "finalized": result.finalized,
    }


@app.task(bind=True, name=FINALIZE_RUN, max_retries=_STORE_RETRIES)  # type: ignore[untyped-decorator]
def finalize_run(self: Task, run_id: object) -> bool | None:
    """Evaluate a run whose calls are all answered (queued by reconcile)."""
    if not _valid_id(run_id):
        log.error("dropped a malformed finalize task: run_id=%.80r", run_id)
        return None
    assert isinstance(run_id, str)
    settings = get_settings()
    try:
        return finalize_if_complete(
            engine=engine_for(settings),
            run_id=run_id,
            settings=settings,
            interrupts=(SoftTimeLimitExceeded,),
            shared_limits=True,
        )
    except SoftTimeLimitExceeded:
        raise self.retry(countdown=1.0) from None  # handed back; retried with a fresh limit
    except (StoreError, DatabaseBusy) as exc:
        raise self.retry(countdown=_countdown(settings, 2.0**self.request.retries)) from exc


@app.task(name=RECONCILE)  # type: ignore[untyped-decorator]
def reconcile_runs() -> dict[str, Any]:
    """Re-publish work that no message or worker carries any more (run by beat)."""
    settings = get_settings()
    try:
        report = reconcile(
            engine=engine_for(settings), publisher=CeleryPublisher(app, settings), settings=settings
        )
    except BrokerUnavailableError as exc:
        log.warning("reconcile skipped: %s", exc)
        return {"error": str(exc)}
    return {"published": report.published, "finalize": report.finalize, "waiting": report.waiting}
