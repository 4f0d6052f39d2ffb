"""The retention task: beat runs it every ``retention_interval`` (``promptcompat gc``)."""

from __future__ import annotations

import logging

from promptcompat import store
from promptcompat.config import get_settings
from promptcompat.store.retention import collect
from worker.app import app
from worker.tasks import engine_for

log = logging.getLogger("worker.privacy_tasks")
RETENTION_TASK = "promptcompat.retention"


@app.task(name=RETENTION_TASK)  # type: ignore[untyped-decorator]
def apply_retention() -> dict[str, object]:
    """Delete what every project's retention no longer keeps (baselines and audit stay)."""
    settings = get_settings()
    with store.session_scope(engine_for(settings)) as session:
        removed = collect(
            session=session,
            default_days=settings.retention_days,
            by_project=settings.retention_days_by_project,
        )
    log.info(
        "retention: %d runs, %d calls, %d snapshots deleted",
        len(removed.runs),
        removed.calls,
        removed.snapshots,
    )
    return removed.to_dict()
