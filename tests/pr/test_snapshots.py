"""``snapshots/``: the file format, export/import/verify, pending files and their review."""

from __future__ import annotations

import difflib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from pr_helpers import RENAMING_V3, check_here, commit
from typer.testing import CliRunner

from promptcompat import store
from promptcompat.cli import app
from promptcompat.config import Settings, get_settings
from promptcompat.errors import ConfigError, SuiteError, VersionEditedError
from promptcompat.snapshots import files as snapshot_files
from promptcompat.snapshots import sync as snapshot_sync
from promptcompat.suite import load_suite, lock_versions

EXTRACT = "extract_contact"
PINNED = "openai:gpt-sim-2024-05-13?temperature=0"


def accepted_file(repo: Path, version: str = "v1") -> Path:
    return snapshot_files.accepted_path(repo / "snapshots", EXTRACT, version, PINNED)


def test_file_format_header_order_and_lf(repo: Path) -> None:
    raw = accepted_file(repo).read_bytes()
    assert b"\r" not in raw and raw.endswith(b"}\n")
    data = json.loads(raw)
    assert list(data)[:5] == ["format", "prompt", "version", "version_hash", "target"]
    assert data["format"] == "promptcompat.snapshots/2"
    assert list(data["cases"]) == sorted(data["cases"])
    suite = load_suite(repo / "prompts")
    assert data["version_hash"] == suite.prompts[EXTRACT].versions["v1"].content_hash
    assert set(data["cases"]) == {c.id for c in suite.prompts[EXTRACT].cases}


def test_import_then_export_round_trips_and_verify_agrees(repo: Path, tmp_path: Path) -> None:
    suite = load_suite(repo / "prompts")
    engine = store.open_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with store.session_scope(engine) as session:
        loaded = snapshot_sync.import_files(
            session=session, root=repo / "snapshots", suite=suite
        ).loaded
        # The repository of these tests holds the snapshots of two prompts (conftest.py).
        assert loaded == sum(
            len(p.cases)
            for n, p in suite.prompts.items()
            if n in ("extract_contact", "write_function")
        )
        assert snapshot_sync.verify(session=session, root=repo / "snapshots", suite=suite).agree
        out = tmp_path / "exported"
        snapshot_sync.export(session=session, root=out, suite=suite)
    for path in snapshot_files.iter_files(repo / "snapshots", pending=False):
        again = out / path.relative_to(repo / "snapshots")
        assert again.read_bytes() == path.read_bytes(), path


def test_one_changed_case_is_a_small_diff_and_verify_names_it(repo: Path, tmp_path: Path) -> None:
    suite = load_suite(repo / "prompts")
    engine = store.open_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with store.session_scope(engine) as session:
        snapshot_sync.import_files(session=session, root=repo / "snapshots", suite=suite)
    path = accepted_file(repo)
    before = path.read_text("utf-8")
    snap = snapshot_files.read(path)
    sample = snap.cases["tom-becker"][0]
    snap.cases["tom-becker"][0] = replace(sample, output=sample.output.replace("Tom", "Thomas"))
    snapshot_files.write(path, snap, root=repo / "snapshots")
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), path.read_text("utf-8").splitlines())
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changed) == 2 and "Thomas" in changed[1], changed  # that case's output line
    with store.session_scope(engine) as session:
        result = snapshot_sync.verify(session=session, root=repo / "snapshots", suite=suite)
    assert not result.agree
    assert result.different == [f"{EXTRACT}/v1/{PINNED}: case tom-becker"]


def test_newer_format_is_refused_with_the_file_named(repo: Path) -> None:
    path = accepted_file(repo)
    data = json.loads(path.read_text("utf-8"))
    data["format"] = "promptcompat.snapshots/9"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(SuiteError, match="newer") as info:
        snapshot_files.read(path, where="snapshots/x.json")
    assert info.value.where == "snapshots/x.json"


def test_snapshot_of_an_edited_version_is_refused(repo: Path, tmp_path: Path) -> None:
    path = repo / "prompts" / EXTRACT / "versions" / "v1.yaml"
    path.write_text(path.read_text("utf-8").replace("JSON only", "JSON only!"), "utf-8")
    # Edited and locked again: only the snapshot remembers what v1 was released as.
    lock_path = repo / "prompts" / "prompts.lock"
    lock = json.loads(lock_path.read_text("utf-8"))
    lock[EXTRACT].pop("v1")
    lock_path.write_text(json.dumps(lock), "utf-8")
    lock_versions(load_suite(repo / "prompts"))
    suite = load_suite(repo / "prompts")
    assert suite.prompts[EXTRACT].versions["v1"].released
    engine = store.open_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with store.session_scope(engine) as session, pytest.raises(VersionEditedError) as info:
        snapshot_sync.import_files(session=session, root=repo / "snapshots", suite=suite)
    assert "extract_contact/v1/" in str(info.value.where)


