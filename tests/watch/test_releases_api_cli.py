"""The manual triggers: ``POST /api/v1/releases`` (admin) and ``promptcompat watch --once``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from typer.testing import CliRunner
from watch_helpers import events, polls, runs

from api import create_app
from promptcompat import store
from promptcompat.cli import app as cli_app
from promptcompat.config import Settings
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store import api_tokens as tokens

PEPPER = "watch-tests-pepper-0123456789"


@pytest.fixture
def api(settings: Settings, engine: Engine) -> Iterator[tuple[TestClient, dict[str, str]]]:
    api_settings = settings.model_copy(update={"api_token_pepper": SecretStr(PEPPER)})
    plain: dict[str, str] = {}
    with store.session_scope(engine) as session:
        for role in ("viewer", "admin"):
            _, plain[role] = tokens.create_token(
                session=session, name=f"{role}-1", role=role, pepper=PEPPER
            )
    with TestClient(create_app(api_settings)) as client:
        yield client, {r: f"Bearer {t}" for r, t in plain.items()}


def test_an_admin_announces_a_release_once(
    api: tuple[TestClient, dict[str, str]], engine: Engine
) -> None:
    client, auth = api
    model = f"gpt-sim-2026-{uuid.uuid4().hex[:8]}"
    body = {"account": "openai", "model": model}
    first = client.post("/api/v1/releases", json=body, headers={"authorization": auth["admin"]})
    assert first.status_code == 202, first.text
    data = first.json()
    assert data["created"] is True and data["kind"] == "release" and data["source"] == "api:admin-1"
    [run] = data["runs"]
    assert run["prompts"] == ["extract_contact"]
    assert run["candidate"] == f"openai:{model}?temperature=0"
    assert run["links"]["report"].endswith(f"/api/v1/runs/{run['run_id']}/report")

    again = client.post("/api/v1/releases", json=body, headers={"authorization": auth["admin"]})
    assert again.status_code == 200 and again.json()["created"] is False
    assert [r["run_id"] for r in again.json()["runs"]] == [run["run_id"]]
    assert len(events(engine)) == 1 and len(runs(engine)) == 1
    # The API's embedded executor starts release runs as it starts submitted ones.
    assert [r.spec.execution for r in runs(engine)] == ["background"]

    listed = client.get("/api/v1/releases", headers={"authorization": auth["viewer"]})
    assert listed.status_code == 200
    assert [e["model"] for e in listed.json()["items"]] == [model]


def test_announcing_needs_the_admin_role_and_a_valid_body(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = api
    body = {"account": "openai", "model": "gpt-sim-2026-x"}
    viewer = client.post("/api/v1/releases", json=body, headers={"authorization": auth["viewer"]})
    assert viewer.status_code == 403
    assert client.post("/api/v1/releases", json=body).status_code == 401
    bad = client.post(
        "/api/v1/releases",
        json={**body, "model": "gpt x?y"},
        headers={"authorization": auth["admin"]},
    )
    assert bad.status_code == 422
    unknown = client.post(
        "/api/v1/releases",
        json={**body, "account": "mistral"},
        headers={"authorization": auth["admin"]},
    )
    assert unknown.status_code == 422 and "known: openai" in unknown.text
    extra = client.post(
        "/api/v1/releases", json={**body, "run": "x"}, headers={"authorization": auth["admin"]}
    )
    assert extra.status_code == 422


def test_watch_once_polls_and_replays_a_new_model(
    settings: Settings, engine: Engine, sim: SimulatorProcess
) -> None:
    runner = CliRunner()
    first = runner.invoke(cli_app, ["watch", "--once"])
    assert first.exit_code == 0, first.output
    assert "openai:" in first.output and "0 release events" in first.output
    model = f"gpt-sim-2026-{uuid.uuid4().hex[:8]}"
    sim.add_model(model, behaves_like="gpt-sim-2025-06-01")
    second = runner.invoke(cli_app, ["watch", "--once"])
    assert second.exit_code == 0, second.output
    [run] = runs(engine)
    assert f"runs {run.id}" in second.output and "1 release events" in second.output
    assert run.status in ("completed", "completed_with_errors")
    assert run.spec.execution == "inline"  # watch --once executes its runs here, before it ends
    assert len(polls(engine, "openai")) == 2
