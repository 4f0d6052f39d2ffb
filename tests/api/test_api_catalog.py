"""Snapshots, baselines, prompts, targets, health, readiness, metrics and the error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from api import create_app
from promptcompat import store
from promptcompat.config import Settings


def test_snapshots_are_listed_filtered_paged_and_read_in_full(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    viewer = auth["viewer"]
    first = client.get("/api/v1/snapshots", params={"limit": 50}, headers=viewer).json()
    assert len(first["items"]) == 50 and first["next_cursor"]
    rest = client.get(
        "/api/v1/snapshots", params={"limit": 50, "cursor": first["next_cursor"]}, headers=viewer
    ).json()
    keys = [s["cache_key"] for s in first["items"] + rest["items"]]
    assert len(keys) == len(set(keys)) == 72  # 24 cases x 3 (prompt version, target) cells
    only = client.get(
        "/api/v1/snapshots", params={"version": "v2", "limit": 500}, headers=viewer
    ).json()["items"]
    assert len(only) == 24 and {s["version"] for s in only} == {"v2"}
    one = client.get(f"/api/v1/snapshots/{keys[0]}", headers=viewer)
    assert one.status_code == 200
    body = one.json()
    assert body["text"] and body["request"]["messages"] and body["status"] == "ok"
    assert "api_key" not in one.text.lower()
    assert client.get(f"/api/v1/snapshots/{'0' * 64}", headers=viewer).status_code == 404
    assert client.get("/api/v1/snapshots/short", headers=viewer).status_code == 422


def test_baselines_list_who_accepted_what(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    baselines = client.get(
        "/api/v1/baselines", params={"limit": 500}, headers=auth["viewer"]
    ).json()["items"]
    assert len(baselines) == 24
    assert {b["accepted_by"] for b in baselines} == {"first-run"}
    assert {b["version"] for b in baselines} == {"v1"}


def test_prompts_and_targets(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    viewer = auth["viewer"]
    prompts = {p["name"]: p for p in client.get("/api/v1/prompts", headers=viewer).json()}
    assert set(prompts) >= {"extract_contact", "prime_check", "triage_ticket", "write_function"}
    contact = client.get("/api/v1/prompts/extract_contact", headers=viewer).json()
    assert contact == prompts["extract_contact"]
    assert contact["deployed"] == "v1" and contact["cases"] == 24
    replayed = {v["version"]: v["replayed"] for v in contact["versions"]}
    assert replayed["v1"] and replayed["v2"]
    assert client.get("/api/v1/prompts/nope", headers=viewer).status_code == 404
    targets = {t["target"]: t for t in client.get("/api/v1/targets", headers=viewer).json()}
    old = targets["openai:gpt-sim-2024-05-13?temperature=0"]
    assert old["calls"] == 48 and old["baselines"] == 24
    assert "extract_contact" in old["declared_by"]


def test_readiness_and_metrics(
    client: TestClient, auth: dict[str, dict[str, str]], backend: str
) -> None:
    ready = client.get("/api/v1/ready").json()
    assert ready["database"] == backend and ready["executor"] == "embedded"
    client.get("/api/v1/runs", headers=auth["viewer"])
    client.get("/api/v1/runs")
    text = client.get("/api/v1/metrics").text
    counter = 'promptcompat_http_requests_total{method="GET",route="/api/v1/runs",status="200"}'
    assert counter in text
    assert 'route="/api/v1/runs",status="401"' in text
    assert "promptcompat_http_request_duration_seconds_bucket" in text
    assert "promptcompat_runs_executing 0.0" in text


def test_readiness_is_503_when_the_database_is_behind_the_code(api_settings: Settings) -> None:
    with TestClient(create_app(api_settings)) as client:
        assert client.get("/api/v1/ready").status_code == 200
        engine = client.app.state.pc.engine  # type: ignore[attr-defined]
        with engine.begin() as connection:  # as if an older release had written this store
            connection.execute(text("UPDATE alembic_version SET version_num = '0002'"))
        answer = client.get("/api/v1/ready")
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert f"not {store.SCHEMA_REVISION}" in answer.json()["detail"]
        assert client.get("/api/v1/health").status_code == 200  # alive, just not ready


def test_every_error_is_problem_details(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    answers = [
        client.get("/api/v1/no-such-thing"),
        client.delete("/api/v1/health"),
        client.post("/api/v1/runs", content=b"{not json", headers=auth["admin"]),
        client.get("/api/v1/runs", params={"limit": "many"}, headers=auth["viewer"]),
    ]
    assert [a.status_code for a in answers] == [404, 405, 422, 422]
    for answer in answers:
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert {"type", "title", "status", "detail"} <= set(problem)
        assert problem["status"] == answer.status_code
    assert answers[1].headers["allow"] == "GET"


def test_the_openapi_schema_documents_problem_answers(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    accept = schema["paths"]["/api/v1/runs/{run_id}/cases/{case}/accept"]["post"]
    for code in ("401", "403", "404", "409", "413", "422"):
        assert "application/problem+json" in accept["responses"][code]["content"], code
    assert accept["summary"] and accept["description"].startswith("Accept a pending case")
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert "/api/v1/docs" not in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200
