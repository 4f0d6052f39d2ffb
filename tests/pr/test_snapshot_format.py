"""Snapshot file format 2: outputs as structure (JSON, lines, tool-call turns) so a pull
request's diff shows the changed field or line; format 1 files (the committed snapshots/)
are still read, and every output comes back exactly."""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path

import pytest
from clirun import cli
from pr_helpers import cli_env

from promptcompat.errors import SuiteError
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.snapshots import files as snapshot_files
from promptcompat.snapshots.files import SnapshotFile, SnapshotSample, SnapshotStep
from promptcompat.suite.turns import Turn, tool_call, turn_document

REPO = Path(__file__).resolve().parents[2]
KEY = "a" * 64
TURN = turn_document(
    Turn(
        text="",
        tool_calls=(
            tool_call("call_1", "get_weather", '{"city": "Paris", "unit": "celsius"}'),
            tool_call("call_2", "get_weather", '{"city": "Tokyo", "unit": "celsius"}'),
        ),
    )
)


def _round_trip(tmp_path: Path, *samples: SnapshotSample) -> tuple[str, SnapshotFile]:
    snap = SnapshotFile("p", "v1", "openai:gpt-sim-2024-05-13?temperature=0", "h")
    snap.cases["c"] = list(samples)
    path = snapshot_files.accepted_path(tmp_path, "p", "v1", snap.target)
    snapshot_files.write(path, snap, root=tmp_path)
    return path.read_text("utf-8"), snapshot_files.load(tmp_path, path)


def test_the_committed_format_1_files_are_still_read_and_rewrite_losslessly(
    tmp_path: Path,
) -> None:
    root = REPO / "snapshots"
    paths = [
        p
        for p in snapshot_files.iter_files(root, pending=False)
        if '"promptcompat.snapshots/1"' in p.read_text("utf-8")
    ]
    assert len(paths) >= 4, "the repository's snapshots/ committed before format 2"
    for path in paths:
        old = snapshot_files.load(root, path)
        text, again = _round_trip(tmp_path, *old.cases[next(iter(old.cases))])
        assert '"promptcompat.snapshots/2"' in text
        first = next(iter(old.cases))
        assert again.outputs("c") == old.outputs(first)  # exactly: hashes and baselines hold
    extract = snapshot_files.load(root, next(p for p in paths if p.parts[-3] == "extract_contact"))
    text, _ = _round_trip(tmp_path, *extract.cases[next(iter(extract.cases))])
    assert '"output_json": {' in text  # a JSON answer is written as JSON


