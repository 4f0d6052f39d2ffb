"""Reports through HTTP: summary, matrix, findings by rule, filtered case pages, one case."""

from __future__ import annotations

from typing import Any

from api_helpers import first_case
from fastapi.testclient import TestClient


def test_the_summary_matches_the_stored_report(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    summary = client.get(f"/api/v1/runs/{run_id}/report", headers=auth["viewer"])
    assert summary.status_code == 200
    body = summary.json()
    assert body["format"].startswith("promptcompat.report/")
    assert body["verdict"] == "BREAKING" and body["exit_code"] == 1
    assert body["run"]["id"] == run_id and body["run"]["status"] == "completed"
    directions = sorted(c["direction"] for c in body["comparisons"])
    assert directions == ["BACKWARD", "FORWARD"]
    assert "cases" not in body
    breaking = sum(c["verdicts"]["BREAKING"] for c in body["comparisons"])
    changed = sum(c["verdicts"]["CHANGED"] for c in body["comparisons"])
    assert body["review"] == {"pending": breaking + changed, "accepted": 0, "rejected": 0}
    # Per prompt: which checks could see a change (issue 16 item 10).
    coverage = body["prompts"]["extract_contact"]["coverage"]
    assert coverage["line"].startswith("watched by contract (format: json, schema")
    assert coverage["families"]["structure"]["watched"] and "references" in coverage["inert"]
    # the fact diff's part (JSON outputs of extract_contact hold no free text to compare)
    assert set(coverage["facts"]) == {
        "checked",
        "not_checked",
        "not_checked_cases",
        "undecided_facts",
    }
    assert body["prompts"]["extract_contact"]["baseline_fails_contract"] == []
    assert "prompts" not in body["extra"]
    # A unique prefix of the id works as on the command line.
    prefix = client.get(f"/api/v1/runs/{run_id[:8]}/report", headers=auth["viewer"])
    assert prefix.json()["run"]["id"] == run_id


def test_matrix_and_findings_by_rule(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    matrix = client.get(f"/api/v1/runs/{run_id}/matrix", headers=auth["viewer"]).json()
    grid = matrix["matrix"]["extract_contact"]
    assert grid["versions"] == ["v1", "v2"] and len(grid["targets"]) == 2
    held = {
        (cell["version"], direction): entry["holds"]
        for cell in grid["cells"]
        for direction, entry in cell["directions"].items()
    }
    assert held == {("v1", "FORWARD"): False, ("v2", "BACKWARD"): False}
    rules = client.get(f"/api/v1/runs/{run_id}/findings", headers=auth["viewer"]).json()["rules"]
    assert "json.field_removed" in rules
    assert rules["json.field_removed"]["cases"]


def all_cases(client: TestClient, run_id: str, headers: dict[str, str], **params: Any) -> list:  # type: ignore[type-arg]
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v1/runs/{run_id}/cases", params=query, headers=headers)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def test_case_pages_walk_every_result_once_in_report_order(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    viewer = auth["viewer"]
    cases = all_cases(client, run_id, viewer)
    assert len(cases) == len({c["id"] for c in cases}) == 48
    order = [(c["comparison"], c["case_id"]) for c in cases]
    assert [o[0] for o in order] == sorted(o[0] for o in order)
    breaking = all_cases(client, run_id, viewer, verdict="BREAKING")
    assert breaking and all(c["verdict"] == "BREAKING" for c in breaking)
    renamed = all_cases(client, run_id, viewer, rule="json.field_removed")
    assert renamed and all(
        any(f["rule"] == "json.field_removed" for f in c["findings"]) for c in renamed
    )
    v2 = all_cases(client, run_id, viewer, version="v2")
    assert v2 and all(c["candidate"]["version"] == "v2" for c in v2)
    assert all_cases(client, run_id, viewer, prompt="prime_check") == []
    pending = all_cases(client, run_id, viewer, review="pending")
    assert {c["id"] for c in pending} == {
        c["id"] for c in cases if c["verdict"] in ("CHANGED", "BREAKING")
    }
    assert all(c["pending"] and c["review"] is None for c in pending)


def test_one_case_in_full(client: TestClient, auth: dict[str, dict[str, str]], run_id: str) -> None:
    case = first_case(client, run_id, auth["viewer"], rule="json.field_removed")
    detail = client.get(f"/api/v1/runs/{run_id}/cases/{case['id']}", headers=auth["viewer"])
    assert detail.status_code == 200
    body = detail.json()
    assert body["request"]["candidate"]["messages"][0]["role"] == "system"
    assert body["request"]["baseline"]["model"] != "" and body["request"]["candidate"]["model"]
    base, cand = body["samples"]["baseline"], body["samples"]["candidate"]
    assert len(base) == len(cand) == 1 and base[0]["text"] != cand[0]["text"]
    assert cand[0]["status"] == "ok" and cand[0]["output_tokens"] > 0
    assert body["text_diff"].startswith("---") or "@@" in body["text_diff"]
    assert body["structural_diff"]
    assert any(f["rule"] == "json.field_removed" for f in body["findings"])


def test_unknown_runs_and_cases_are_404_and_bad_filters_422(
    client: TestClient, auth: dict[str, dict[str, str]], run_id: str
) -> None:
    viewer = auth["viewer"]
    other = "e" * 32
    for path in ("report", "matrix", "findings", "cases", f"cases/{other}"):
        answer = client.get(f"/api/v1/runs/{other}/{path}", headers=viewer)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/problem+json"
    assert client.get(f"/api/v1/runs/{run_id}/cases/{other}", headers=viewer).status_code == 404
    for params in ({"verdict": "MAYBE"}, {"review": "later"}, {"cursor": "!!"}, {"limit": 0}):
        answer = client.get(f"/api/v1/runs/{run_id}/cases", params=params, headers=viewer)
        assert answer.status_code == 422, params
        assert answer.json()["errors"][0]["loc"][0] == "query"
