"""How ``check`` and ``review`` surface errors, through the real command: before any call is
made when they can be, and never as exit 1 (which CI reads as a breaking change)."""

from __future__ import annotations

from pathlib import Path

import pytest
from clirun import cli
from pr_helpers import RENAMING_V3, commit

from promptcompat.simulator.process import SimulatorProcess
from promptcompat.snapshots import files as snapshot_files

EXTRACT = "extract_contact"
PINNED = "openai:gpt-sim-2024-05-13?temperature=0"


@pytest.mark.parametrize("option", ["--markdown-out", "--junit-out", "--json-out"])
def test_an_output_that_cannot_be_written_fails_before_any_call(
    repo: Path, env: dict[str, str], sim: SimulatorProcess, tmp_path: Path, option: str
) -> None:
    (repo / "prompts" / EXTRACT / "versions" / "v3.yaml").write_text(RENAMING_V3, "utf-8")
    commit(repo, "rename a field")
    blocker = tmp_path / "out"
    blocker.write_text("a file, not a folder")
    target = blocker / "report"
    before = sim.stats()["requests"]

    done = cli("check", "--base", "main", option, str(target), env=env, cwd=repo)

    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"error: {option} {target}: cannot create its folder")
    assert sim.stats()["requests"] == before  # it used to fail after every call was made


def test_review_stops_when_its_input_ends(repo: Path, env: dict[str, str]) -> None:
    (repo / "prompts" / EXTRACT / "versions" / "v3.yaml").write_text(RENAMING_V3, "utf-8")
    commit(repo, "rename a field")
    checked = cli("check", "--base", "main", env=env, cwd=repo)
    assert checked.returncode == 1, checked.stderr
    pending = snapshot_files.pending_path(repo / "snapshots", EXTRACT, "v3", PINNED)
    cases = len(snapshot_files.read(pending).cases)
    assert cases > 1

    # One answer, then the input ends (a pipe, a CI job): it was "Aborted!" and exit 1.
    done = cli("review", stdin="a\n", env=env, cwd=repo)

    assert done.returncode == 0, done.stderr
    assert "1 accepted, 0 rejected, 0 skipped" in done.stdout
    assert len(snapshot_files.read(pending).cases) == cases - 1
