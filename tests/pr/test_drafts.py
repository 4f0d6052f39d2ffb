"""Draft versions (not in ``prompts.lock``) may change after they were replayed; released
ones may not (issue 13.6). Through the real CLI, on a store kept between commands the way
the example GitHub workflow restores it between pushes of a pull request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clirun import cli
from pr_helpers import HARMLESS_V3, RENAMING_V3, check, cli_env, commit, git

from promptcompat.simulator.process import SimulatorProcess
from promptcompat.snapshots import files as snapshot_files
from promptcompat.suite import load_suite

EXTRACT = "extract_contact"
PINNED = "openai:gpt-sim-2024-05-13?temperature=0"


def write_v3(repo: Path, text: str) -> None:
    (repo / "prompts" / EXTRACT / "versions" / "v3.yaml").write_text(text, "utf-8")


def test_a_new_version_fixed_on_a_second_push_is_checked_again(
    repo: Path, env: dict[str, str]
) -> None:
    env = {**env, "CI": "true"}
    write_v3(repo, RENAMING_V3)
    commit(repo, "v3: reword (renames a field)")
    done, result, _, _ = check(repo, env)
    assert (done.returncode, result["verdict"]) == (1, "BREAKING"), result["errors"]

    write_v3(repo, HARMLESS_V3)  # the second push fixes the draft; the store is the same
    commit(repo, "v3: keep the field names")
    done, result, _, _ = check(repo, env)
    assert "immutable" not in done.stdout + done.stderr
    assert (done.returncode, result["verdict"]) == (0, "COMPATIBLE"), result["errors"]
    assert {c["candidate"]["version"] for c in result["cases"]} == {"v3"}


def test_two_branches_adding_the_same_version_share_one_store(
    repo: Path, env: dict[str, str]
) -> None:
    env = {**env, "CI": "true"}  # as in CI: no pending files left in the working tree
    write_v3(repo, HARMLESS_V3)
    commit(repo, "v3: reword")
    assert check(repo, env)[0].returncode == 0

    git(repo, "checkout", "-q", "-b", "other", "main")
    write_v3(repo, RENAMING_V3)
    commit(repo, "v3: another reword (renames a field)")
    done, result, _, _ = check(repo, env)
    assert (done.returncode, result["verdict"]) == (1, "BREAKING"), result["errors"]
    assert "json.field_removed" in {f["rule"] for c in result["cases"] for f in c["findings"]}

    git(repo, "checkout", "-q", "pr")  # the first branch's v3 is still its own
    done, result, _, _ = check(repo, env)
    assert (done.returncode, result["verdict"]) == (0, "COMPATIBLE"), result["errors"]
    assert result["calls"]["provider_requests"] == 0


def run(prompts: Path, env: dict[str, str], name: str) -> tuple[int, dict[str, Any], str]:
    out = prompts.parent / f"{name}.json"
    done = cli("run", "-p", EXTRACT, "--json-out", str(out), env=env, cwd=prompts.parent)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(out.read_text("utf-8")) if out.is_file() else {}
    return done.returncode, report, done.stdout + done.stderr


def verdicts(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(c["direction"], c["case_id"]): c["verdict"] for c in report["cases"]}


def rules(report: dict[str, Any]) -> dict[str, list[str]]:
    """The WARN and ERR rules and their cases (INFO includes latency, which load varies)."""
    found = report["findings_by_rule"].items()
    return {rule: sorted(v["cases"]) for rule, v in found if v["severity"] != "INFO"}


def test_an_edited_draft_gets_baselines_of_its_own_and_keeps_the_earlier_ones(
    prompts_dir: Path, tmp_path: Path, sim: SimulatorProcess
) -> None:
    """Nothing is released yet (no lock file): the deployed v1 is a draft. After an edit, its
    first run defines the new content's baselines, so the report is the one a fresh store
    gives, not a comparison with the earlier content's outputs."""
    (prompts_dir / "prompts.lock").unlink()
    env = cli_env(home=tmp_path / "home", prompts=prompts_dir, sim=sim)
    v1 = prompts_dir / EXTRACT / "versions" / "v1.yaml"
    original = v1.read_text("utf-8")
    code, first, _ = run(prompts_dir, env, "first")
    assert code in (0, 1)

    # The simulator answers with the keys of the `Fields:` line: every baseline output changes.
    v1.write_text(original.replace("company, age", "organization, age"), "utf-8")
    code, edited, output = run(prompts_dir, env, "edited")
    assert "immutable" not in output
    fresh_env = {**env, "PROMPTCOMPAT_HOME": str(tmp_path / "fresh-home")}
    fresh_code, fresh, _ = run(prompts_dir, fresh_env, "fresh")
    assert (code, verdicts(edited)) == (fresh_code, verdicts(fresh))
    assert rules(edited) == rules(fresh)
    # v2 renamed the field as well: against v1's earlier outputs every case broke.
    backward = {c: v for (d, c), v in verdicts(first).items() if d == "BACKWARD"}
    assert set(backward.values()) == {"BREAKING"}
    assert "BREAKING" not in {v for (d, _), v in verdicts(edited).items() if d == "BACKWARD"}

    v1.write_text(original, "utf-8")  # back to the first content: its baselines are still there
    code, reverted, _ = run(prompts_dir, env, "reverted")
    assert (code, verdicts(reverted)) == (first["exit_code"], verdicts(first))
    assert reverted["run"]["calls"]["provider_requests"] == 0


