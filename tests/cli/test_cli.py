"""The command line as a user runs it: a real process, its output and its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from clirun import check_no_crash, cli
from sqlmodel import select

from promptcompat import store
from promptcompat.store.tables.core import Run


@pytest.fixture
def env(tmp_path: Path, prompts_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    base.pop("OPENAI_API_KEY", None)
    base.pop("ANTHROPIC_API_KEY", None)
    return {
        **base,
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
        "COLUMNS": "200",
    }


def test_demo_reports_drifts_and_the_second_run_is_all_cache(
    env: dict[str, str], tmp_path: Path
) -> None:
    first = cli("demo", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    for needle in (
        "BREAKING",
        "json.field_removed",
        "drift.code_fence_added",
        "request.variable_added",
        "Compatibility matrix",
    ):
        assert needle in out, needle
    assert "from cache: 0" in out
    second = cli("demo", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "sent to providers: 0" in second.stdout
    reports = sorted(
        (tmp_path / "home" / "reports").glob("*.json"), key=lambda p: p.stat().st_mtime
    )
    assert len(reports) == 2
    data = json.loads(reports[-1].read_text())
    assert data["run"]["calls"]["from_cache"] == data["run"]["calls"]["total"] > 0
    # Both runs were started by the inline run starter, as ``run`` starts its runs.
    engine = store.open_engine(f"sqlite:///{tmp_path / 'home' / 'promptcompat.db'}")
    with store.session_scope(engine) as session:
        executions = [r.spec.execution for r in session.exec(select(Run)).all()]
    engine.dispose()
    assert executions == ["inline", "inline"]


def test_run_exit_code_and_report_reprint(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    done = cli(
        "run",
        "--simulator",
        "--prompt",
        "extract_contact",
        "--json-out",
        str(out),
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr  # the new model and v2 both break extraction
    run_id = json.loads(out.read_text())["run"]["id"]
    again = cli("report", run_id[:10], "--json", env=env, cwd=tmp_path)
    assert again.returncode == 1
    assert json.loads(again.stdout)["cases"] == json.loads(out.read_text())["cases"]
    listing = cli("runs", env=env, cwd=tmp_path)
    assert run_id[:12] in listing.stdout


def test_compatible_run_exits_zero(env: dict[str, str], tmp_path: Path) -> None:
    done = cli(
        "run",
        "--simulator",
        "--prompt",
        "prime_check",
        "--candidate-version",
        "v2",
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_unknown_run_is_one_line_and_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    done = cli("report", "doesnotexist", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "no run 'doesnotexist'" in done.stderr
    assert "Traceback" not in done.stderr


def test_error_text_that_looks_like_markup_is_printed_verbatim(
    env: dict[str, str], tmp_path: Path
) -> None:
    # A user's input echoed in an error must not be read as rich markup (it used to crash).
    done = cli("report", "[/bold]x", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "no run '[/bold]x'" in done.stderr
    assert "Traceback" not in done.stderr


def test_broken_suite_names_the_file(
    env: dict[str, str], tmp_path: Path, prompts_dir: Path
) -> None:
    (prompts_dir / "prime_check" / "prompt.yaml").write_text("mode: [unclosed\n")
    done = cli("run", "--simulator", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "prime_check/prompt.yaml" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_target_names_the_target(env: dict[str, str], tmp_path: Path) -> None:
    done = cli("run", "--candidate", "cohere:command", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown provider 'cohere'" in done.stderr


def test_missing_key_for_a_real_provider_is_reported(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    # No simulator, no key: the run must fail cleanly before any network traffic, and
    # before anything is stored (tests/cli/test_cli_targets.py checks the traffic).
    done = cli("run", "--prompt", "prime_check", "--json-out", str(out), env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "ANTHROPIC_API_KEY" in done.stderr and not out.exists()


def test_validate_lock_and_rules(env: dict[str, str], tmp_path: Path) -> None:
    assert cli("validate", env=env, cwd=tmp_path).returncode == 0
    locked = cli("lock", env=env, cwd=tmp_path)
    assert "nothing to lock" in locked.stdout
    rules = cli("rules", env=env, cwd=tmp_path)
    assert "json.field_removed" in rules.stdout and "drift.language_changed" in rules.stdout


def test_simulate_command_serves_both_protocols(env: dict[str, str], tmp_path: Path) -> None:
    import anthropic
    import openai

    proc = subprocess.Popen(
        [sys.executable, "-m", "promptcompat", "simulate", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the server prints its address
        assert "listening on http://127.0.0.1:" in line, proc.stderr.read() if proc.stderr else ""
        url = line.strip().rsplit(" ", 1)[-1]
        models = openai.OpenAI(base_url=url + "/v1", api_key="k", max_retries=0).models.list()
        assert "gpt-sim-2024-05-13" in {m.id for m in models}
        claude = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0).models.list()
        assert "claude-sim-3-5-20241022" in {m.id for m in claude}
    finally:
        proc.terminate()
        _, errors = proc.communicate(timeout=10)
    check_no_crash(subprocess.CompletedProcess(proc.args, 0, "", errors))


def test_invalid_setting_is_one_line_naming_the_variable(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = cli("runs", env={**env, "PROMPTCOMPAT_CONCURRENCY": "0"}, cwd=tmp_path)
    assert done.returncode == 2
    assert "PROMPTCOMPAT_CONCURRENCY" in done.stderr
    assert "Traceback" not in done.stderr
