"""Snapshot files come in pull requests: what ``snapshots import|export|verify|clean``, ``check``
and ``review`` refuse in one, through the real command line."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clirun import cli
from pr_helpers import RENAMING_V3, check, commit

from promptcompat import store
from promptcompat.snapshots import files as snapshot_files
from promptcompat.snapshots import sync as snapshot_sync

EXTRACT = "extract_contact"
PINNED = "openai:gpt-sim-2024-05-13?temperature=0"
SLUG = "openai_gpt-sim-2024-05-13_temperature_0"


def accepted_file(repo: Path, version: str = "v1") -> Path:
    return repo / "snapshots" / EXTRACT / version / f"{SLUG}.json"


def edit(path: Path, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    data.update(fields)
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    return data


def files_under(directory: Path) -> set[Path]:
    return {p for p in directory.rglob("*") if p.is_file()} if directory.exists() else set()


def one_error(stderr: str) -> str:
    """The one error the command printed (rich may wrap it: its lines joined)."""
    assert stderr.count("error:") == 1 and "Traceback" not in stderr, stderr
    return " ".join(stderr.split())


def stripped(text: str) -> str:
    """Text with every space and line break out: what wrapping cannot change, cropping does."""
    return "".join(text.split())


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # the CLI subprocesses inherit it
    yield
    os.umask(old)


# --- 14.1: a file's prompt, version and target must match its path and the suite ----------


def test_a_file_whose_fields_point_elsewhere_is_refused_by_import_and_check(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    edit(accepted_file(repo), prompt=str(elsewhere / "x"), version="../../y")
    commit(repo, "a snapshot naming a path")

    done = cli("snapshots", "import", env=env, cwd=repo)

    assert done.returncode == 2, done.stdout + done.stderr
    line = one_error(done.stderr)
    assert f"snapshots/{EXTRACT}/v1/{SLUG}.json" in line and "must match its path" in line
    done = cli("snapshots", "export", env=env, cwd=repo)
    assert "wrote" not in done.stdout  # nothing was imported, so nothing comes back out
    assert done.returncode == 2 and "must match its path" in one_error(done.stderr)  # obsolete?
    assert not elsewhere.exists() and not (tmp_path / "y").exists()

    # The pull-request check imports snapshots/ too: an error naming the file, exit 2.
    done, result, _, _ = check(repo, env)
    assert done.returncode == 2
    assert [e["where"] for e in result["errors"]] == [f"snapshots/{EXTRACT}/v1/{SLUG}.json"]


def test_a_target_that_does_not_give_the_file_name_is_refused(
    repo: Path, env: dict[str, str]
) -> None:
    edit(accepted_file(repo), target="anthropic:claude-sim?temperature=0")

    done = cli("snapshots", "import", env=env, cwd=repo)

    assert done.returncode == 2
    assert "names target 'anthropic:claude-sim?temperature=0'" in one_error(done.stderr)


def test_a_cached_store_with_rows_naming_paths_exports_nothing_outside(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """A pull request can commit a ``.promptcompat/`` store: its rows name no path either."""
    elsewhere = tmp_path / "elsewhere"
    engine = store.open_engine(f"sqlite:///{Path(env['PROMPTCOMPAT_HOME']) / 'promptcompat.db'}")
    planted = snapshot_files.read(accepted_file(repo))
    for prompt, version in ((str(elsewhere / "x"), "../../y"), (EXTRACT, "../../../z")):
        planted.prompt, planted.version = prompt, version
        with store.session_scope(engine) as session:
            snapshot_sync.load_snapshot(session=session, snap=planted, accepted_by="a pr")
    engine.dispose()
    before = files_under(tmp_path)

    done = cli("snapshots", "export", env=env, cwd=repo)

    assert done.returncode == 0, done.stdout + done.stderr
    assert files_under(tmp_path) == before  # not one file written, anywhere
    out = stripped(done.stdout)
    assert stripped(f"not exported: {elsewhere / 'x'}/../../y @ {PINNED}") in out
    assert stripped(f"not exported: {EXTRACT}/../../../z @ {PINNED}") in out
    assert cli("snapshots", "verify", env=env, cwd=repo).returncode == 1


def test_a_snapshot_of_a_prompt_not_in_the_suite_is_reported_and_verify_disagrees(
    repo: Path, env: dict[str, str]
) -> None:
    ghost = repo / "snapshots" / "ghost" / "v1" / f"{SLUG}.json"
    ghost.parent.mkdir(parents=True)
    shutil.copyfile(accepted_file(repo), ghost)
    edit(ghost, prompt="ghost")

    done = cli("snapshots", "import", env=env, cwd=repo)

    assert done.returncode == 0, done.stdout + done.stderr
    assert stripped(f"not imported: snapshots/ghost/v1/{SLUG}.json (no prompt 'ghost'") in (
        stripped(done.stdout)
    )
    done = cli("snapshots", "verify", env=env, cwd=repo)
    assert done.returncode == 1
    assert "not importable" in done.stdout and "ok" not in done.stdout


# --- 14.3: no symlink out of snapshots/ (or prompts/) is followed -----------------------------


def test_clean_remove_does_not_follow_a_symlink_out_of_snapshots(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    victim = outside / "v1" / f"{SLUG}.json"
    victim.parent.mkdir(parents=True)
    shutil.copyfile(accepted_file(repo), victim)
    edit(victim, prompt="ghost")  # snapshot-shaped, of no prompt: "obsolete"
    (repo / "snapshots" / "ghost").symlink_to(outside, target_is_directory=True)

    for args in (("snapshots", "clean"), ("snapshots", "clean", "--remove")):
        done = cli(*args, env=env, cwd=repo)
        assert done.returncode == 2, done.stdout + done.stderr
        line = one_error(done.stderr)
        assert f"snapshots/ghost/v1/{SLUG}.json" in line and "outside snapshots/" in line
    assert victim.is_file()
    assert accepted_file(repo).is_file()  # refused before anything was deleted


def test_export_does_not_write_through_a_symlink_out_of_snapshots(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    assert cli("snapshots", "import", env=env, cwd=repo).returncode == 0
    outside = tmp_path / "outside"
    (repo / "snapshots" / EXTRACT).rename(outside)
    (outside / "v1" / f"{SLUG}.json").unlink()  # so that export has it to write
    (repo / "snapshots" / EXTRACT).symlink_to(outside, target_is_directory=True)

    done = cli("snapshots", "export", env=env, cwd=repo)

    assert done.returncode == 2, done.stdout + done.stderr
    assert "outside snapshots/" in one_error(done.stderr)
    assert not (outside / "v1" / f"{SLUG}.json").exists()


def test_a_prompt_folder_symlinked_outside_prompts_is_refused(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere-prompt"
    shutil.copytree(repo / "prompts" / EXTRACT, outside)
    (repo / "prompts" / "ghost").symlink_to(outside, target_is_directory=True)

    done = cli("snapshots", "verify", env=env, cwd=repo)

    assert done.returncode == 2, done.stdout + done.stderr
    line = one_error(done.stderr)
    assert "prompts/ghost" in line and "must be inside prompts/" in line


# --- 14.15: an imported output is held to the provider answer's cap ---------------------------


def test_an_output_over_max_output_bytes_is_refused_and_nothing_stored_changes(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    assert cli("snapshots", "import", env=env, cwd=repo).returncode == 0
    before = tmp_path / "before"
    assert cli("snapshots", "export", "--snapshots", str(before), env=env, cwd=repo).returncode == 0
    data = json.loads(accepted_file(repo).read_text("utf-8"))
    sample = data["cases"]["tom-becker"][0]
    for name in snapshot_files.OUTPUT_FIELDS:
        sample.pop(name, None)
    sample["output"] = "x" * 1_500_000  # the default cap is 1,000,000
    accepted_file(repo).write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    commit(repo, "a large accepted output")

    done = cli("snapshots", "import", env=env, cwd=repo)

    assert done.returncode == 2
    line = one_error(done.stderr)
    assert f"snapshots/{EXTRACT}/v1/{SLUG}.json" in line
    assert "case tom-becker sample 0: output of 1,500,000 bytes exceeds max_output_bytes" in line
    after = tmp_path / "after"
    assert cli("snapshots", "export", "--snapshots", str(after), env=env, cwd=repo).returncode == 0
    for path in snapshot_files.iter_files(before, pending=False):
        assert (after / path.relative_to(before)).read_bytes() == path.read_bytes()

    done, result, _, _ = check(repo, env)
    assert done.returncode == 2
    [error] = result["errors"]
    assert "case tom-becker" in error["message"] and SLUG in error["where"]

    # The same setting as a provider answer's: raised, the file is imported.
    raised = {**env, "PROMPTCOMPAT_MAX_OUTPUT_BYTES": "2000000"}
    done = cli("snapshots", "import", env=raised, cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr


# --- 13.14, 13.11: pending files are written for others, and reviewed in full -----------------


def test_snapshot_files_are_written_with_the_umask_not_0600(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    assert cli("snapshots", "import", env=env, cwd=repo).returncode == 0
    old = os.umask(0o027)
    try:
        done = cli("snapshots", "export", "--snapshots", str(tmp_path / "out"), env=env, cwd=repo)
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stdout + done.stderr
    written = list(snapshot_files.iter_files(tmp_path / "out", pending=False))
    assert written and {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o640}


def test_review_wraps_at_80_columns_and_shows_the_findings_messages(
    repo: Path, env: dict[str, str], umask_022: None
) -> None:
    (repo / "prompts" / EXTRACT / "versions" / "v3.yaml").write_text(RENAMING_V3, "utf-8")
    commit(repo, "rename a field")
    done, result, _, _ = check(repo, env)
    assert done.returncode == 1, done.stdout + done.stderr
    pending = repo / "snapshots" / EXTRACT / "v3" / f"{SLUG}.pending.json"
    first = sorted(json.loads(pending.read_text("utf-8"))["cases"])[0]
    [case] = [c for c in result["cases"] if c["case_id"] == first and c["failing"]]
    messages = [f["message"] for f in case["findings"] if f["severity"] in ("ERR", "WARN")]
    assert messages
    accepted = snapshot_files.read(accepted_file(repo)).cases[first][0].output
    assert '"company"' in accepted and len(accepted) > 80

    done = cli("review", env={**env, "COLUMNS": "80"}, cwd=repo, stdin="q\n")

    assert done.returncode == 0, done.stdout + done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    out = stripped(done.stdout)
    assert stripped(f"{EXTRACT}/v3 @ {PINNED}: {first}") in out  # the case id, whole
    assert stripped(f"-{accepted}") in out  # the removed line, to its last word
    for message in messages:
        assert stripped(message) in out

    # Pending and accepted files are committed and read by others: 0666 less the umask.
    assert stat.S_IMODE(pending.stat().st_mode) == 0o644
    done = cli("accept", f"{EXTRACT}/v3", "--case", first, env=env, cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert stat.S_IMODE(accepted_file(repo, "v3").stat().st_mode) == 0o644
