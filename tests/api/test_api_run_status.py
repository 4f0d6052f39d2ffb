"""A run's status through HTTP: every status is listed and reported, and a report of a run
that did not complete is never a pass (exit code 2, nothing holds)."""

from __future__ import annotations

import time
from typing import get_args

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import col

from promptcompat.config import Settings
from promptcompat.runs import RunRequest, prepare_run
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store import session_scope
from promptcompat.store.tables.core import COMPLETED_STATUSES, Run, RunStatus


def test_a_run_cancelled_mid_flight_reports_its_status_exits_2_and_holds_nothing(
    client: TestClient, auth: dict[str, dict[str, str]], sim: SimulatorProcess
) -> None:
    admin = auth["admin"]
    # The candidate hangs: the baseline's calls are answered, the run cannot finish.
    sim.add_faults(
        [{"kind": "timeout", "seconds": 20, "count": 1000, "model": "claude-sim-4-20250514"}]
    )
    run = client.post("/api/v1/runs", json={"prompts": ["prime_check"]}, headers=admin).json()
    deadline = time.monotonic() + 30
    while True:
        now = client.get(f"/api/v1/runs/{run['id']}", headers=admin).json()
        if now["status"] == "running" and now["progress"]["done"] > 0:
            break
        assert time.monotonic() < deadline, f"no progress seen: {now}"
        time.sleep(0.05)
    assert client.post(f"/api/v1/runs/{run['id']}/cancel", headers=admin).status_code == 200
    assert client.app.state.pc.background.wait(10)  # type: ignore[attr-defined]

    report = client.get(f"/api/v1/runs/{run['id']}/report", headers=admin).json()
    assert report["run"]["status"] == "cancelled"
    assert (report["verdict"], report["exit_code"]) == ("ERROR", 2)
    assert report["comparisons"] and not any(c["holds"] for c in report["comparisons"])
    matrix = client.get(f"/api/v1/runs/{run['id']}/matrix", headers=admin).json()["matrix"]
    directions = [
        d for grid in matrix.values() for cell in grid["cells"] for d in cell["directions"].values()
    ]
    assert directions and not any(d["holds"] for d in directions)


@pytest.mark.parametrize("status", get_args(RunStatus))
def test_every_status_is_listed_and_only_a_completed_run_can_pass(
    client: TestClient,
    auth: dict[str, dict[str, str]],
    app: FastAPI,
    api_settings: Settings,
    status: RunStatus,
) -> None:
    admin = auth["admin"]
    state = app.state.pc
    prepared = prepare_run(
        engine=state.engine,
        suite=state.suite(),
        request=RunRequest(prompts=("prime_check",)),
        settings=api_settings,
        mode="background",
    )
    with session_scope(state.engine) as session:
        session.execute(update(Run).where(col(Run.id) == prepared.run_id).values(status=status))

    listed = client.get("/api/v1/runs", params={"status": status}, headers=admin).json()
    assert prepared.run_id in [r["id"] for r in listed["items"]]
    run = client.get(f"/api/v1/runs/{prepared.run_id}", headers=admin).json()
    assert run["status"] == status
    report = client.get(f"/api/v1/runs/{prepared.run_id}/report", headers=admin).json()
    assert report["run"]["status"] == status
    completed = status in COMPLETED_STATUSES
    assert report["exit_code"] == (0 if completed else 2)  # nothing was evaluated: no break
    assert report["comparisons"]
    assert all(c["holds"] == completed for c in report["comparisons"])
