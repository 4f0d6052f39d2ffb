"""The beat entry and the retention task (the task body runs in-process; it is one call)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from inline import run_inline
from sqlalchemy import Engine, update
from sqlmodel import col

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.runs import RunRequest
from promptcompat.store.tables.core import Run
from promptcompat.suite import load_suite
from worker.app import app
from worker.beat import beat_schedule
from worker.privacy_tasks import RETENTION_TASK, apply_retention


def test_beat_schedules_retention_and_the_task_applies_it(
    privacy_engine: Engine, privacy_settings: Settings, privacy_prompts: Path
) -> None:
    entry = beat_schedule(privacy_settings)["retention"]
    assert entry["task"] == RETENTION_TASK in app.tasks
    assert entry["schedule"] == privacy_settings.retention_interval
    run_id, _ = run_inline(
        engine=privacy_engine,
        suite=load_suite(privacy_prompts),
        request=RunRequest(prompts=("echo",)),
        settings=privacy_settings,
    )
    with store.session_scope(privacy_engine) as session:
        old = datetime.now(UTC) - timedelta(days=privacy_settings.retention_days + 1)
        session.execute(update(Run).where(col(Run.id) == run_id).values(created_at=old))
    result = apply_retention.run()
    assert result["runs"] == 1 and result["calls"] > 0 and result["baselines"] == 0
    with store.session_scope(privacy_engine) as session:
        assert session.get(Run, run_id) is None
