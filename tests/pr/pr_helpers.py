"""Helpers of the pull-request tests: a throwaway git repository and the CLI run in it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from clirun import cli

from promptcompat.check import CheckOptions, run_check
from promptcompat.check.junit import render_junit
from promptcompat.check.markdown import render_markdown
from promptcompat.config import Settings
from promptcompat.simulator.process import SimulatorProcess

IDENTITY = ("-c", "user.name=promptcompat-test", "-c", "user.email=test@example.invalid")

HARMLESS_V3 = """\
variables: [email]
messages:
  - role: system
    content: |
      You read the emails that reach our sales inbox. Extract the contact details of the
      sender and answer with JSON only: a single object with exactly the keys below, null for
      any value the email does not give. The age is an integer.
      Fields: name, email, phone, company, age
  - role: user
    content: |
      Email:
      {{ email }}
"""

# The simulator's extraction answers with exactly the keys of the `Fields:` line, so renaming
# one in the instructions renames it in every answer (docs/simulator-protocol.md).
RENAMING_V3 = HARMLESS_V3.replace("phone, company, age", "phone, organization, age")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *IDENTITY, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    return done.stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def cli_env(*, home: Path, prompts: Path, sim: SimulatorProcess) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PROMPTCOMPAT_") and k not in ("CI", "GITHUB_ACTIONS")
    }
    return {
        **base,
        "PROMPTCOMPAT_HOME": str(home),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts),
        "PROMPTCOMPAT_OPENAI_BASE_URL": sim.openai_base_url,
        "PROMPTCOMPAT_ANTHROPIC_BASE_URL": sim.anthropic_base_url,
        "OPENAI_API_KEY": "sk-test",
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "COLUMNS": "200",
    }


def check(
    repo: Path, env: dict[str, str], *extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], str, str]:
    """Run ``check --base main``; the process, the JSON result, the markdown and the JUnit."""
    out = repo.parent / "out"
    out.mkdir(exist_ok=True)
    done = cli(
        "check",
        "--base",
        "main",
        "--json-out",
        str(out / "check.json"),
        "--markdown-out",
        str(out / "check.md"),
        "--junit-out",
        str(out / "check.xml"),
        *extra,
        env=env,
        cwd=repo,
    )
    assert (out / "check.json").is_file(), done.stdout + done.stderr
    result = json.loads((out / "check.json").read_text("utf-8"))
    return (
        done,
        result,
        (out / "check.md").read_text("utf-8"),
        (out / "check.xml").read_text("utf-8"),
    )


def sim_settings(*, home: Path, prompts: Path, sim: SimulatorProcess) -> Settings:
    """Settings of a store in ``home`` with both providers sent to the simulator."""
    return Settings(
        home=home,
        prompts_dir=prompts,
        openai_base_url=sim.openai_base_url,
        anthropic_base_url=sim.anthropic_base_url,
        backoff_base=0.05,
    )


def check_here(
    repo: Path, settings: Settings, *, fail_on: str = "ERR", write: bool = True
) -> tuple[dict[str, Any], str, str]:
    """``check --base main`` in this process (what the command does, minus the process start):
    the JSON result, the markdown and the JUnit XML."""
    options = CheckOptions(ref="main", fail_on=fail_on, write_pending=write)  # type: ignore[arg-type]
    result = run_check(settings=settings, options=options)
    return result.to_json(), render_markdown(result), render_junit(result)
