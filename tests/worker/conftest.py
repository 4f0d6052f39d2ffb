"""Fixtures for distributed runs: a real ``redis-server``, real ``celery worker`` processes.

Under ``CI=true`` a missing ``redis-server`` fails the tests instead of skipping them. Every
wait polls with a deadline; nothing sleeps to synchronise. Timings are shortened so that
recovery takes seconds (visibility timeout 7 s, kombu restore sweep every second). The tests
that touch the store run on SQLite and on PostgreSQL (``backend``); the fault-injection
scenarios of test_reliability.py run on PostgreSQL only where the store is what they test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pgcluster import BACKENDS, Backend
from procs import CeleryBeat, CeleryWorker, Persistence, RedisServer
from sqlalchemy import Engine

from promptcompat import store
from promptcompat.config import Settings, get_settings
from promptcompat.simulator.process import SimulatorProcess

TEST_TIMINGS = {
    "PROMPTCOMPAT_VISIBILITY_TIMEOUT": "7",
    "PROMPTCOMPAT_TASK_TIME_LIMIT": "5",
    "PROMPTCOMPAT_TASK_SOFT_TIME_LIMIT": "4",
    "PROMPTCOMPAT_RETRY_COUNTDOWN_MAX": "1",
    "PROMPTCOMPAT_REQUEST_TIMEOUT": "1.5",
    "PROMPTCOMPAT_LEASE_SECONDS": "3",
    "PROMPTCOMPAT_FINALIZE_LEASE_SECONDS": "10",
    "PROMPTCOMPAT_UNACKED_RESTORE_INTERVAL": "1",
    "PROMPTCOMPAT_BACKOFF_BASE": "0.05",
    "PROMPTCOMPAT_BACKOFF_MAX": "0.5",
    "PROMPTCOMPAT_FLUSH_INTERVAL": "0.05",
    "PROMPTCOMPAT_WORKER_SOFT_SHUTDOWN_TIMEOUT": "2",
    "PROMPTCOMPAT_RECONCILE_STALE_AFTER": "2",
    "PROMPTCOMPAT_SHARD_SIZE": "8",
    "PROMPTCOMPAT_CONCURRENCY": "4",
}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    backend: Backend = request.param
    return backend


@pytest.fixture
def start_redis(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Factory: ``start_redis(persistence="none"|"always"|"everysec")``, stopped at teardown."""
    servers: list[RedisServer] = []

    def start(persistence: Persistence = "everysec") -> RedisServer:
        server = RedisServer(tmp_path / f"redis{len(servers)}", persistence=persistence)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def redis_server(
    request: pytest.FixtureRequest, start_redis: Callable[..., RedisServer]
) -> RedisServer:
    """A Redis with AOF (``appendfsync always``: a crash loses no queued task), unless the
    test parametrizes it indirectly with another persistence."""
    return start_redis(getattr(request, "param", "always"))


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[SimulatorProcess]:
    """A simulator that answers in 200-300 ms, so runs are still in flight when we strike."""
    with SimulatorProcess(latency_ms=250, jitter_ms=50) as sim:
        yield sim


@pytest.fixture
def dist_env(
    tmp_path: Path,
    prompts_dir: Path,
    slow_sim: SimulatorProcess,
    redis_server: RedisServer,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """The environment of this test and of its workers: same store, Redis, suite, simulator."""
    slow_sim.reset()
    values = {
        **TEST_TIMINGS,
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_DATABASE_URL": database_url,
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
        "PROMPTCOMPAT_REDIS_URL": redis_server.url,
        "PROMPTCOMPAT_QUEUE": "promptcompat-test",
        "PROMPTCOMPAT_OPENAI_BASE_URL": slow_sim.openai_base_url,
        "PROMPTCOMPAT_ANTHROPIC_BASE_URL": slow_sim.anthropic_base_url,
        "OPENAI_API_KEY": "sk-test",
        "ANTHROPIC_API_KEY": "sk-ant-test",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return {**os.environ, **values, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def dist_settings(dist_env: dict[str, str]) -> Settings:
    return get_settings()


@pytest.fixture
def dist_engine(dist_settings: Settings) -> Engine:
    # Created (and migrated) here, before any worker opens the file.
    return store.open_engine(dist_settings.resolved_database_url())


@pytest.fixture
def publisher(dist_settings: Settings):  # type: ignore[no-untyped-def]
    from worker.app import make_app
    from worker.publisher import CeleryPublisher

    return CeleryPublisher(make_app(dist_settings), dist_settings)


@pytest.fixture
def celery_worker(
    dist_env: dict[str, str], dist_engine: Engine, tmp_path: Path
) -> Iterator[Callable[..., CeleryWorker]]:
    """Factory: ``celery_worker(concurrency=1, via_cli=False, **env)`` starts a worker (as
    ``promptcompat worker`` with ``via_cli``); all stop at teardown."""
    workers: list[CeleryWorker] = []

    def start(concurrency: int = 1, via_cli: bool = False, **env: str) -> CeleryWorker:
        name = f"w{len(workers)}"
        worker = CeleryWorker(
            {**dist_env, **env},
            tmp_path / f"{name}.log",
            name=name,
            concurrency=concurrency,
            via_cli=via_cli,
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.kill()  # everything it used dies with the test: no warm shutdown to wait for


@pytest.fixture
def celery_beat(dist_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., CeleryBeat]]:
    """Factory: ``celery_beat(**env)`` starts the one beat; stopped at teardown."""
    beats: list[CeleryBeat] = []

    def start(**env: str) -> CeleryBeat:
        beat = CeleryBeat({**dist_env, **env}, tmp_path)
        beats.append(beat)
        return beat.start()

    yield start
    for beat in beats:
        beat.stop()
