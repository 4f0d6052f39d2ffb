"""Runs through HTTP: submit (202 + Location), progress, list, cancel, and the input guards:
mass assignment, the SSRF allowlist, body and page size caps, idempotency."""

from __future__ import annotations

import os
import time

import pytest
from api_helpers import wait_for_run
from fastapi.testclient import TestClient

from api import create_app
from promptcompat import store
from promptcompat.config import Settings
from promptcompat.simulator.process import SimulatorProcess

SSRF_SPELLINGS = [
    "http://127.0.0.1",
    "http://[::1]",
    "http://2130706433",
    "http://169.254.169.254/latest/meta-data",
    "http://localhost.",
]


def test_a_run_is_accepted_with_its_location_and_finishes_with_progress(
    client: TestClient, auth: dict[str, dict[str, str]], sim: SimulatorProcess
) -> None:
    admin = auth["admin"]
    answer = client.post(
        "/api/v1/runs",
        json={"prompts": ["prime_check"], "cases": ["*"], "samples": 1},
        headers=admin,
    )
    assert answer.status_code == 202, answer.text
    run = answer.json()
    assert answer.headers["location"] == f"/api/v1/runs/{run['id']}"
    assert run["status"] in ("pending", "running") and run["executor"] == "embedded"
    done = wait_for_run(client, run["id"], admin)
    assert done["status"] == "completed", done
    progress = done["progress"]
    assert progress["done"] == progress["total"] > 0 and progress["fraction"] == 1.0
    assert sim.stats()["requests"] == progress["provider_requests"]
    report = client.get(f"/api/v1/runs/{run['id']}/report", headers=admin).json()
    assert {c["prompt"] for c in report["comparisons"]} == {"prime_check"}
    audit = client.get("/api/v1/audit", params={"run_id": run["id"]}, headers=admin).json()
    assert [(e["action"], e["actor"]) for e in audit["items"]] == [("run.create", "admin-1")]


def test_a_run_reports_live_progress_while_it_executes(
    client: TestClient, auth: dict[str, dict[str, str]], sim: SimulatorProcess
) -> None:
    """The candidate model hangs, so the baseline's calls finish while the run is running."""
    admin = auth["admin"]
    sim.add_faults(
        [{"kind": "timeout", "seconds": 20, "count": 1000, "model": "claude-sim-4-20250514"}]
    )
    body = {"prompts": ["prime_check"], "cases": ["*1*"]}
    run = client.post("/api/v1/runs", json=body, headers=admin).json()
    deadline = time.monotonic() + 30
    while True:
        now = client.get(f"/api/v1/runs/{run['id']}", headers=admin).json()
        progress = now["progress"]
        if now["status"] == "running" and 0 < progress["done"] < progress["total"]:
            break
        assert now["status"] in ("pending", "running"), now
        assert time.monotonic() < deadline, f"no partial progress seen: {now}"
        time.sleep(0.05)
    assert 0 < progress["fraction"] < 1
    assert progress["fraction"] == pytest.approx(progress["done"] / progress["total"])
    assert client.post(f"/api/v1/runs/{run['id']}/cancel", headers=admin).status_code == 200
    assert client.app.state.pc.background.wait(10)  # type: ignore[attr-defined]


