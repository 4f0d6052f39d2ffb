"""The watcher's Celery tasks (run by beat): poll, retirements, notifications.

Thin: open the store, call the core (promptcompat.watch.watcher, deprecations, notify) with a
Celery publisher for the runs it starts, return counts. Two beats or an overlapping poll are
harmless: the core deduplicates in the store.
"""

from __future__ import annotations

import logging
from typing import Any

from promptcompat.config import get_settings
from promptcompat.errors import PromptCompatError
from promptcompat.runs import QueueStarter
from promptcompat.watch.deprecations import schedule_successors
from promptcompat.watch.notify import notify_finished
from promptcompat.watch.watcher import poll
from worker.app import app
from worker.publisher import CeleryPublisher
from worker.tasks import engine_for

log = logging.getLogger("worker.watch_tasks")
WATCH_POLL = "promptcompat.watch_poll"
WATCH_DEPRECATIONS = "promptcompat.watch_deprecations"
WATCH_NOTIFY = "promptcompat.watch_notify"


def _starter() -> QueueStarter:
    settings = get_settings()
    return QueueStarter(engine_for(settings), settings, CeleryPublisher(app, settings))


@app.task(name=WATCH_POLL)  # type: ignore[untyped-decorator]
def watch_poll() -> dict[str, Any]:
    """List the models of every watched account, check aliases, start release runs."""
    settings = get_settings()
    try:
        report = poll(engine=engine_for(settings), settings=settings, starter=_starter())
    except PromptCompatError as exc:  # a suite that does not load: said in the log, next poll
        log.error("watch poll failed: %s", exc)
        return {"error": str(exc)}
    return {
        "accounts": {a.account: a.ok for a in report.accounts},
        "drift_events": report.drift_events,
        "runs": {str(k): v for k, v in report.runs.items()},
    }


@app.task(name=WATCH_DEPRECATIONS)  # type: ignore[untyped-decorator]
def watch_deprecations() -> dict[str, Any]:
    """Start the successor runs of targets retiring within the lead time."""
    settings = get_settings()
    try:
        report = schedule_successors(
            engine=engine_for(settings), settings=settings, starter=_starter()
        )
    except PromptCompatError as exc:
        log.error("deprecation check failed: %s", exc)
        return {"error": str(exc)}
    return {"events": report.events, "runs": {str(k): v for k, v in report.runs.items()}}


@app.task(name=WATCH_NOTIFY)  # type: ignore[untyped-decorator]
def watch_notify() -> dict[str, str]:
    """Send the webhooks of release runs that finished."""
    settings = get_settings()
    return notify_finished(engine=engine_for(settings), settings=settings)
