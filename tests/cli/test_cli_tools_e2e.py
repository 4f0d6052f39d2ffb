"""The example suite's tool-calling and structured-output prompts as a user runs them: the
real CLI, both official SDKs (plan_trip on Anthropic, contact_card on OpenAI), the shared
simulator. Each scripted drift of the new models is reported with its rule, agent loops by
the first step where they part, each prompt's v2 with its BACKWARD request rule, a reasoning
model's rejected `temperature` by name; a rerun sends nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from clirun import cli

from promptcompat.simulator.process import SimulatorProcess

# Which drift the new models apply to a request is fixed (a hash of the request), so each
# of these cases always meets the same one (simulator/tool_calls.py).
FORWARD_RULES = {
    ("plan_trip", "berlin-madrid"): "tool.parallel_calls_changed",  # parallel calls cut
    ("plan_trip", "sydney-weather"): "tool.argument_retyped",  # city: a string -> a list
    ("plan_trip", "vienna-prague-budapest"): "tool.argument_removed",  # city -> city_name
    ("plan_trip", "havana-weather"): "tool.tool_changed",  # get_local_time instead
    ("plan_trip", "reykjavik-weather"): "tool.text_instead_of_call",  # answers in text
    ("plan_trip", "singapore-time"): "tool.text_instead_of_call",  # its one call dropped
    ("plan_trip", "paris-loop"): "tool.argument_removed",  # renamed in step 1 of the loop
    ("plan_trip", "lima-time-loop"): "tool.text_instead_of_call",  # no call in step 1
    ("contact_card", "tom-becker"): "structured.refusal",
    ("contact_card", "ravi-patel"): "structured.schema_violation",
}


@pytest.fixture
def env(tmp_path: Path, prompts_dir: Path, sim: SimulatorProcess) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    return {
        **base,
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
        "PROMPTCOMPAT_OPENAI_BASE_URL": sim.openai_base_url,
        "PROMPTCOMPAT_ANTHROPIC_BASE_URL": sim.anthropic_base_url,
        "OPENAI_API_KEY": "sk-sim",
        "ANTHROPIC_API_KEY": "sk-ant-sim",
        "COLUMNS": "200",
    }


def _run(env: dict[str, str], tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "report.json"
    done = cli("run", *args, "--json-out", str(out), env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr  # breaking, not a crash (2)
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def _findings(report: dict[str, Any], direction: str) -> dict[tuple[str, str], list[Any]]:
    return {
        (c["prompt"], c["case_id"]): c["findings"]
        for c in report["cases"]
        if c["direction"] == direction
    }


def test_tool_and_structured_drifts_each_with_its_rule_and_a_rerun_sends_nothing(
    env: dict[str, str], tmp_path: Path, sim: SimulatorProcess
) -> None:
    args = ("-p", "plan_trip", "-p", "contact_card")
    report = _run(env, tmp_path, *args)

    forward = _findings(report, "FORWARD")
    for case, rule in FORWARD_RULES.items():
        assert rule in {f["rule"] for f in forward[case]}, (case, forward[case])
        assert all(f["severity"] == "ERR" for f in forward[case] if f["rule"] == rule)
    # The response_format's violation is the finding; the contract's same schema error at
    # the same path is not a second one.
    off_schema = {(f["rule"], f["path"]) for f in forward["contact_card", "ravi-patel"]}
    assert ("structured.schema_violation", "$.company") in off_schema
    assert not any(rule == "contract.schema" for rule, _ in off_schema)
    loop = next(
        f
        for f in forward["plan_trip", "paris-loop"]
        if f["rule"] == FORWARD_RULES["plan_trip", "paris-loop"]
    )
    assert loop["message"].startswith("step 1 of the agent loop: get_weather: argument $.city")
    assert loop["path"] == "$.get_weather.city"
    # Cases the new model answers as the old one did stay compatible.
    assert forward["contact_card", "maria-gonzalez"] == []
    assert forward["plan_trip", "oslo-after-forecast"] == []  # a case with a history

    # The coverage says what watched them: the declared tools, the requested structure.
    coverage = {p: report["prompts"][p]["coverage"]["line"] for p in ("plan_trip", "contact_card")}
    assert coverage["plan_trip"].startswith("watched by tool calls (get_weather, get_local_time)")
    assert coverage["contact_card"].startswith(
        "watched by structured output (response_format 'contact_card')"
    )

    backward = _findings(report, "BACKWARD")
    for (prompt, _), found in backward.items():
        required = {(f["rule"], f["path"]) for f in found if f["severity"] == "ERR"}
        if prompt == "plan_trip":  # v2's get_weather requires `days`
            assert ("request.tool_parameter_required", "$.get_weather.days") in required
        else:  # v2's card requires `city`
            assert ("request.response_schema_narrowed", "$.city") in required

    # Every call, the agent loops' steps included, comes from the cache the second time.
    before = sim.stats()["requests"]
    again = _run(env, tmp_path, *args)
    assert sim.stats()["requests"] == before
    assert again["run"]["calls"]["from_cache"] == again["run"]["calls"]["total"] > 0
    assert again["run"]["calls"]["provider_requests"] == 0
    assert _findings(again, "FORWARD") == forward


@pytest.mark.parametrize(
    ("prompt", "target"),
    [
        ("contact_card", "openai:sim-reasoning?temperature=0"),
        ("plan_trip", "anthropic:sim-reasoning?temperature=0"),
    ],
)
def test_a_reasoning_model_rejecting_temperature_is_named_per_case(
    env: dict[str, str], tmp_path: Path, prompt: str, target: str
) -> None:
    report = _run(env, tmp_path, "-p", prompt, "--candidate", target)
    forward = _findings(report, "FORWARD")
    assert forward
    for found in forward.values():
        rejected = [f for f in found if f["rule"] == "request.param_rejected"]
        assert [f["path"] for f in rejected] == ["temperature"], found
        assert rejected[0]["message"].startswith(f"{target} rejects parameter 'temperature': ")
    assert all(c["verdict"] == "BREAKING" for c in report["cases"])  # not ERROR