def test_case_selector_and_mode_narrow_the_run(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    admin = auth["admin"]
    body = {"prompts": ["extract_contact"], "cases": ["a*"], "mode": "FORWARD"}
    run = client.post("/api/v1/runs", json=body, headers=admin).json()
    wait_for_run(client, run["id"], admin)
    report = client.get(f"/api/v1/runs/{run['id']}/report", headers=admin).json()
    assert [c["direction"] for c in report["comparisons"]] == ["FORWARD"]
    cases = client.get(f"/api/v1/runs/{run['id']}/cases", headers=admin).json()["items"]
    assert cases and all(c["case_id"].startswith("a") for c in cases)
    assert run["request"]["labels"] == {"cases": '["a*"]', "mode": "FORWARD"}
    nothing = client.post("/api/v1/runs", json={"cases": ["zzz-none"]}, headers=admin)
    assert nothing.status_code == 422 and "no case matches" in nothing.json()["detail"]


@pytest.mark.parametrize(
    "extra",
    [{"status": "completed"}, {"id": "0" * 32}, {"executor": "queue"}, {"prompt": "typo"}],
)
def test_server_owned_or_unknown_fields_are_refused(
    client: TestClient, auth: dict[str, dict[str, str]], extra: dict[str, str]
) -> None:
    answer = client.post("/api/v1/runs", json={"prompts": [], **extra}, headers=auth["admin"])
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"][0]["type"] == "extra_forbidden"
    assert problem["errors"][0]["loc"] == ["body", next(iter(extra))]


@pytest.mark.parametrize("url", SSRF_SPELLINGS)
@pytest.mark.parametrize("side", ["baseline", "candidate"])
def test_base_urls_off_the_allowlist_are_refused(
    client: TestClient, auth: dict[str, dict[str, str]], url: str, side: str
) -> None:
    target = f"openai-compatible:llama3?base_url={url}"
    answer = client.post("/api/v1/runs", json={side: target}, headers=auth["admin"])
    assert answer.status_code == 422, answer.text
    assert "allowlist" in answer.json()["detail"]
    runs = client.get("/api/v1/runs", headers=auth["admin"]).json()["items"]
    assert len(runs) == 1  # only the seeded run: nothing was written


def test_an_allowlisted_base_url_is_used_and_key_env_names_are_refused(
    client: TestClient, auth: dict[str, dict[str, str]], sim: SimulatorProcess
) -> None:
    admin = auth["admin"]
    target = f"openai-compatible:gpt-sim-2025-06-01?temperature=0&base_url={sim.openai_base_url}"
    answer = client.post(
        "/api/v1/runs",
        json={"prompts": ["prime_check"], "candidate": target, "cases": ["*1*"]},
        headers=admin,
    )
    assert answer.status_code == 202, answer.text
    assert wait_for_run(client, answer.json()["id"], admin)["status"] == "completed"
    below = f"openai-compatible:x?base_url={sim.openai_base_url}/../admin"
    assert client.post("/api/v1/runs", json={"candidate": below}, headers=admin).status_code == 422
    stolen = f"{target}&api_key_env=AWS_SECRET_ACCESS_KEY"
    refused = client.post("/api/v1/runs", json={"candidate": stolen}, headers=admin)
    assert refused.status_code == 422 and "api_key_env" in refused.json()["detail"]


def test_bodies_over_the_cap_are_413_and_pages_over_the_maximum_are_422(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    admin = auth["admin"]
    huge = {"prompts": ["p"] * 10, "cases": ["x" * 200] * 200, "pad": "y" * 1_100_000}
    answer = client.post("/api/v1/runs", json=huge, headers=admin)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"

    def chunks() -> object:
        for _ in range(30):
            yield b"x" * 50_000

    streamed = client.post(
        "/api/v1/runs",
        content=chunks(),  # type: ignore[arg-type]
        headers={**admin, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    for path in ("/api/v1/runs", f"/api/v1/runs/{run_id}/cases", "/api/v1/audit"):
        assert client.get(path, params={"limit": 501}, headers=admin).status_code == 422
        assert client.get(path, params={"limit": 500}, headers=admin).status_code == 200


def test_a_run_over_the_call_cap_is_refused(
    api_settings: Settings, auth: dict[str, dict[str, str]]
) -> None:
    capped = create_app(api_settings.model_copy(update={"api_max_run_calls": 10}))
    with TestClient(capped) as client:
        body = {"prompts": ["prime_check"]}
        answer = client.post("/api/v1/runs", json=body, headers=auth["admin"])
        assert answer.status_code == 422
        assert "the limit is 10" in answer.json()["detail"]


def test_the_same_idempotency_key_returns_the_same_run(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    admin = {**auth["admin"], "Idempotency-Key": "ci-build-1234"}
    body = {"prompts": ["prime_check"], "cases": ["*2*"]}
    first = client.post("/api/v1/runs", json=body, headers=admin)
    again = client.post("/api/v1/runs", json=body, headers=admin)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    other = client.post("/api/v1/runs", json={**body, "samples": 2}, headers=admin)
    assert other.status_code == 409
    wait_for_run(client, first.json()["id"], auth["admin"])
    creations = client.get("/api/v1/audit", params={"action": "run.create"}, headers=admin)
    assert len(creations.json()["items"]) == 1


def test_a_submitted_run_is_started_by_the_background_starter(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    """The API's embedded executor is the background run starter: the run is stored as one,
    owned by the API's process, with the client's request as submitted."""
    admin = auth["admin"]
    body = {"prompts": ["prime_check"], "cases": ["*3*"], "samples": 2}
    run = client.post("/api/v1/runs", json=body, headers=admin).json()
    assert wait_for_run(client, run["id"], admin)["status"] == "completed"
    engine = client.app.state.pc.engine  # type: ignore[attr-defined]
    with store.session_scope(engine) as session:
        row = store.get_run(session=session, run_id=run["id"])
    assert row.spec.execution == "background" and row.executor == "embedded"
    assert row.owner_pid == os.getpid() and row.spec.queue is None
    assert row.spec.request.prompts == ("prime_check",) and row.spec.request.samples == 2
    assert row.spec.request.labels == {"cases": '["*3*"]'}
    assert run["request"] == row.spec.request.model_dump(mode="json")
    assert {c.prompt for c in row.spec.comparisons} == {"prime_check"}


def test_runs_are_listed_newest_first_with_filters_and_cursor(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    admin = auth["admin"]
    ids = []
    for pattern in ("*1*", "*2*"):
        answer = client.post(
            "/api/v1/runs", json={"prompts": ["prime_check"], "cases": [pattern]}, headers=admin
        )
        ids.append(answer.json()["id"])
        wait_for_run(client, ids[-1], admin)
    first = client.get("/api/v1/runs", params={"limit": 2}, headers=admin).json()
    assert [r["id"] for r in first["items"]] == [ids[1], ids[0]]
    rest = client.get(
        "/api/v1/runs", params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin
    ).json()
    assert [r["id"] for r in rest["items"]] == [run_id] and rest["next_cursor"] is None
    running = client.get("/api/v1/runs", params={"status": "running"}, headers=admin).json()
    assert running["items"] == []
    bad = client.get("/api/v1/runs", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["where"] == "cursor"


def test_a_running_run_is_cancelled_and_a_finished_one_is_not(
    client: TestClient, auth: dict[str, dict[str, str]], sim: SimulatorProcess, run_id: str
) -> None:
    admin = auth["admin"]
    sim.add_faults([{"kind": "timeout", "seconds": 20, "count": 1000}])
    run = client.post(
        "/api/v1/runs", json={"prompts": ["prime_check"], "samples": 2}, headers=admin
    ).json()
    cancelled = client.post(f"/api/v1/runs/{run['id']}/cancel", headers=admin)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert "admin-1" in cancelled.json()["error"]
    deadline_run = wait_for_run(client, run["id"], admin, timeout=10)
    assert deadline_run["status"] == "cancelled"
    assert client.app.state.pc.background.wait(10)  # type: ignore[attr-defined]
    again = client.post(f"/api/v1/runs/{run['id']}/cancel", headers=admin)
    assert again.status_code == 409
    assert client.post(f"/api/v1/runs/{run_id}/cancel", headers=admin).status_code == 409
    missing = client.post(f"/api/v1/runs/{'f' * 32}/cancel", headers=admin)
    assert missing.status_code == 404 and missing.json()["title"] == "Not Found"
