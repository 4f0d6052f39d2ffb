"""Acceptance: real Redis, a real worker and two real beat processes, against the simulator.

A model released in the simulator's list triggers exactly one run (two beats poll every
second, so polls overlap); its report is reachable through the API and its webhook reaches a
loopback receiver with a valid signature; the same model seen again triggers nothing; moving
the alias the suite pins raises an alias-drift event.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from beat_proc import CeleryBeat
from fastapi.testclient import TestClient
from procs import CeleryWorker
from pydantic import SecretStr
from receiver import Receiver
from sqlalchemy import Engine
from watch_helpers import events, polls, release_runs, runs
from worker_helpers import wait_until

from api import create_app
from promptcompat import store
from promptcompat.config import Settings
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store import api_tokens as tokens
from promptcompat.store.tables.core import TERMINAL_STATUSES
from promptcompat.watch.notify import SIGNATURE_HEADER, verify

pytestmark = [pytest.mark.redis, pytest.mark.slow]
SECRET = "whsec-acceptance-0123456789"
PEPPER = "watch-acceptance-pepper-012345"


@pytest.fixture
def beats(dist_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., CeleryBeat]]:
    started: list[CeleryBeat] = []

    def start(**env: str) -> CeleryBeat:
        beat = CeleryBeat({**dist_env, **env}, tmp_path, name=f"beat{len(started)}")
        started.append(beat)
        return beat.launch()

    yield start
    for beat in started:
        beat.stop()


def test_release_and_alias_drift_end_to_end(
    dist_env: dict[str, str],
    dist_settings: Settings,
    dist_engine: Engine,
    celery_worker: Callable[..., CeleryWorker],
    beats: Callable[..., CeleryBeat],
    slow_sim: SimulatorProcess,
    receiver: Receiver,
) -> None:
    sim = slow_sim
    watch_env = {
        "PROMPTCOMPAT_WATCH_INTERVAL": "1",
        "PROMPTCOMPAT_NOTIFY_INTERVAL": "1",
        "PROMPTCOMPAT_WEBHOOK_URLS": json.dumps([receiver.url]),
        "PROMPTCOMPAT_WEBHOOK_SECRET": SECRET,
        "PROMPTCOMPAT_API_BASE_URL": "http://pc.test",
    }
    # Two beats: the polls of one overlap the other's.
    both = [beats(**watch_env), beats(**watch_env)]
    celery_worker(concurrency=2, **watch_env)
    for beat in both:
        beat.wait_started()
    wait_until(
        lambda: len([p for p in polls(dist_engine, "openai") if p.ok]) >= 2,
        timeout=30,
        what="the first polls of the openai account",
    )
    assert events(dist_engine) == [] and runs(dist_engine) == []

    # The model list fails: recorded, and the beat's next polls go on.
    sim.fail_model_lists([500])
    wait_until(
        lambda: any(not p.ok for p in polls(dist_engine, "openai")),
        timeout=30,
        what="a failed poll to be recorded",
    )
    failed = next(p for p in polls(dist_engine, "openai") if not p.ok)
    assert failed.error is not None and "HTTP 500" in failed.error

    model = f"gpt-sim-2026-{uuid.uuid4().hex[:8]}"
    sim.add_model(model, behaves_like="gpt-sim-2025-06-01")
    wait_until(lambda: runs(dist_engine), timeout=30, what="the release run")
    [run] = runs(dist_engine)
    assert run.spec.execution == "queue"  # beat's poll task starts it for the workers
    wait_until(
        lambda: store_status(dist_engine, run.id) in TERMINAL_STATUSES,
        timeout=60,
        what="the release run to finish",
    )
    wait_until(lambda: receiver.received, timeout=30, what="the webhook")
    [hook] = receiver.received
    assert verify(hook.body, SECRET, hook.headers[SIGNATURE_HEADER.lower()])
    payload = json.loads(hook.body)
    assert payload["release"]["model"] == model and payload["run"]["id"] == run.id
    assert payload["links"]["report"] == f"http://pc.test/api/v1/runs/{run.id}/report"

    # Seen again, by several more polls of both beats: still one event, one run, one webhook.
    seen = len(polls(dist_engine, "openai"))
    wait_until(lambda: len(polls(dist_engine, "openai")) >= seen + 3, timeout=30, what="more polls")
    assert [e.model_id for e in events(dist_engine, "release")] == [model]
    assert len(runs(dist_engine)) == 1 and len(receiver.received) == 1
    assert release_runs(dist_engine)[0].notified_at is not None

    # The report, through the API.
    with store.session_scope(dist_engine) as session:
        _, token = tokens.create_token(session=session, name="v", role="viewer", pepper=PEPPER)
    api_settings = dist_settings.model_copy(update={"api_token_pepper": SecretStr(PEPPER)})
    with TestClient(create_app(api_settings)) as client:
        answer = client.get(
            f"/api/v1/runs/{run.id}/report", headers={"authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["run"]["id"] == run.id
    assert {c["direction"] for c in report["comparisons"]} == {"FORWARD"}

    # The alias the suite pins now serves another model.
    try:
        sim.set_alias("gpt-sim-latest", "gpt-sim-2024-05-13")
        wait_until(
            lambda: events(dist_engine, "alias_drift"), timeout=30, what="the alias-drift event"
        )
        drift = events(dist_engine, "alias_drift")[0]
    finally:
        for beat in both:  # before the alias moves back, which would be another drift
            beat.stop()
        sim.set_alias("gpt-sim-latest", "gpt-sim-2025-06-01")
    assert drift.account == "openai:gpt-sim-latest?temperature=0"
    assert drift.detail["previous_served_model"] == "gpt-sim-2025-06-01"
    assert drift.detail["served_model"] == "gpt-sim-2024-05-13"


def store_status(engine: Engine, run_id: str) -> str:
    with store.session_scope(engine) as session:
        return store.get_run(session=session, run_id=run_id).status
