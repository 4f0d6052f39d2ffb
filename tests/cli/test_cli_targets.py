"""Targets as a user writes them, through the real command: keys, keyless endpoints,
--simulator, redirects, and target strings checked when the suite loads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clirun import cli
from loopback import Endpoint

PRIME = "prime_check"
PINNED = "anthropic:claude-sim-3-5-20241022?temperature=0"


@pytest.fixture
def env(tmp_path: Path, prompts_dir: Path) -> dict[str, str]:
    """No provider key and no provider address from the test runner's environment."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PROMPTCOMPAT_", "OPENAI_", "ANTHROPIC_"))
    }
    return {
        **base,
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
        "COLUMNS": "200",
    }


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_a_missing_key_stops_the_run_before_any_call(env: dict[str, str], tmp_path: Path) -> None:
    with Endpoint() as provider:
        env = {
            **env,
            "PROMPTCOMPAT_OPENAI_BASE_URL": provider.url,
            "PROMPTCOMPAT_ANTHROPIC_BASE_URL": provider.origin,
            "OPENAI_API_KEY": "sk-test",  # extract_contact could run; prime_check cannot
        }
        done = cli("run", "-p", "extract_contact", "-p", PRIME, env=env, cwd=tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr
        assert provider.seen == []  # not one call, of either prompt
    errors = _errors(done.stderr)
    assert len(errors) == 1, done.stderr
    assert PINNED in errors[0] and "ANTHROPIC_API_KEY" in errors[0]
    assert "api_key=none" in errors[0]
    assert "Traceback" not in done.stderr
    listing = cli("runs", env=env, cwd=tmp_path)
    assert listing.returncode == 0
    assert not any(s in listing.stdout for s in ("pending", "running", "completed", "failed"))


def test_a_keyless_local_endpoint_needs_no_key_variable_and_gets_no_key(
    env: dict[str, str], tmp_path: Path
) -> None:
    with Endpoint() as local:
        old = f"openai-compatible:llama3.1?temperature=0&base_url={local.url}&api_key=none"
        new = f"openai-compatible:llama3.2?temperature=0&base_url={local.url}&api_key=none"
        done = cli("run", "-p", PRIME, "--baseline", old, "--candidate", new, env=env, cwd=tmp_path)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        paths = {seen.path for seen in local.seen}
        assert paths == {"/v1/chat/completions"} and len(local.seen) == 2 * 24
        assert local.credentials() == []


def test_the_simulator_receives_calls_of_targets_with_their_own_base_url(
    env: dict[str, str], tmp_path: Path, prompts_dir: Path
) -> None:
    with Endpoint() as gateway:
        prompt = prompts_dir / PRIME / "prompt.yaml"
        paid = f"anthropic:claude-sim-4-20250514?temperature=0&base_url={gateway.origin}"
        prompt.write_text(
            prompt.read_text().replace(
                "- anthropic:claude-sim-4-20250514?temperature=0",
                f"- {paid}&api_key_env=GATEWAY_KEY",
            )
        )
        out = tmp_path / "r.json"
        env = {**env, "GATEWAY_KEY": "sk-gateway-paid"}
        done = cli("run", "--simulator", "-p", PRIME, "--json-out", str(out), env=env, cwd=tmp_path)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        assert "simulator listening on" in done.stdout
        assert gateway.seen == []
    calls = json.loads(out.read_text())["run"]["calls"]
    assert calls["provider_requests"] == calls["total"] == 3 * 24  # all answered, simulated


def test_a_redirecting_endpoint_is_not_followed(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "OPENAI_API_KEY": "sk-test"}
    with Endpoint() as elsewhere, Endpoint(redirect_to=elsewhere.origin) as allowed:
        target = f"openai-compatible:llama3.1?base_url={allowed.url}"
        done = cli(
            "run", "-p", PRIME, "--baseline", target, "--candidate", target + "&seed=1",
            "--json-out", str(tmp_path / "r.json"), env=env, cwd=tmp_path,
        )  # fmt: skip
        assert elsewhere.seen == []
        assert len(allowed.seen) == 2 * 24  # each call once: a redirect is not retried
    assert done.returncode == 2, done.stdout + done.stderr
    report = (tmp_path / "r.json").read_text()
    assert "redirects to" in report and "redirects are not followed" in report


def test_validate_reports_every_bad_target_naming_file_and_line(
    env: dict[str, str], tmp_path: Path, prompts_dir: Path
) -> None:
    extract = prompts_dir / "extract_contact" / "prompt.yaml"
    extract.write_text(extract.read_text().replace("pinned: openai:", "pinned: opnai:"))
    prime = prompts_dir / PRIME / "prompt.yaml"
    prime.write_text(prime.read_text().replace("20250514?temperature=0", "20250514?temprature=0"))
    (prompts_dir / "targets.yaml").write_text(
        "deprecations:\n"
        "  - target: openai:gpt-sim-2024-05-13\n"
        "    retires: 2030-01-01\n"
        "    successor: openai:gpt-sim-2025-06-01?api_key=sk-live-1234\n"
    )
    env.pop("COLUMNS")  # one line each, however narrow rich thinks the output is
    done = cli("validate", env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    errors = _errors(done.stderr)
    assert len(errors) == 3 and len(done.stderr.splitlines()) == 4, done.stderr
    assert "prompts/extract_contact/prompt.yaml:5:" in errors[0]
    assert "unknown provider 'opnai'" in errors[0]
    assert "prompts/prime_check/prompt.yaml:7:" in errors[1]
    assert "unknown parameter 'temprature'" in errors[1]
    assert "prompts/targets.yaml:2:" in errors[2] and "api_key takes only" in errors[2]
    assert "sk-live-1234" not in done.stderr  # a pasted key is not echoed
    assert "Traceback" not in done.stderr
    run = cli("run", "--simulator", "-p", PRIME, env=env, cwd=tmp_path)
    assert run.returncode == 2
    assert "prompts/prime_check/prompt.yaml:7:" in run.stderr  # run names the place too


def test_a_template_printing_a_method_is_refused(
    env: dict[str, str], tmp_path: Path, prompts_dir: Path
) -> None:
    (prompts_dir / PRIME / "versions" / "v3.yaml").write_text(
        "variables: [n]\n"
        "messages:\n"
        "  - role: user\n"
        "    content: Is {{ n }} prime? {{ dict.fromkeys }} {{ n.bit_length }}\n"
    )
    done = cli("validate", env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    errors = _errors(done.stderr)
    assert len(errors) == 24, done.stderr  # every case of v3, each on its own line
    assert "prompts/prime_check/versions/v3.yaml:4 (case n2 from" in errors[0]
    assert "'dict.fromkeys' cannot be printed" in errors[0]
    assert " at 0x" not in done.stderr
