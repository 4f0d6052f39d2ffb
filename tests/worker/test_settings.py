"""The settings that make delivery safe, and the Celery app built from them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from promptcompat.config import Settings


def test_task_time_limit_must_stay_below_the_visibility_timeout() -> None:
    # A task still running at the visibility timeout is delivered again, in parallel (M7).
    with pytest.raises(ValidationError, match="visibility_timeout"):
        Settings(task_soft_time_limit=50, task_time_limit=60, visibility_timeout=60)
    with pytest.raises(ValidationError, match="visibility_timeout"):
        Settings(task_soft_time_limit=50, task_time_limit=70, visibility_timeout=60)
    with pytest.raises(ValidationError, match="task_soft_time_limit"):
        Settings(task_soft_time_limit=60, task_time_limit=60, visibility_timeout=600)
    ok = Settings(
        task_soft_time_limit=50,
        task_time_limit=60,
        visibility_timeout=120,
        retry_countdown_max=30,
        request_timeout=20,
        backoff_max=10,
    )
    assert ok.task_time_limit < ok.visibility_timeout


def test_a_retry_countdown_must_end_before_the_visibility_timeout() -> None:
    # A task waiting for its countdown is unacknowledged: Redis would redeliver it meanwhile.
    with pytest.raises(ValidationError, match="retry_countdown_max"):
        Settings(visibility_timeout=700, task_time_limit=600, retry_countdown_max=100)


def test_a_provider_call_must_fit_in_a_task() -> None:
    with pytest.raises(ValidationError, match="request_timeout"):
        Settings(request_timeout=600)
    with pytest.raises(ValidationError, match="backoff_max"):
        Settings(backoff_max=600)


def test_the_environment_is_validated_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTCOMPAT_VISIBILITY_TIMEOUT", "100")
    with pytest.raises(ValidationError):
        Settings()


def test_celery_config_is_the_production_config() -> None:
    config = Settings().celery_config()
    assert config["task_acks_late"] is True
    assert config["task_reject_on_worker_lost"] is True
    assert config["worker_prefetch_multiplier"] == 1
    assert config["worker_cancel_long_running_tasks_on_connection_loss"] is True
    assert config["worker_soft_shutdown_timeout"] == 30.0
    assert (config["task_soft_time_limit"], config["task_time_limit"]) == (540.0, 600.0)
    transport = config["broker_transport_options"]
    assert transport["visibility_timeout"] == config["visibility_timeout"] == 3600.0
    # Re-queueing a dead worker's tasks takes seconds after the timeout, not minutes (M5, M6).
    assert transport["unacked_restore_interval"] <= 5
    assert transport["unacked_restore_throttle"] == 1
    # A worker killed mid-sweep holds the sweep's mutex until it expires: seconds, not 300.
    assert transport["unacked_mutex_expire"] <= 2 * transport["unacked_restore_interval"]
    assert config["task_ignore_result"] is True and "result_backend" not in config


def test_the_celery_app_applies_the_settings() -> None:
    from worker.app import make_app

    settings = Settings(redis_url="redis://127.0.0.1:1/3", queue="q1", visibility_timeout=4000)
    app = make_app(settings)
    assert app.conf.broker_url == "redis://127.0.0.1:1/3"
    assert app.conf.task_default_queue == "q1"
    assert app.conf.broker_transport_options["visibility_timeout"] == 4000
    assert app.conf.broker_transport == "worker.transport:Transport"
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.beat_schedule["reconcile"]["task"] == "promptcompat.reconcile"
    app.loader.import_default_modules()
    assert {"promptcompat.replay_shard", "promptcompat.finalize_run"} <= set(app.tasks)


def test_the_core_does_not_import_celery() -> None:
    import subprocess
    import sys

    code = (
        "import sys, promptcompat.runs.run, promptcompat.runs.dispatch, "
        "promptcompat.runs.execution, promptcompat.cli.root; print('celery' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
