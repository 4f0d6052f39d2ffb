"""Reviewing through HTTP: accept makes the candidate the baseline, reject keeps the break,
bulk decisions by rule, and every decision in the audit log."""

from __future__ import annotations

from api_helpers import first_case
from fastapi.testclient import TestClient
from sqlmodel import select

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.store.tables.core import Call


def test_accepting_a_case_makes_its_candidate_output_the_baseline(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    reviewer = auth["reviewer"]
    case = first_case(client, run_id, reviewer, verdict="BREAKING", version="v2")
    detail = client.get(f"/api/v1/runs/{run_id}/cases/{case['id']}", headers=reviewer).json()
    accepted = client.post(
        f"/api/v1/runs/{run_id}/cases/{case['id']}/accept",
        json={"reason": "the importer reads the new field"},
        headers=reviewer,
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["decision"] == "accepted"
    assert accepted.json()["reviewer"] == "reviewer-1"
    baselines = client.get(
        "/api/v1/baselines",
        params={"prompt": "extract_contact", "version": "v2", "case_id": case["case_id"]},
        headers=reviewer,
    ).json()["items"]
    assert [(b["cache_key"], b["accepted_by"]) for b in baselines] == [
        (detail["samples"]["candidate"][0]["cache_key"], "reviewer-1")
    ]
    after = client.get(f"/api/v1/runs/{run_id}/cases/{case['id']}", headers=reviewer).json()
    assert after["pending"] is False and after["review"]["decision"] == "accepted"
    assert after["verdict"] == "BREAKING"  # the report of the run does not change
    again = client.post(
        f"/api/v1/runs/{run_id}/cases/{case['id']}/reject", json={}, headers=reviewer
    )
    assert again.status_code == 409 and "final" in again.json()["detail"]
    audit = client.get("/api/v1/audit", params={"subject": case["id"]}, headers=reviewer).json()
    (entry,) = audit["items"]
    assert entry["action"] == "case.accept" and entry["actor"] == "reviewer-1"
    assert entry["reason"] == "the importer reads the new field"
    assert entry["detail"]["candidate"]["version"] == "v2"


def test_a_rejected_case_stays_a_break_and_can_still_be_accepted(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    reviewer = auth["reviewer"]
    case = first_case(client, run_id, reviewer, verdict="BREAKING")
    path = f"/api/v1/runs/{run_id}/cases/{case['id']}"
    reason = {"reason": "fences break the parser"}
    rejected = client.post(f"{path}/reject", json=reason, headers=reviewer)
    assert rejected.status_code == 200 and rejected.json()["decision"] == "rejected"
    assert client.post(f"{path}/reject", json={}, headers=reviewer).status_code == 409
    summary = client.get(f"/api/v1/runs/{run_id}/report", headers=reviewer).json()
    assert summary["verdict"] == "BREAKING" and summary["review"]["rejected"] == 1
    assert client.post(f"{path}/accept", json={}, headers=reviewer).status_code == 200
    actions = [
        (e["action"], e["detail"]["previous"])
        for e in client.get(
            "/api/v1/audit", params={"subject": case["id"]}, headers=reviewer
        ).json()["items"]
    ]
    assert actions == [("case.accept", "rejected"), ("case.reject", None)]


def test_compatible_cases_have_nothing_to_accept(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    case = first_case(client, run_id, auth["reviewer"], verdict="COMPATIBLE")
    answer = client.post(
        f"/api/v1/runs/{run_id}/cases/{case['id']}/accept", json={}, headers=auth["reviewer"]
    )
    assert answer.status_code == 409 and "COMPATIBLE" in answer.json()["detail"]
    wrong_run = client.post(
        f"/api/v1/runs/{'a' * 32}/cases/{case['id']}/accept", json={}, headers=auth["reviewer"]
    )
    assert wrong_run.status_code == 404


def test_bulk_decisions_by_rule_then_for_the_rest(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    reviewer = auth["reviewer"]
    path = f"/api/v1/runs/{run_id}/review"
    by_rule = client.post(
        path,
        json={"action": "reject", "rule": "json.field_removed", "reason": "renames break the CRM"},
        headers=reviewer,
    )
    assert by_rule.status_code == 200, by_rule.text
    rejected = by_rule.json()["decided"]
    assert rejected > 0 and not by_rule.json()["skipped"]
    rest = client.post(path, json={"action": "accept", "reason": "drift is fine"}, headers=reviewer)
    summary = client.get(f"/api/v1/runs/{run_id}/report", headers=reviewer).json()
    assert summary["review"] == {
        "pending": 0,
        "accepted": rest.json()["decided"],
        "rejected": rejected,
    }
    assert client.post(path, json={"action": "accept"}, headers=reviewer).json()["decided"] == 0
    decided = [d["case_result_id"] for d in rest.json()["decisions"][:2]]
    listed = client.post(
        path, json={"action": "reject", "case_result_ids": decided}, headers=reviewer
    ).json()
    assert listed["decided"] == 0 and len(listed["skipped"]) == 2
    audit = client.get(
        "/api/v1/audit", params={"run_id": run_id, "limit": 500}, headers=reviewer
    ).json()
    assert len(audit["items"]) == rejected + rest.json()["decided"]


def test_a_case_whose_candidate_sample_failed_cannot_be_accepted(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str, api_settings: Settings
) -> None:
    reviewer = auth["reviewer"]
    case = first_case(client, run_id, reviewer, verdict="BREAKING", rule="json.field_removed")
    detail = client.get(f"/api/v1/runs/{run_id}/cases/{case['id']}", headers=reviewer).json()
    key = detail["samples"]["candidate"][0]["cache_key"]
    engine = store.open_engine(api_settings.resolved_database_url())
    with store.session_scope(engine) as session:  # the call failed after all (say, a retry)
        call = session.exec(select(Call).where(Call.cache_key == key)).one()
        call.status, call.snapshot_hash, call.error_reason = "error", None, "transient"
        session.add(call)
    answer = client.post(
        f"/api/v1/runs/{run_id}/cases/{case['id']}/accept", json={}, headers=reviewer
    )
    assert answer.status_code == 409 and "failed" in answer.json()["detail"]
    bulk = client.post(
        f"/api/v1/runs/{run_id}/review",
        json={"action": "accept", "rule": "json.field_removed"},
        headers=reviewer,
    ).json()
    assert case["id"] in bulk["skipped"] and bulk["decided"] > 0
    still = client.get(f"/api/v1/runs/{run_id}/cases/{case['id']}", headers=reviewer).json()
    assert still["pending"] is True
