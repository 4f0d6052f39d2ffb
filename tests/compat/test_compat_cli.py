"""The run/report/rules commands as a user runs them: rates, noise, A/A, --fail-on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clirun import cli

from promptcompat.rules import catalog_markdown


@pytest.fixture
def env(tmp_path: Path, prompts_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    return {
        **base,
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
        "COLUMNS": "200",
    }


def test_samples_5_shows_rates_and_noise(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    done = cli(
        "run",
        "--simulator",
        "--prompt",
        "triage_ticket",
        "--samples",
        "5",
        "--json-out",
        str(out),
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # the new model breaks triage
    text = done.stdout
    assert "samples 5" in text
    assert "[5/5 vs 0/5]" in text  # a breaking finding with its rates
    assert "Noise" in text and "$.confidence" in text and "NOISE" in text
    assert "Reference accuracy by target" in text
    assert "Compatibility matrix · triage_ticket" in text
    report = json.loads(out.read_text())
    # the matrix: per cell, which directions hold and the verdict counts behind them
    forward = next(c for c in report["comparisons"] if c["direction"] == "FORWARD")
    backward = next(c for c in report["comparisons"] if c["direction"] == "BACKWARD")
    cells = {(c["version"], c["target"]): c for c in report["matrix"]["triage_ticket"]["cells"]}
    new_model = cells["v1", forward["candidate"]["target"]]["directions"]["FORWARD"]
    assert not new_model["holds"] and new_model["enforced"]
    assert new_model["verdicts"] == forward["verdicts"] and forward["verdicts"]["BREAKING"] > 0
    new_version = cells["v2", backward["candidate"]["target"]]["directions"]["BACKWARD"]
    assert new_version["holds"] and new_version["verdicts"]["BREAKING"] == 0
    assert cells["v1", forward["baseline"]["target"]]["baseline_for"] == 2
    noise = [f for c in report["cases"] for f in c["findings"] if f["noise"]]
    assert noise and all(f["severity"] == "INFO" for f in noise)
    run_id = report["run"]["id"]
    # the exit code follows --fail-on, from the stored run alone
    strict = cli("report", run_id[:12], "--fail-on", "WARN", "--json", env=env, cwd=tmp_path)
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["fail_on"] == "WARN"
    bad = cli("report", run_id[:12], "--fail-on", "INFO", env=env, cwd=tmp_path)
    assert bad.returncode == 2


def test_fail_on_decides_the_exit_code(env: dict[str, str], tmp_path: Path) -> None:
    # v2 on the pinned model at one sample: the confidence moves (WARN), nothing breaks (ERR)
    out = tmp_path / "r.json"
    args = ("run", "--simulator", "-p", "triage_ticket", "--candidate-version", "v2")
    strict = cli(*args, "--fail-on", "WARN", "--json-out", str(out), env=env, cwd=tmp_path)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "fail on WARN" in strict.stdout and "Verdict: CHANGED (exit code 1)" in strict.stdout
    report = json.loads(out.read_text())
    assert [c["direction"] for c in report["comparisons"]] == ["BACKWARD"]
    verdicts = report["comparisons"][0]["verdicts"]
    assert verdicts["CHANGED"] > 0 and verdicts["BREAKING"] == verdicts["ERROR"] == 0
    run_id = report["run"]["id"][:12]
    # the same stored run passes under --fail-on ERR
    lenient = cli("report", run_id, "--fail-on", "ERR", env=env, cwd=tmp_path)
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "Verdict: CHANGED (exit code 0)" in lenient.stdout


def test_aa_prints_the_noise_floor_and_exits_zero(env: dict[str, str], tmp_path: Path) -> None:
    done = cli(
        "run", "--simulator", "--aa", "--samples", "3", "-p", "triage_ticket", env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Noise floor (A/A" in done.stdout
    assert "A/A" in done.stdout


def test_rules_lists_the_catalog(env: dict[str, str], tmp_path: Path) -> None:
    table = cli("rules", env=env, cwd=tmp_path)
    assert table.returncode == 0
    assert "waiver.expired" in table.stdout and "BACKWARD" in table.stdout
    assert "tool.text_instead_of_call" in table.stdout
    assert "request.param_rejected" in table.stdout
    markdown = cli("rules", "--markdown", env=env, cwd=tmp_path)
    assert markdown.stdout == catalog_markdown()