def test_a_version_released_when_replayed_stays_immutable_without_the_lock_file(
    prompts_dir: Path, tmp_path: Path, sim: SimulatorProcess
) -> None:
    env = cli_env(home=tmp_path / "home", prompts=prompts_dir, sim=sim)
    assert run(prompts_dir, env, "released")[0] in (0, 1)
    (prompts_dir / "prompts.lock").unlink()
    v1 = prompts_dir / EXTRACT / "versions" / "v1.yaml"
    v1.write_text(v1.read_text("utf-8").replace("JSON only", "JSON only!"), "utf-8")
    assert cli("validate", env=env, cwd=prompts_dir.parent).returncode == 0  # a draft now...
    code, _, output = run(prompts_dir, env, "edited")
    assert code == 2  # ...but the store saw it released
    assert "was replayed as released" in output
    assert "extract_contact/versions/v1.yaml" in output


def test_accepting_outputs_of_an_edited_draft_starts_its_accepted_file_over(
    repo: Path, env: dict[str, str]
) -> None:
    """An accepted file holds the outputs of one content of its version: outputs accepted for
    the draft's earlier content are not the edited draft's."""
    accepted = snapshot_files.accepted_path(repo / "snapshots", EXTRACT, "v3", PINNED)
    write_v3(repo, RENAMING_V3)
    commit(repo, "v3: reword (renames a field)")
    assert check(repo, env)[0].returncode == 1
    first, second = sorted(c.id for c in load_suite(repo / "prompts").prompts[EXTRACT].cases)[:2]
    assert cli("accept", f"{EXTRACT}/v3", "--case", first, env=env, cwd=repo).returncode == 0
    assert list(snapshot_files.read(accepted).cases) == [first]

    write_v3(repo, HARMLESS_V3)
    commit(repo, "v3: keep the field names")
    done, result, _, _ = check(repo, env)
    assert done.returncode == 0, result["errors"]
    # Every case of the new content waits for review, the one accepted before included.
    pending = snapshot_files.pending_path(repo / "snapshots", EXTRACT, "v3", PINNED)
    assert {first, second} <= set(snapshot_files.read(pending).cases)
    assert cli("accept", f"{EXTRACT}/v3", "--case", second, env=env, cwd=repo).returncode == 0
    now = snapshot_files.read(accepted)
    assert list(now.cases) == [second]
    assert (
        now.version_hash
        == load_suite(repo / "prompts").prompts[EXTRACT].versions["v3"].content_hash
    )
    done = cli("snapshots", "verify", env=env, cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
