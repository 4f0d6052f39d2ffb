"""With ``api_executor=queue`` a run submitted through HTTP is published to Celery: a real
``redis-server`` and a real ``celery worker`` process execute it, the API only reads the store.
Under ``CI=true`` a missing ``redis-server`` fails instead of skipping (``procs``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import wait_for_run
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "worker"))
from pgcluster import Backend
from procs import CeleryWorker, RedisServer

from api import create_app
from promptcompat import store
from promptcompat.config import Settings

pytestmark = pytest.mark.redis
QUEUE = "promptcompat-api-test"


@pytest.fixture
def backend() -> Backend:
    # The broker's test: on SQLite alone. The API publishing to a worker over PostgreSQL is
    # scenario 14 of tests/worker/test_reliability.py, which runs on both databases.
    return "sqlite"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", persistence="none").start()
    yield server
    server.stop()


@pytest.fixture
def queued_settings(api_settings: Settings, redis_server: RedisServer) -> Settings:
    return api_settings.model_copy(
        update={"api_executor": "queue", "redis_url": redis_server.url, "queue": QUEUE}
    )


@pytest.fixture
def worker(queued_settings: Settings, tmp_path: Path) -> Iterator[CeleryWorker]:
    """One worker over the same store, suite, broker and simulator as the API."""
    s = queued_settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    env.update(
        {
            "PROMPTCOMPAT_HOME": str(s.home),
            "PROMPTCOMPAT_DATABASE_URL": s.resolved_database_url(),
            "PROMPTCOMPAT_PROMPTS_DIR": str(s.prompts_dir),
            "PROMPTCOMPAT_REDIS_URL": s.redis_url,
            "PROMPTCOMPAT_QUEUE": QUEUE,
            "PROMPTCOMPAT_OPENAI_BASE_URL": str(s.openai_base_url),
            "PROMPTCOMPAT_ANTHROPIC_BASE_URL": str(s.anthropic_base_url),
            "PROMPTCOMPAT_BACKOFF_BASE": "0.05",
            "OPENAI_API_KEY": "sk-test",
            "ANTHROPIC_API_KEY": "sk-ant-test",
            "PYTHONUNBUFFERED": "1",
        }
    )
    celery = CeleryWorker(env, tmp_path / "worker.log", name="api-w0", concurrency=1).start()
    yield celery
    celery.terminate()


def test_a_run_submitted_with_a_broker_is_executed_by_a_celery_worker(
    queued_settings: Settings, worker: CeleryWorker, auth: dict[str, dict[str, str]]
) -> None:
    admin = auth["admin"]
    with TestClient(create_app(queued_settings)) as client:
        assert client.get("/api/v1/ready").json()["executor"] == "queue"
        answer = client.post("/api/v1/runs", json={"prompts": ["prime_check"]}, headers=admin)
        assert answer.status_code == 202, answer.text
        run = answer.json()
        assert run["executor"] == "queue"
        assert answer.headers["location"] == f"/api/v1/runs/{run['id']}"
        done = wait_for_run(client, run["id"], admin, timeout=90)
        assert done["status"] == "completed", done
        # Started by the queue run starter: written for this queue's workers, owned by none.
        with store.session_scope(client.app.state.pc.engine) as session:  # type: ignore[attr-defined]
            row = store.get_run(session=session, run_id=run["id"])
        assert row.spec.execution == "queue" and row.spec.queue == QUEUE
        assert row.owner_pid is None
        assert done["progress"]["done"] == done["progress"]["total"] > 0
        assert not client.app.state.pc.background.active()  # type: ignore[attr-defined]
        report = client.get(f"/api/v1/runs/{run['id']}/report", headers=admin).json()
        assert {c["prompt"] for c in report["comparisons"]} == {"prime_check"}
        # The queue's workers evaluate with the whole suite: no per-run case selection.
        narrowed = client.post("/api/v1/runs", json={"cases": ["a*"]}, headers=admin)
        assert narrowed.status_code == 422 and narrowed.json()["where"] == "cases"
    assert f"{run['id']}" in worker.log()