def test_snapshot_of_an_earlier_content_of_a_draft_is_obsolete_not_an_error(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "prompts" / "prompts.lock").unlink()  # nothing released: v1 is a draft
    path = repo / "prompts" / EXTRACT / "versions" / "v1.yaml"
    path.write_text(path.read_text("utf-8").replace("JSON only", "JSON only!"), "utf-8")
    suite = load_suite(repo / "prompts")
    engine = store.open_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with store.session_scope(engine) as session:
        assert snapshot_sync.import_files(session=session, root=repo / "snapshots", suite=suite)
        now = suite.prompts[EXTRACT].versions["v1"].content_hash
        # The file's outputs are its own content's baselines, not the edited draft's.
        assert not store.baselines_for(
            session=session, prompt=EXTRACT, version="v1", version_hash=now, target=PINNED
        )
    obsolete = snapshot_sync.obsolete(root=repo / "snapshots", suite=suite)
    assert any(
        "extract_contact/v1/" in o and "earlier content of the draft" in o for o in obsolete
    ), obsolete


def test_obsolete_cases_and_files_reported_and_removed_only_on_request(repo: Path) -> None:
    dataset = repo / "prompts" / EXTRACT / "cases.jsonl"
    lines = dataset.read_text("utf-8").splitlines()
    gone = json.loads(lines[0])["id"]
    dataset.write_text("\n".join(lines[1:]) + "\n", "utf-8")
    stray = snapshot_files.accepted_path(repo / "snapshots", EXTRACT, "v9", PINNED)
    snapshot_files.write(
        stray, snapshot_files.SnapshotFile(EXTRACT, "v9", PINNED), root=repo / "snapshots"
    )
    suite = load_suite(repo / "prompts")

    found = snapshot_sync.obsolete(root=repo / "snapshots", suite=suite)

    assert any(f"case {gone}" in f for f in found)
    assert any("v9" in f and "no such version" in f for f in found)
    assert stray.is_file() and gone in snapshot_files.read(accepted_file(repo)).cases
    snapshot_sync.remove_obsolete(root=repo / "snapshots", suite=suite)
    assert not stray.exists()
    assert gone not in snapshot_files.read(accepted_file(repo)).cases
    assert snapshot_sync.obsolete(root=repo / "snapshots", suite=suite) == []


def test_pending_files_beside_accepted_then_accept_reject_review(
    repo: Path, settings_here: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "prompts" / EXTRACT / "versions" / "v3.yaml").write_text(RENAMING_V3, "utf-8")
    commit(repo, "rename a field")
    v1_before = accepted_file(repo).read_bytes()

    result, _, _ = check_here(repo, settings_here)

    assert result["exit_code"] == 1
    pending = snapshot_files.pending_path(repo / "snapshots", EXTRACT, "v3", PINNED)
    assert result["snapshots"]["pending_written"] == [pending.relative_to(repo).as_posix()]
    assert accepted_file(repo).read_bytes() == v1_before  # never written over
    assert not accepted_file(repo, "v3").exists()
    cases = sorted(snapshot_files.read(pending).cases)
    note = snapshot_files.read(pending).notes[cases[0]]
    assert note.verdict == "BREAKING" and "json.field_removed" in note.rules
    assert note.baseline_version == "v1"

    # The commands, in this process (typer's runner feeds the prompts of `review`).
    monkeypatch.setenv("PROMPTCOMPAT_HOME", str(settings_here.home))
    monkeypatch.setenv("PROMPTCOMPAT_PROMPTS_DIR", str(repo / "prompts"))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()
    done = runner.invoke(app, ["accept", f"{EXTRACT}/v3", "--case", cases[0]])
    assert done.exit_code == 0, done.output
    assert list(snapshot_files.read(accepted_file(repo, "v3")).cases) == [cases[0]]
    assert cases[0] not in snapshot_files.read(pending).cases

    done = runner.invoke(app, ["review"], input="a\nr\ns\nq\n")
    assert done.exit_code == 0, done.output
    # The diff of a new version's case is shown against the version it was compared with.
    assert "--- accepted v1 sample 0" in done.output and "+{" in done.output
    assert "1 accepted, 1 rejected, 1 skipped" in done.output
    assert len(snapshot_files.read(accepted_file(repo, "v3")).cases) == 2
    assert len(snapshot_files.read(pending).cases) == len(cases) - 3

    done = runner.invoke(app, ["reject"])
    assert isinstance(done.exception, ConfigError) and "--all" in str(done.exception)
    done = runner.invoke(app, ["reject", "--all"])
    assert done.exit_code == 0, done.output
    assert not pending.exists()

    # The store agrees with the files after the decisions.
    done = runner.invoke(app, ["snapshots", "verify"])
    assert done.exit_code == 0, done.output


