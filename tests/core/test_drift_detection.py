"""Each scripted drift of the simulator is reported with the right verdict and rule."""

from __future__ import annotations

import pytest
from inline import run_inline
from sqlalchemy import Engine

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.report import build_report
from promptcompat.runs import RunRequest
from promptcompat.suite import Suite

OPENAI_OLD = "openai:gpt-sim-2024-05-13?temperature=0"
ANTHROPIC_OLD = "anthropic:claude-sim-3-5-20241022?temperature=0"

# drift kind, prompt, provider of the prompt's pinned model, expected verdict, expected rule
EXPECTED = [
    ("field_renamed", "extract_contact", "openai", "BREAKING", "json.field_removed"),
    ("field_removed", "extract_contact", "openai", "BREAKING", "json.field_removed"),
    ("type_changed", "extract_contact", "openai", "BREAKING", "json.type_changed"),
    ("json_fenced", "extract_contact", "openai", "BREAKING", "drift.json_fenced"),
    ("json_in_prose", "extract_contact", "openai", "BREAKING", "drift.json_in_prose"),
    ("new_enum_value", "triage_ticket", "anthropic", "BREAKING", "json.enum_value_new"),
    ("type_changed", "triage_ticket", "anthropic", "BREAKING", "json.type_changed"),
    ("code_fenced", "write_function", "openai", "BREAKING", "drift.code_fence_added"),
    ("refusal", "write_function", "openai", "BREAKING", "drift.refusal_introduced"),
    ("refusal", "prime_check", "anthropic", "BREAKING", "drift.refusal_introduced"),
    ("format_ignored", "prime_check", "anthropic", "BREAKING", "drift.format_marker_lost"),
    ("verbose", "prime_check", "anthropic", "CHANGED", "drift.verbosity"),
    ("language_switched", "prime_check", "anthropic", "BREAKING", "drift.language_changed"),
]


def forward(
    engine: Engine, suite: Suite, settings: Settings, prompt: str, provider: str, model: str
) -> dict:  # type: ignore[type-arg]
    baseline = OPENAI_OLD if provider == "openai" else ANTHROPIC_OLD
    run_id, _ = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(
            prompts=(prompt,), baseline=baseline, candidate=f"{provider}:{model}?temperature=0"
        ),
        settings=settings,
    )
    with store.session_scope(engine) as session:
        return build_report(session=session, run_id=run_id).to_json()


@pytest.mark.parametrize(("kind", "prompt", "provider", "verdict", "rule"), EXPECTED)
def test_scripted_drift_gets_its_verdict_and_rule(
    engine: Engine,
    suite: Suite,
    settings: Settings,
    kind: str,
    prompt: str,
    provider: str,
    verdict: str,
    rule: str,
) -> None:
    report = forward(engine, suite, settings, prompt, provider, f"sim-drift-{kind}")
    cases = [c for c in report["cases"] if c["direction"] == "FORWARD"]
    assert cases
    hit = [c for c in cases if rule in {f["rule"] for f in c["findings"]}]
    # The drift applies to every case of its task, so every case must show it.
    assert len(hit) == len(cases), [c["findings"] for c in cases if c not in hit][:3]
    assert {c["verdict"] for c in hit} == {verdict}


@pytest.mark.parametrize(
    ("prompt", "provider"),
    [
        ("extract_contact", "openai"),
        ("triage_ticket", "anthropic"),
        ("write_function", "openai"),
        ("prime_check", "anthropic"),
    ],
)
def test_paraphrase_is_compatible(
    engine: Engine, suite: Suite, settings: Settings, prompt: str, provider: str
) -> None:
    report = forward(engine, suite, settings, prompt, provider, "sim-paraphrase")
    verdicts = {c["verdict"] for c in report["cases"] if c["direction"] == "FORWARD"}
    assert verdicts == {"COMPATIBLE"}


def test_backward_breaks_of_the_example_prompt_edits(
    engine: Engine, suite: Suite, settings: Settings
) -> None:
    run_id, _ = run_inline(engine=engine, suite=suite, request=RunRequest(), settings=settings)
    with store.session_scope(engine) as session:
        report = build_report(session=session, run_id=run_id).to_json()
    backward = {(c["prompt"]): c for c in report["comparisons"] if c["direction"] == "BACKWARD"}
    rules = lambda name: {f["rule"] for f in backward[name]["top_findings"]}  # noqa: E731
    assert backward["extract_contact"]["verdicts"]["BREAKING"] > 0
    assert "json.field_removed" in rules("extract_contact")
    assert "request.variable_added" in rules("write_function")
    assert backward["triage_ticket"]["holds"] and backward["prime_check"]["holds"]
