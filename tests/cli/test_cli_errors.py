"""How the command line surfaces errors, run as a user runs it: one line, exit 2, no
traceback; output to a log (not a terminal) is never wrapped nor coloured unless asked for."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from clirun import check_no_crash, cli

from promptcompat.simulator.process import SimulatorProcess
from promptcompat.snapshots import files as snapshot_files

ESCAPE = "\x1b["
CRASH_LOG = re.compile(r"traceback in (\S+\.log)$")


@pytest.fixture
def env(tmp_path: Path, prompts_dir: Path, sim: SimulatorProcess) -> dict[str, str]:
    """A user's environment in a CI log: no terminal, no COLUMNS, no colour settings."""
    unset = ("COLUMNS", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_") and k not in unset
    }
    return {
        **base,
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
        "PROMPTCOMPAT_OPENAI_BASE_URL": sim.openai_base_url,
        "PROMPTCOMPAT_ANTHROPIC_BASE_URL": sim.anthropic_base_url,
        "OPENAI_API_KEY": "sk-test",
        "ANTHROPIC_API_KEY": "sk-ant-test",
        # A crash log that cannot go to the home goes to the temporary directory: this one.
        "TMPDIR": str(tmp_path),
    }


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# --- 13.2: a crash is one line, a crash log and exit 2 ------------------------------------


def test_an_unexpected_failure_is_one_line_naming_its_crash_log_and_exit_2(
    env: dict[str, str], tmp_path: Path, sim: SimulatorProcess
) -> None:
    # The reports folder is a file: the run completes, then writing its report fails, in a
    # way no code path expects (it was a traceback and exit 1, "breaking" to CI).
    home = tmp_path / "home"
    home.mkdir()
    (home / "reports").write_text("not a folder")

    done = cli("run", "-p", "prime_check", env=env, cwd=tmp_path, crash_expected=True)

    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith("error: promptcompat run failed: File exists: ")
    assert str(home / "reports") in line
    log = Path(CRASH_LOG.search(line).group(1))  # type: ignore[union-attr]
    assert log.parent == home / "logs"
    text = log.read_text("utf-8")
    assert "Traceback (most recent call last)" in text and "FileExistsError" in text
    assert log.stat().st_mode & 0o077 == 0  # a traceback can quote prompt text


def test_a_crash_log_goes_to_the_temporary_folder_when_the_home_refuses_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.write_text("a file where the home should be")

    done = cli("runs", env=env, cwd=tmp_path, crash_expected=True)

    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith(f"error: promptcompat runs failed: File exists: {home}")
    log = Path(CRASH_LOG.search(line).group(1))  # type: ignore[union-attr]
    assert log.parent == tmp_path and "FileExistsError" in log.read_text("utf-8")


# --- 13.3: report outputs are checked before any call -------------------------------------


