"""Identical renders through the real CLI (issue 13.1): a version that differs from the
deployed one only by a template comment, and a dataset with a duplicate row, share their
provider calls; each case still gets its own baseline, on every run and check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from clirun import cli
from pr_helpers import check, cli_env, commit, git

from promptcompat.simulator.process import SimulatorProcess

REPO = Path(__file__).resolve().parents[2]
PROMPT = "contact"
EMAILS = {
    "maria": "Hi, I'm Maria Gonzalez from Acme Corp (maria@acme.example, +1 555 0100).",
    "tom": "Tom Baker here, 41, from Baker & Sons. Call me on 555 0199.",
}
PROMPT_YAML = """\
mode: FULL
deployed: v1
targets:
  pinned: openai:gpt-sim-2024-05-13?temperature=0
  candidates:
    - openai:gpt-sim-2025-06-01?temperature=0
contract:
  format: json
dataset: cases.jsonl
"""


def dataset(*rows: tuple[str, str]) -> str:
    return "".join(json.dumps({"id": i, "vars": {"email": EMAILS[e]}}) + "\n" for i, e in rows)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """``main``: one prompt, v1 released; ``pr`` checked out, where the tests change it."""
    repo = tmp_path / "repo"
    folder = repo / "prompts" / PROMPT
    (folder / "versions").mkdir(parents=True)
    (folder / "prompt.yaml").write_text(PROMPT_YAML, "utf-8")
    (folder / "cases.jsonl").write_text(dataset(("maria", "maria"), ("tom", "tom")), "utf-8")
    v1 = (REPO / "prompts" / "extract_contact" / "versions" / "v1.yaml").read_text("utf-8")
    (folder / "versions" / "v1.yaml").write_text(v1, "utf-8")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "a prompt")
    git(repo, "checkout", "-q", "-b", "pr")
    return repo


def run(repo: Path, env: dict[str, str], name: str) -> tuple[int, dict[str, Any]]:
    out = repo.parent / f"{name}.json"
    done = cli("run", "--simulator", "--json-out", str(out), env=env, cwd=repo)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert out.is_file(), done.stdout + done.stderr
    return done.returncode, json.loads(out.read_text("utf-8"))


def verdicts(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(c["direction"], c["case_id"]): c["verdict"] for c in report["cases"]}


def test_identical_renders_and_duplicate_cases_run_twice_and_check(
    repo: Path, tmp_path: Path, sim: SimulatorProcess
) -> None:
    env = cli_env(home=tmp_path / "home", prompts=repo / "prompts", sim=sim)
    assert cli("lock", env=env, cwd=repo).returncode == 0
    commit(repo, "release v1")
    git(repo, "branch", "-f", "main")  # v1 is released on main
    folder = repo / "prompts" / PROMPT
    v1 = (folder / "versions" / "v1.yaml").read_text("utf-8")
    # A comment for reviewers: it renders to exactly what v1 renders.
    v2 = v1.replace("Email:\n", "{# the CRM team asked for this wording #}Email:\n")
    assert v2 != v1
    (folder / "versions" / "v2.yaml").write_text(v2, "utf-8")
    # Real datasets have duplicate rows: same variables under another id.
    rows = (("maria", "maria"), ("maria-again", "maria"), ("tom", "tom"))
    (folder / "cases.jsonl").write_text(dataset(*rows), "utf-8")
    commit(repo, "v2: a note for reviewers; the dataset grew a duplicate")

    code, first = run(repo, env, "first")
    assert code == first["exit_code"] == (1 if first["verdict"] == "BREAKING" else 0)
    assert first["run"]["status"] == "completed"
    found = verdicts(first)
    # v2 renders what v1 renders: the same answers, so nothing changed for callers.
    assert {v for (d, _), v in found.items() if d == "BACKWARD"} == {"COMPATIBLE"}
    assert found[("FORWARD", "maria-again")] == found[("FORWARD", "maria")]
    # Three cases, two distinct renders per target: the duplicates share their calls.
    assert first["run"]["calls"]["total"] == 4

    code, second = run(repo, env, "second")  # the run that crashed on every try after
    assert (code, second["run"]["status"]) == (first["exit_code"], "completed")
    assert verdicts(second) == found
    assert second["run"]["calls"]["provider_requests"] == 0

    for _ in range(2):  # the pull request's check, then a re-run of it on the same store
        done, result, _markdown, _junit = check(repo, env)
        assert "Traceback" not in done.stderr, done.stderr
        assert (done.returncode, result["verdict"]) == (0, "COMPATIBLE"), result["errors"]
        checked = {(c["candidate"]["version"], c["case_id"]) for c in result["cases"]}
        assert {("v2", "maria"), ("v2", "maria-again"), ("v2", "tom")} <= checked
        assert {c["verdict"] for c in result["cases"]} == {"COMPATIBLE"}
