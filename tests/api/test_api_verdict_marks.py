""" "This verdict is wrong": marks over HTTP and the CLI, audited, exported as labelled pairs
(`promptcompat labels export`) that `promptcompat judge calibrate` reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

from api_helpers import first_case
from clirun import cli
from fastapi.testclient import TestClient

from promptcompat.config import Settings
from promptcompat.simulator.process import SimulatorProcess


def test_marks_round_trip_through_the_api_the_cli_labels_export_and_calibrate(
    client: TestClient,
    auth: dict[str, dict[str, str]],
    run_id: str,
    api_settings: Settings,
    sim: SimulatorProcess,
    tmp_path: Path,
) -> None:
    reviewer, viewer = auth["reviewer"], auth["viewer"]
    case = first_case(client, run_id, reviewer, verdict="BREAKING")
    path = f"/api/v1/runs/{run_id}/cases/{case['id']}/verdict"
    body = {"right_verdict": "COMPATIBLE", "reason": "the rename is harmless to the importer"}
    assert client.post(path, json=body, headers=viewer).status_code == 403
    assert client.post(path, json={"right_verdict": "FINE"}, headers=reviewer).status_code == 422
    same = client.post(path, json={"right_verdict": "BREAKING"}, headers=reviewer)
    assert same.status_code == 409 and "already is BREAKING" in same.json()["detail"]
    marked = client.post(path, json=body, headers=reviewer)
    assert marked.status_code == 200, marked.text
    mark = marked.json()
    assert (mark["verdict"], mark["right_verdict"], mark["label"]) == (
        "BREAKING",
        "COMPATIBLE",
        "equivalent",
    )
    assert mark["reviewer"] == "reviewer-1"
    audit = client.get("/api/v1/audit", params={"subject": case["id"]}, headers=reviewer).json()
    (entry,) = audit["items"]
    assert entry["action"] == "case.mark" and entry["reason"] == body["reason"]
    assert entry["detail"]["right_verdict"] == "COMPATIBLE"

    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    env |= {
        "PROMPTCOMPAT_HOME": str(api_settings.home),
        "PROMPTCOMPAT_DATABASE_URL": api_settings.resolved_database_url(),
        "PROMPTCOMPAT_PROMPTS_DIR": str(api_settings.prompts_dir),
        "PROMPTCOMPAT_OPENAI_BASE_URL": sim.openai_base_url,
        "PROMPTCOMPAT_JUDGE_SAMPLES": "1",
        "OPENAI_API_KEY": "sk-test",
    }
    # The CLI face marks another case of the run the same way.
    other = first_case(client, run_id, reviewer, verdict="COMPATIBLE")
    done = cli(
        "labels", "mark", run_id, other["id"], "--right", "BREAKING", "--reason", "lost a field",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "should be BREAKING (label different)" in done.stdout

    out = tmp_path / "labels.jsonl"
    done = cli("labels", "export", "--out", str(out), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pairs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [p["label"] for p in pairs] == ["equivalent", "different"]
    assert pairs[0]["reason"] == body["reason"]
    detail = client.get(f"/api/v1/runs/{run_id}/cases/{case['id']}", headers=reviewer).json()
    assert pairs[0]["baseline"] == detail["samples"]["baseline"][0]["text"]
    assert pairs[0]["candidate"] == detail["samples"]["candidate"][0]["text"]
    assert pairs[0]["source"].endswith(f"{case['prompt']}/{case['case_id']}")

    # The exported pairs are what `judge calibrate` reads (here: the marks themselves).
    done = cli(
        "judge", "calibrate", "--labels", str(out), "--judge", "openai:gpt-sim-judge",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "on 2 pairs" in done.stdout and "order consistency" in done.stdout