def test_json_out_into_a_missing_folder_creates_it(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "reports" / "pr-42" / "run.json"

    done = cli("run", "-p", "prime_check", "--json-out", str(out), env=env, cwd=tmp_path)

    assert done.returncode in (0, 1), done.stderr
    assert json.loads(out.read_text("utf-8"))["run"]["status"].startswith("completed")


def test_json_out_that_cannot_be_written_fails_before_any_call(
    env: dict[str, str], tmp_path: Path, sim: SimulatorProcess
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file, not a folder")
    before = sim.stats()["requests"]

    done = cli(
        "run", "-p", "prime_check", "--json-out", str(blocker / "run.json"), env=env, cwd=tmp_path
    )

    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith(f"error: --json-out {blocker / 'run.json'}: cannot create its folder")
    assert sim.stats()["requests"] == before  # it used to fail after the whole run


# --- 13.12: output to a log is never wrapped ----------------------------------------------


def test_a_long_error_is_one_line_in_a_log(env: dict[str, str], tmp_path: Path) -> None:
    run_id = "f" * 150

    done = cli("report", run_id, env=env, cwd=tmp_path)

    assert done.returncode == 2
    assert f"no run '{run_id}'" in one_line(done.stderr)


def test_help_in_a_log_shows_whole_option_names(env: dict[str, str], tmp_path: Path) -> None:
    done = cli("run", "--help", env=env, cwd=tmp_path)

    assert done.returncode == 0
    for option in ("--candidate-version", "--simulator", "--json-out", "--fail-on"):
        assert option in done.stdout
    assert "…" not in done.stdout


# --- 13.15: NO_COLOR and FORCE_COLOR --------------------------------------------------------


@pytest.mark.parametrize(
    "colour", [{"FORCE_COLOR": "0"}, {"NO_COLOR": "1", "FORCE_COLOR": "1"}], ids=str
)
def test_colour_off_means_no_escape_codes_nor_progress_bar(
    env: dict[str, str], tmp_path: Path, colour: dict[str, str]
) -> None:
    done = cli("run", "-p", "prime_check", env={**env, **colour}, cwd=tmp_path)

    assert done.returncode in (0, 1), done.stderr
    assert "Verdict:" in done.stdout
    assert ESCAPE not in done.stdout + done.stderr
    assert "replaying" not in done.stdout  # the live progress bar
    helped = cli("run", "--help", env={**env, **colour}, cwd=tmp_path)
    assert "--json-out" in helped.stdout and ESCAPE not in helped.stdout


def test_force_color_colours_a_log_but_draws_no_progress_bar(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = cli("run", "-p", "prime_check", env={**env, "FORCE_COLOR": "1"}, cwd=tmp_path)

    assert done.returncode in (0, 1), done.stderr
    assert ESCAPE in done.stdout
    assert "replaying" not in done.stdout


# --- 14.14: deeply nested JSON ----------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


def test_deeply_nested_case_names_the_file_and_line(
    env: dict[str, str], tmp_path: Path, prompts_dir: Path
) -> None:
    cases = prompts_dir / "prime_check" / "cases.jsonl"
    rows = cases.read_text("utf-8").splitlines()
    rows.insert(2, '{"id": "deep", "vars": {"n": 7, "x": ' + DEEP + "}}")
    cases.write_text("\n".join(rows) + "\n", "utf-8")

    done = cli("validate", env=env, cwd=tmp_path)

    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.endswith("prime_check/cases.jsonl:3: JSON nested deeper than 100 levels")


def test_nesting_is_limited_to_100_levels_counting_the_row(
    env: dict[str, str], tmp_path: Path, prompts_dir: Path
) -> None:
    # Far from the decoder's own limit, refused all the same, so that nothing downstream
    # (rendering, hashing, storing) meets a value deeper than the limit.
    cases = prompts_dir / "prime_check" / "cases.jsonl"
    original = cases.read_text("utf-8")

    def row(levels: int) -> str:  # the row and its vars are two levels
        return '{"id": "deep", "vars": {"n": 7, "x": ' + "[" * levels + "]" * levels + "}}\n"

    cases.write_text(original + row(99), "utf-8")
    done = cli("validate", env=env, cwd=tmp_path)
    assert done.returncode == 2
    line_number = len(original.splitlines()) + 1
    assert one_line(done.stderr).endswith(
        f"cases.jsonl:{line_number}: JSON nested deeper than 100 levels"
    )
    cases.write_text(original + row(98), "utf-8")
    assert cli("validate", env=env, cwd=tmp_path).returncode == 0


def test_deeply_nested_lock_file_names_the_file_and_line(
    env: dict[str, str], tmp_path: Path, prompts_dir: Path
) -> None:
    lock = prompts_dir / "prompts.lock"
    lock.write_text('{\n  "prime_check": {},\n  "deep": ' + DEEP + "\n}\n", "utf-8")

    done = cli("validate", env=env, cwd=tmp_path)

    assert done.returncode == 2
    assert one_line(done.stderr).endswith("prompts.lock:3: JSON nested deeper than 100 levels")


def test_deeply_nested_snapshot_file_names_the_file_and_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = snapshot_files.accepted_path(
        tmp_path / "snapshots", "prime_check", "v1", "openai:gpt-sim-2024-05-13"
    )
    path.parent.mkdir(parents=True)
    path.write_text('{\n  "format": "promptcompat.snapshots/1",\n  "cases": ' + DEEP + "\n}\n")

    done = cli("snapshots", "verify", env=env, cwd=tmp_path)

    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.endswith(".json:3: JSON nested deeper than 100 levels")
    assert "prime_check/v1/" in line


# --- 14.13: a full disk (a real one: see small_disk in conftest.py) ---------------------------


def test_a_full_disk_is_one_line_exit_2_and_the_run_is_marked_failed(
    env: dict[str, str], tmp_path: Path, small_disk: Callable[[int], Path]
) -> None:
    home = small_disk(3072) / "home"
    env = {**env, "PROMPTCOMPAT_HOME": str(home)}
    first = cli("run", "-p", "prime_check", env=env, cwd=tmp_path)
    assert first.returncode in (0, 1), first.stderr

    # 864 calls: the plan fits in what is left of the 3 MB, their answers do not.
    done = cli(
        "run",
        "-p",
        "extract_contact",
        "--samples",
        "12",
        env=env,
        cwd=tmp_path,
        crash_expected=True,
    )

    assert done.returncode == 2
    line = one_line(done.stderr)
    db = home / "promptcompat.db"
    assert line.startswith(
        f"error: promptcompat run failed: the store {db} failed: database or disk is full; "
    )
    # The home is full too: the crash log went to the temporary folder.
    log = Path(CRASH_LOG.search(line).group(1))  # type: ignore[union-attr]
    assert log.parent == tmp_path and "database or disk is full" in log.read_text("utf-8")
    with sqlite3.connect(db) as conn:
        runs = conn.execute("SELECT status, error FROM run ORDER BY created_at").fetchall()
    # The earlier run survived; the new one is failed, with a cause that quotes no SQL.
    assert runs[0][0].startswith("completed")
    assert runs[1] == ("failed", "the store failed: database or disk is full")


def test_an_unknown_tool_order_names_the_file_and_line(
    env: dict[str, str], tmp_path: Path, prompts_dir: Path
) -> None:
    prompt = prompts_dir / "prime_check" / "prompt.yaml"
    text = prompt.read_text("utf-8")
    prompt.write_text(text + "tool_order: sorted\n", "utf-8")
    line = len(text.splitlines()) + 1

    done = cli("validate", env=env, cwd=tmp_path)

    assert done.returncode == 2
    assert one_line(done.stderr).endswith(
        f"prime_check/prompt.yaml:{line}: tool_order must be one of strict, unordered, subset, "
        "superset"
    )
    prompt.write_text(text + "tool_order: strict\n", "utf-8")
    assert cli("validate", env=env, cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("args", [("run", "--help"), ("rules",)])
def test_a_reader_that_goes_away_is_not_a_breaking_exit(
    env: dict[str, str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    """``promptcompat run --help | head -1``: the pipe closes under the writer. It was exit 1,
    which CI reads as "breaking"; it is 141, as a shell reports a tool SIGPIPE ended."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write: no race with the output
    try:
        done = subprocess.run(
            [sys.executable, "-m", "promptcompat", *args],
            env=env,
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    check_no_crash(done)  # the project's one crash guard: no traceback, no crash line
    assert done.returncode == 141, done.stderr


def test_an_error_raised_while_ctrl_c_was_handled_is_told_apart() -> None:
    """Ctrl-C inside a PostgreSQL pool ping made the ping's cleanup fail with an error of its
    own ("can't change 'autocommit' now"): seen once in CI as a crash of `run --queue`. The
    command line reads such an error as the interrupt (exit 130), not a crash (exit 2)."""
    from promptcompat.cli.common import raised_while_handling

    def ping() -> None:
        try:
            raise KeyboardInterrupt
        finally:
            raise RuntimeError("can't change 'autocommit' now")

    with pytest.raises(RuntimeError) as info:
        ping()
    assert raised_while_handling(info.value, KeyboardInterrupt)
    assert not raised_while_handling(info.value, BrokenPipeError)
    assert not raised_while_handling(RuntimeError("a bug"), KeyboardInterrupt)