def test_a_tool_call_turn_is_structure_and_a_changed_argument_is_one_line(
    tmp_path: Path,
) -> None:
    text, snap = _round_trip(tmp_path, SnapshotSample(0, KEY, TURN, kind="turn"))
    assert '"name": "get_weather"' in text and '"city": "Paris"' in text
    assert snap.cases["c"][0].kind == "turn" and snap.outputs("c") == [TURN]
    changed = TURN.replace('"city":"Tokyo"', '"city":"Osaka"')
    assert changed != TURN
    after, _ = _round_trip(tmp_path, SnapshotSample(0, KEY, changed, kind="turn"))
    diff = [
        line
        for line in difflib.unified_diff(text.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert [d[0] + d[1:].strip() for d in diff] == ['-"city": "Tokyo",', '+"city": "Osaka",']
    shown = snap.cases["c"][0].shown
    assert 'tool call get_weather {\n  "city": "Paris",\n  "unit": "celsius"\n}' in shown


@pytest.mark.parametrize(
    ("output", "field"),
    [
        ("one line", "output"),
        ("first line\nsecond line\n", "output_lines"),
        ('{"name": "Ada", "age": 36}', "output_json"),
        ('{"name":"Ada","age":36}', "output_json"),
        ('{\n  "name": "Ada"\n}', "output_json"),
        ('{"name":  "Ada"}', "output"),  # no layout gives it back: kept as text
        ("[1, 2]", "output_json"),
    ],
)
def test_every_text_output_comes_back_exactly(tmp_path: Path, output: str, field: str) -> None:
    text, snap = _round_trip(tmp_path, SnapshotSample(0, KEY, output))
    sample = json.loads(text)["cases"]["c"][0]
    assert field in sample
    assert snap.outputs("c") == [output]
    digest = hashlib.sha256(output.encode()).hexdigest()
    assert hashlib.sha256(snap.outputs("c")[0].encode()).hexdigest() == digest


def test_a_multi_line_change_is_a_diff_of_that_line(tmp_path: Path) -> None:
    before, _ = _round_trip(tmp_path, SnapshotSample(0, KEY, "a\nb\nc\nd"))
    after, _ = _round_trip(tmp_path, SnapshotSample(0, KEY, "a\nb\nX\nd"))
    diff = [
        line[0] + line[1:].strip()
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert diff == ['-"c",', '+"X",']


def test_a_sample_with_two_outputs_names_the_file_and_case(tmp_path: Path) -> None:
    text, _ = _round_trip(tmp_path, SnapshotSample(0, KEY, "x"))
    path = snapshot_files.accepted_path(
        tmp_path, "p", "v1", "openai:gpt-sim-2024-05-13?temperature=0"
    )
    path.write_text(text.replace('"output": "x"', '"output": "x", "output_lines": ["x"]'))
    with pytest.raises(SuiteError) as info:
        snapshot_files.load(tmp_path, path)
    assert info.value.where == "p/v1/openai_gpt-sim-2024-05-13_temperature_0.json".join(
        [f"{tmp_path.name}/", ""]
    )
    assert "case c: a sample holds its output in exactly one of" in info.value.message


def test_run_and_export_write_tool_calls_as_structure_through_the_cli(
    prompts_dir: Path, tmp_path: Path, sim: SimulatorProcess
) -> None:
    env = cli_env(home=tmp_path / "home", prompts=prompts_dir, sim=sim)
    done = cli("run", "--prompt", "plan_trip", "--prompt", "contact_card", env=env, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    out = tmp_path / "snapshots"
    done = cli("snapshots", "export", "--snapshots", str(out), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    trip = next((out / "plan_trip" / "v1").glob("*.json")).read_text("utf-8")
    case = json.loads(trip)["cases"]["berlin-madrid"][0]
    assert [c["arguments"]["city"] for c in case["turn"]["tool_calls"]] == ["Berlin", "Madrid"]
    assert '"promptcompat.snapshots/2"' in trip and '\\"city\\"' not in trip
    card = json.loads(next((out / "contact_card" / "v1").glob("*.json")).read_text("utf-8"))
    assert card["cases"]["tom-becker"][0]["output_json"]["name"] == "Tom Becker"


def test_an_agent_loops_steps_round_trip_and_older_files_without_them_still_read(
    tmp_path: Path,
) -> None:
    answer = "Based on the tool results: 21C"
    steps = (SnapshotStep("b" * 64, TURN, "turn"), SnapshotStep("c" * 64, answer))
    text, snap = _round_trip(tmp_path, SnapshotSample(0, KEY, answer, steps=steps))
    written = json.loads(text)["cases"]["c"][0]
    assert [s["cache_key"] for s in written["steps"]] == ["b" * 64, "c" * 64]
    assert written["steps"][0]["turn"]["tool_calls"][0]["name"] == "get_weather"
    assert snap.cases["c"][0].steps == steps
    assert snap.answers("c") == [(answer, (TURN, answer))]
    assert snap.cases["c"][0].shown.startswith("[step 1]\ntool call get_weather")
    # A format 2 file written before loops carried steps: read, its loop without steps.
    path = snapshot_files.accepted_path(tmp_path, "p", "v1", snap.target)
    raw = json.loads(text)
    del raw["cases"]["c"][0]["steps"]
    path.write_text(json.dumps(raw), "utf-8")
    assert snapshot_files.load(tmp_path, path).cases["c"][0].steps == ()
    # Steps that do not end in the answer are refused, naming the case.
    raw["cases"]["c"][0]["steps"] = [written["steps"][0]]
    path.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(SuiteError, match="case c sample 0: the last of its steps is not"):
        snapshot_files.load(tmp_path, path)
    raw["cases"]["c"][0]["steps"] = [{"cache_key": "nope", "output": answer}]
    path.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(SuiteError, match="case c sample 0 step 1: cache_key is not"):
        snapshot_files.load(tmp_path, path)