def test_committed_snapshots_match_the_example_suite() -> None:
    """snapshots/ of this repository: every file current, none obsolete."""
    root = Path(__file__).resolve().parents[2]
    suite = load_suite(root / "prompts")
    files = list(snapshot_files.iter_files(root / "snapshots", pending=False))
    assert {snapshot_files.read(f).prompt for f in files} == set(suite.prompts)
    assert snapshot_sync.obsolete(root=root / "snapshots", suite=suite) == []
    for path in files:
        snap = snapshot_files.read(path)
        snapshot_sync.check_version(snap, suite, where=str(path))
        text = path.read_text("utf-8")
        if f'"{snapshot_files.FORMAT}"' in text:
            assert text == snapshot_files.render(snap)  # canonical layout
        # A file of format 1 (committed before format 2) stays valid until an export
        # rewrites it: test_snapshot_format.py reads those.


def test_import_redacts_personal_data_written_into_a_file_by_hand(
    repo: Path, tmp_path: Path
) -> None:
    from promptcompat.store.redaction import RunRedaction

    path = accepted_file(repo)
    snap = snapshot_files.read(path)
    sample = snap.cases["tom-becker"][0]
    leaked = "leaked.person@example.org"
    snap.cases["tom-becker"][0] = replace(sample, output=f"{sample.output} {leaked}")
    snapshot_files.write(path, snap, root=repo / "snapshots")
    suite = load_suite(repo / "prompts")
    db = tmp_path / "fresh.db"
    engine = store.open_engine(f"sqlite:///{db}")
    with store.session_scope(engine) as session:
        snapshot_sync.import_files(
            session=session,
            root=repo / "snapshots",
            suite=suite,
            redaction=RunRedaction.for_suite(Settings(), suite),
        )
        [baseline] = [
            b
            for b in store.baselines_for(
                session=session,
                prompt=EXTRACT,
                version="v1",
                version_hash=suite.prompts[EXTRACT].versions["v1"].content_hash,
                target=PINNED,
            ).values()
            if b.case_id == "tom-becker"
        ]
        [text] = store.load_texts(session=session, hashes=[baseline.snapshot_hash]).values()
    assert "<EMAIL_" in text and leaked not in text
    engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("fresh.db*"))
    assert leaked.encode() not in stored


def test_snapshot_commands_work_in_the_configured_project(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMPTCOMPAT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PROMPTCOMPAT_PROMPTS_DIR", str(repo / "prompts"))
    runner = CliRunner()
    monkeypatch.setenv("PROMPTCOMPAT_PROJECT", "team-a")
    get_settings.cache_clear()
    assert runner.invoke(app, ["snapshots", "import"]).exit_code == 0
    out_b = tmp_path / "team-b-export"
    monkeypatch.setenv("PROMPTCOMPAT_PROJECT", "team-b")
    get_settings.cache_clear()
    # team-a's baselines are not team-b's: nothing to export, and verify disagrees.
    done = runner.invoke(app, ["snapshots", "export", "--snapshots", str(out_b)])
    assert done.exit_code == 0, done.output
    assert list(snapshot_files.iter_files(out_b, pending=False)) == []
    assert runner.invoke(app, ["snapshots", "verify"]).exit_code == 1
    monkeypatch.setenv("PROMPTCOMPAT_PROJECT", "team-a")
    get_settings.cache_clear()
    assert runner.invoke(app, ["snapshots", "verify"]).exit_code == 0
    get_settings.cache_clear()


def test_agent_loop_steps_go_through_the_store_and_verify_checks_them(tmp_path: Path) -> None:
    """The committed plan_trip file's loops carry their steps: imported as the loop's steps
    (what a comparison reads), exported back byte for byte, and a changed step is a
    disagreement ``verify`` names."""
    repo = Path(__file__).resolve().parents[2]
    root = tmp_path / "snapshots"
    shutil.copytree(repo / "snapshots" / "plan_trip", root / "plan_trip")
    suite = load_suite(repo / "prompts")
    engine = store.open_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    [path] = snapshot_files.iter_files(root, pending=False)
    loop = snapshot_files.load(root, path).cases["paris-loop"][0]
    assert len(loop.steps) == 2 and loop.steps[-1].output == loop.output
    with store.session_scope(engine) as session:
        snapshot_sync.import_files(session=session, root=root, suite=suite)
        steps = store.loop_steps(session=session, keys=[loop.cache_key])
        assert steps == {loop.cache_key: [s.cache_key for s in loop.steps]}
        snapshot_sync.export(session=session, root=tmp_path / "out", suite=suite)
        assert (tmp_path / "out" / path.relative_to(root)).read_bytes() == path.read_bytes()
        # The answer stays; only the first step's call changes.
        data = json.loads(path.read_text("utf-8"))
        call = data["cases"]["paris-loop"][0]["steps"][0]["turn"]["tool_calls"][0]
        call["arguments"] = {"location": "Paris"}
        path.write_text(json.dumps(data), "utf-8")
        result = snapshot_sync.verify(session=session, root=root, suite=suite)
    assert result.different == [
        f"plan_trip/v1/{suite.prompts['plan_trip'].pinned}: case paris-loop"
    ]
