"""A case is named as the README documents it: by its case id from the suite (narrowed to one
comparison when it is in several), or by the case result id of the case list."""

from __future__ import annotations

from typing import Any

from api_helpers import first_case
from fastapi.testclient import TestClient

OLD = "openai:gpt-sim-2024-05-13?temperature=0"
NEW = "openai:gpt-sim-2025-06-01?temperature=0"


def test_a_case_id_names_a_case_narrowed_by_version_or_target(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    viewer = auth["viewer"]
    listed = first_case(client, run_id, viewer, version="v2")
    case_id = listed["case_id"]
    path = f"/api/v1/runs/{run_id}/cases/{case_id}"

    # extract_contact is FULL: each case is in the FORWARD and the BACKWARD comparison.
    both = client.get(path, headers=viewer)
    assert both.status_code == 409, both.text
    assert both.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = both.json()
    assert problem["where"] == case_id and "prompt, version or target" in problem["detail"]
    matches = {m["direction"]: m for m in problem["matches"]}
    assert set(matches) == {"FORWARD", "BACKWARD"}
    assert matches["BACKWARD"]["case_result_id"] == listed["id"]
    assert matches["FORWARD"]["candidate_target"] == NEW

    backward = client.get(path, params={"version": "v2"}, headers=viewer)
    assert backward.status_code == 200, backward.text
    assert (backward.json()["id"], backward.json()["direction"]) == (listed["id"], "BACKWARD")
    forward = client.get(path, params={"target": NEW}, headers=viewer)
    assert forward.status_code == 200, forward.text
    assert forward.json()["id"] == matches["FORWARD"]["case_result_id"]
    assert forward.json()["case_id"] == case_id and forward.json()["samples"]["candidate"]
    # A filter matching both sides' target leaves both; a prompt filter does too.
    assert client.get(path, params={"target": OLD}, headers=viewer).status_code == 409
    both_again = client.get(path, params={"prompt": "extract_contact"}, headers=viewer)
    assert both_again.status_code == 409

    # The case result id keeps working, and names the same result as the narrowed case id.
    by_result = client.get(f"/api/v1/runs/{run_id}/cases/{listed['id']}", headers=viewer)
    assert by_result.status_code == 200 and by_result.json() == backward.json()


def test_unknown_case_ids_are_404_and_bad_names_422(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    viewer = auth["viewer"]
    case_id = first_case(client, run_id, viewer)["case_id"]
    base = f"/api/v1/runs/{run_id}/cases"
    for path, params in (
        (f"{base}/no-such-case", {}),
        (f"{base}/{case_id}", {"prompt": "triage_ticket"}),
        (f"{base}/{case_id}", {"version": "v9"}),
        (f"{base}/{'e' * 32}", {}),
    ):
        answer = client.get(path, params=params, headers=viewer)
        assert answer.status_code == 404, (path, params, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert client.get(f"{base}/a b", headers=viewer).status_code == 422
    assert (
        client.get(f"{base}/{case_id}", params={"target": "gpt"}, headers=viewer).status_code == 422
    )
    # Without a token nothing is told about which cases exist.
    assert client.get(f"{base}/{case_id}").status_code == 401
    assert client.get(f"{base}/no-such-case").status_code == 401


def test_accept_and_reject_take_a_case_id_too(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    reviewer = auth["reviewer"]
    case = first_case(client, run_id, reviewer, verdict="BREAKING", version="v2")
    path = f"/api/v1/runs/{run_id}/cases/{case['case_id']}"
    ambiguous = client.post(f"{path}/accept", json={}, headers=reviewer)
    assert ambiguous.status_code == 409 and len(ambiguous.json()["matches"]) == 2
    rejected = client.post(
        f"{path}/reject", params={"version": "v2"}, json={"reason": "no"}, headers=reviewer
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["case_result_id"] == case["id"]
    detail = client.get(f"/api/v1/runs/{run_id}/cases/{case['id']}", headers=reviewer).json()
    assert detail["review"]["decision"] == "rejected"


def test_the_openapi_schema_documents_case_ids_and_the_409(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    get_case = schema["paths"]["/api/v1/runs/{run_id}/cases/{case}"]["get"]
    params = {p["name"]: p for p in get_case["parameters"]}
    assert {"prompt", "version", "target"} <= set(params)
    assert "case id" in params["case"]["description"]
    assert "matches" in get_case["responses"]["409"]["description"]
    assert "matches" in schema["components"]["schemas"]["Problem"]["properties"]
    releases = schema["paths"]["/api/v1/releases"]["get"]
    assert {p["name"] for p in releases["parameters"]} == {"limit", "cursor"}
