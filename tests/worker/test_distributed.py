"""Distributed runs through real ``celery worker`` processes and a real ``redis-server``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from clirun import cli
from inline import run_inline
from pgcluster import Backend, on_both_backends
from procs import REPO, CeleryWorker
from sqlalchemy import Engine
from sqlmodel import select
from worker_helpers import (
    call_results,
    check_invariants,
    report_of,
    submit,
    verdicts,
    wait_finished,
)

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.runs import RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store.tables.core import RunCall
from promptcompat.suite import load_suite

pytestmark = pytest.mark.redis


@pytest.fixture
def backend() -> Backend:
    # Two workers writing one store is the store's test (on both databases); the command line
    # and the malformed messages are the queue's, so SQLite alone keeps the suite's time down.
    return "sqlite"


def fast(sim: SimulatorProcess) -> dict[str, str]:
    """Worker environment pointing at the zero-latency simulator."""
    return {
        "PROMPTCOMPAT_OPENAI_BASE_URL": sim.openai_base_url,
        "PROMPTCOMPAT_ANTHROPIC_BASE_URL": sim.anthropic_base_url,
    }


@on_both_backends
def test_two_workers_give_the_embedded_report_call_for_call(
    dist_settings: Settings,
    dist_engine: Engine,
    publisher,  # type: ignore[no-untyped-def]
    celery_worker: Callable[..., CeleryWorker],
    sim: SimulatorProcess,
    tmp_path: Path,
) -> None:
    sim.reset()
    workers = [celery_worker(**fast(sim)), celery_worker(**fast(sim))]
    run_id = submit(dist_engine, dist_settings, publisher)
    wait_finished(dist_engine, run_id, timeout=90)
    counts = check_invariants(dist_engine, run_id)
    # One request per planned key; an agent loop (plan_trip's cases with fixtures) one per step.
    with store.session_scope(dist_engine) as session:
        linked = session.exec(select(RunCall.cache_key).where(RunCall.run_id == run_id)).all()
        loops = store.loop_steps(session=session, keys=list(linked))
    assert loops, "the example suite has agent loops"
    extra = sum(len(steps) - 1 for steps in loops.values())
    assert sim.stats()["requests"] == counts["keys"] + extra
    # Both workers took part.
    assert all("promptcompat.replay_shard" in w.log() for w in workers)

    embedded_settings = dist_settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'embedded.db'}",
            "openai_base_url": sim.openai_base_url,
            "anthropic_base_url": sim.anthropic_base_url,
        }
    )
    embedded = store.open_engine(embedded_settings.resolved_database_url())
    embedded_id, _ = run_inline(
        engine=embedded,
        suite=load_suite(dist_settings.prompts_dir),
        request=RunRequest(),
        settings=embedded_settings,
    )
    queued, local = report_of(dist_engine, run_id), report_of(embedded, embedded_id)
    assert queued["run"]["status"] == local["run"]["status"]
    assert queued["run"]["calls"]["total"] == local["run"]["calls"]["total"]
    assert verdicts(queued) == verdicts(local)
    assert queued["matrix"] == local["matrix"]
    assert call_results(dist_engine) == call_results(embedded)  # call for call


def test_run_queue_from_the_command_line(
    dist_env: dict[str, str],
    dist_engine: Engine,
    celery_worker: Callable[..., CeleryWorker],
    sim: SimulatorProcess,
    tmp_path: Path,
) -> None:
    worker = celery_worker(via_cli=True, **fast(sim))  # `promptcompat worker`
    out = tmp_path / "report.json"
    json_out = ["--json-out", str(out)]
    proc = cli(
        "run", "--queue", "-p", "prime_check", *json_out, cwd=REPO, env=dist_env, timeout=120
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "queued run" in proc.stdout
    report = json.loads(out.read_text())
    assert report["run"]["status"] == "completed"
    assert {c["prompt"] for c in report["cases"]} == {"prime_check"}
    check_invariants(dist_engine, report["run"]["id"])
    assert f".> {dist_env['PROMPTCOMPAT_QUEUE']} exchange=" in worker.log()  # -Q the setting


def test_malformed_messages_and_deleted_runs_are_dropped_not_fatal(
    dist_settings: Settings,
    dist_engine: Engine,
    publisher,  # type: ignore[no-untyped-def]
    redis_server,  # type: ignore[no-untyped-def]
    celery_worker: Callable[..., CeleryWorker],
    sim: SimulatorProcess,
) -> None:
    # Queued while no worker runs: a run deleted before its tasks are consumed ...
    deleted = submit(dist_engine, dist_settings, publisher, RunRequest(prompts=("prime_check",)))
    with store.session_scope(dist_engine) as session:
        store.delete_run(session=session, run_id=deleted)
    # ... junk on the queue list itself (anyone who can write to Redis could put it there) ...
    queue = dist_settings.queue
    client = redis_server.client()
    envelope = {"body": "!!!", "content-type": "application/json", "content-encoding": "utf-8"}
    envelope |= {"headers": {}, "properties": {"delivery_tag": "x", "body_encoding": "base64"}}
    routed = json.loads(json.dumps(envelope))
    routed["properties"]["delivery_info"] = {"exchange": "", "routing_key": queue}
    for junk in ["not json", "123", '{"a": 1}', "[1, 2]", json.dumps(envelope), json.dumps(routed)]:
        client.lpush(queue, junk)
    # ... and well-formed messages that make no sense.
    app = publisher._app
    app.send_task("promptcompat.no_such_task", args=[1], queue=queue)
    app.send_task("promptcompat.replay_shard", args=[123, "x"], queue=queue)
    app.send_task("promptcompat.replay_shard", args=["a" * 500, 0], queue=queue)
    app.send_task("promptcompat.replay_shard", args=["onlyone"], queue=queue)
    app.send_task("promptcompat.finalize_run", args=[{"x": 1}], queue=queue)
    good = submit(dist_engine, dist_settings, publisher, RunRequest(prompts=("prime_check",)))

    worker = celery_worker(**fast(sim))
    pid = worker.pid
    wait_finished(dist_engine, good, timeout=60)
    check_invariants(dist_engine, good)
    assert worker.alive() and worker.pid == pid
    log = worker.log()
    assert log.count("dropped a malformed message") == 5, log[-4000:]
    assert "Received and deleted unknown message" in log  # a full envelope: Celery drops it
    assert "Connection to broker lost" not in log  # no consumer restart either
    assert "unregistered task" in log
    assert log.count("dropped a malformed replay task") == 2
    assert "dropped a malformed finalize task" in log
    assert f"dropped a replay task: no run '{deleted}'" in log
    assert "Unrecoverable error" not in log
