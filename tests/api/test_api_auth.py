"""Authentication and roles through HTTP: 401 without a live token, 403 for a role that may not."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

import pytest
from api_helpers import first_case, serve_in_thread
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pgcluster import Backend

from api.logs import REDACTED_LOGGERS, log_config


@pytest.fixture
def backend() -> Backend:
    # The subject is HTTP authentication and roles; a stored token is looked up on
    # PostgreSQL by every endpoint test that runs there. SQLite alone (CI time).
    return "sqlite"


PUBLIC = {"/api/v1/health", "/api/v1/ready", "/api/v1/metrics", "/api/v1/openapi.json"}


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    return [(m.upper(), p) for p, item in paths.items() for m in item]


def concrete(path: str) -> str:
    return (
        path.replace("{run_id}", "0" * 32)
        .replace("{case_result_id}", "0" * 32)
        .replace("{token_id}", "0" * 32)
        .replace("{cache_key}", "0" * 64)
        .replace("{name}", "extract_contact")
    )


@pytest.mark.parametrize("token", [None, "pct_not-a-real-token", "Basic abc", "pct_" + "x" * 43])
def test_every_protected_route_answers_401_without_a_live_token(
    client: TestClient, token: str | None
) -> None:
    routes = [(m, p) for m, p in api_routes(client) if p not in PUBLIC]
    assert len(routes) >= 20
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    for method, path in routes:
        response = client.request(method, concrete(path), headers=headers, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["status"] == 401


def test_public_routes_need_no_token(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert client.get("/api/v1/ready").json()["status"] == "ready"
    assert client.get("/api/v1/metrics").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_a_viewer_reads_but_cannot_accept_reject_or_submit(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    viewer = auth["viewer"]
    case = first_case(client, run_id, viewer, verdict="BREAKING")
    assert client.get(f"/api/v1/runs/{run_id}/report", headers=viewer).status_code == 200
    for action in ("accept", "reject"):
        answer = client.post(
            f"/api/v1/runs/{run_id}/cases/{case['id']}/{action}", json={}, headers=viewer
        )
        assert answer.status_code == 403, answer.text
        assert "reviewer" in answer.json()["detail"]
    bulk = client.post(f"/api/v1/runs/{run_id}/review", json={"action": "accept"}, headers=viewer)
    assert bulk.status_code == 403
    assert client.post("/api/v1/runs", json={}, headers=viewer).status_code == 403
    # Nothing was decided.
    audit = client.get("/api/v1/audit", params={"action": "case.accept"}, headers=viewer)
    assert audit.json()["items"] == []


def test_a_reviewer_decides_but_cannot_submit_runs_or_manage_tokens(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    reviewer = auth["reviewer"]
    assert client.post("/api/v1/runs", json={}, headers=reviewer).status_code == 403
    assert client.post(f"/api/v1/runs/{run_id}/cancel", headers=reviewer).status_code == 403
    assert client.get("/api/v1/tokens", headers=reviewer).status_code == 403
    assert client.get("/api/v1/settings", headers=reviewer).status_code == 403
    new = client.post("/api/v1/tokens", json={"name": "x", "role": "admin"}, headers=reviewer)
    assert new.status_code == 403
    me = client.get("/api/v1/me", headers=reviewer).json()
    assert me["role"] == "reviewer" and me["name"] == "reviewer-1"


def test_tokens_are_created_shown_once_listed_without_secret_and_revoked(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    admin = auth["admin"]
    created = client.post("/api/v1/tokens", json={"name": "ci", "role": "viewer"}, headers=admin)
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert token.startswith("pct_") and created.json()["prefix"] == token[:12]
    listed = client.get("/api/v1/tokens", headers=admin)
    assert token not in listed.text and "hash" not in listed.text
    assert "ci" in {t["name"] for t in listed.json()}
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["name"] == "ci"
    token_id = created.json()["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=admin).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=admin).status_code == 409
    unknown = "0" * 32
    assert client.delete(f"/api/v1/tokens/{unknown}", headers=admin).status_code == 404
    actions = [e["action"] for e in client.get("/api/v1/audit", headers=admin).json()["items"]]
    assert actions[:2] == ["token.revoke", "token.create"]


def test_tokens_never_appear_in_logs_or_error_answers(
    client: TestClient,
    auth: dict[str, dict[str, str]],
    run_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = []
    for headers in auth.values():
        secrets.append(headers["Authorization"].removeprefix("Bearer "))
        client.get(f"/api/v1/runs/{run_id}/report", headers=headers)
        client.get("/api/v1/runs/nothex!", headers=headers)
    bad = "pct_" + "y" * 43
    answer = client.get("/api/v1/runs", headers={"Authorization": f"Bearer {bad}"})
    created = client.post(
        "/api/v1/tokens", json={"name": "logged", "role": "viewer"}, headers=auth["admin"]
    )
    secrets += [bad, created.json()["token"]]
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in answer.text
    assert client.get("/api/v1/metrics").text.count("pct_") == 0


def test_tokens_never_reach_the_server_log_of_a_live_server(
    app: FastAPI,
    auth: dict[str, dict[str, str]],
    run_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """uvicorn with ``promptcompat serve``'s logging, every record captured: tokens in headers,
    a cookie, a sign-in form, a created token's answer, and one a client put in a URL."""
    caplog.set_level(logging.DEBUG)
    tokens = [h["Authorization"].removeprefix("Bearer ") for h in auth.values()]
    with serve_in_thread(
        app, log_config=log_config("debug"), log_level="debug", access_log=True
    ) as base:
        # After uvicorn configured its logging (which replaces the loggers' handlers).
        for name in REDACTED_LOGGERS:
            logging.getLogger(name).addHandler(caplog.handler)

        def call(path: str, data: bytes | None = None, **headers: str) -> tuple[int, bytes]:
            request = urllib.request.Request(base + path, data=data, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return int(response.status), response.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read()

        try:
            for headers in auth.values():
                assert call(f"/api/v1/runs/{run_id}/report", **headers)[0] == 200
            assert call("/api/v1/runs", Authorization="Bearer pct_" + "z" * 43)[0] == 401
            assert call(f"/api/v1/runs?token={tokens[0]}", **auth["viewer"])[0] == 200
            form = urllib.parse.urlencode({"token": tokens[1], "next": "/ui/runs"}).encode()
            assert call("/ui/login", form)[0] == 200  # followed the redirect, signed in
            assert call("/ui/runs", Cookie=f"promptcompat_token={tokens[1]}")[0] == 200
            body = b'{"name": "logged", "role": "viewer"}'
            json_admin = {**auth["admin"], "Content-Type": "application/json"}
            status, answer = call("/api/v1/tokens", body, **json_admin)
            assert status == 201
            tokens.append(json.loads(answer)["token"])
        finally:
            for name in REDACTED_LOGGERS:
                logging.getLogger(name).removeHandler(caplog.handler)
    logged = caplog.text
    assert f'"GET /api/v1/runs/{run_id}/report HTTP/1.1" 200' in logged  # the log is there
    assert '"POST /ui/login HTTP/1.1" 303' in logged
    assert "/api/v1/runs?token=pct_[redacted]" in logged
    for token in [*tokens, "pct_" + "z" * 43]:
        assert token not in logged


def test_settings_view_leaves_secrets_out(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    shown = client.get("/api/v1/settings", headers=auth["admin"])
    assert shown.status_code == 200
    assert "api_token_pepper" not in shown.json() and "test-pepper" not in shown.text
    assert shown.json()["api_executor"] == "embedded"
