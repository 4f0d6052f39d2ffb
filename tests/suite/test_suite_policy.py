"""prompt.yaml's rule policy (rules:, waivers:), the reference spec and checks.py at load."""

from __future__ import annotations

from datetime import date

import pytest
from suite_samples import PROMPT_YAML, MakePrompt

from promptcompat.errors import SuiteError
from promptcompat.suite import load_suite

POLICY = """\
rules:
  json.field_added: WARN
  drift.verbosity: ERR
waivers:
  - rule: json.field_removed
    path: $.phone
    reason: the CRM stopped importing phone numbers (CRM-231)
    expires: 2027-03-31
  - rule: budget.cost
    reason: accepted during the evaluation
    expires: "2026-12-31"
"""


def test_rules_and_waivers_are_loaded(make_prompt: MakePrompt) -> None:
    prompt = load_suite(make_prompt(prompt=PROMPT_YAML + POLICY)).prompts["hello"]
    assert dict(prompt.policy.severities) == {"json.field_added": "WARN", "drift.verbosity": "ERR"}
    phone, cost = prompt.policy.waivers
    assert (phone.rule, phone.path, phone.expires) == (
        "json.field_removed",
        "$.phone",
        date(2027, 3, 31),
    )
    assert phone.where == "prompts/hello/prompt.yaml:16"
    assert (cost.path, cost.expires) == (None, date(2026, 12, 31))
    assert prompt.checks == ()


@pytest.mark.parametrize(
    ("extra", "where", "says"),
    [
        ("rules:\n  json.nope: ERR\n", "prompt.yaml:13", "unknown rule id 'json.nope'"),
        ("rules:\n  json.field_added: FATAL\n", "prompt.yaml:13", "must be one of ERR, WARN"),
        ("rules: [json.field_added]\n", "prompt.yaml:12", "'rules' maps rule ids"),
        ("waivers: {rule: x}\n", "prompt.yaml:12", "'waivers' is a list"),
        (
            "waivers:\n  - {rule: json.field_removed, reason: x}\n",
            "prompt.yaml:13",
            "a waiver needs 'expires'",
        ),
        (
            "waivers:\n  - {rule: json.field_removed, expires: 2027-01-01}\n",
            "prompt.yaml:13",
            "a waiver needs 'reason'",
        ),
        (
            "waivers:\n  - {rule: json.field_removed, reason: x, expires: soon}\n",
            "prompt.yaml:13",
            "expires is a date, YYYY-MM-DD",
        ),
        (
            "waivers:\n  - {rule: drift.nope, reason: x, expires: 2027-01-01}\n",
            "prompt.yaml:13",
            "unknown rule id 'drift.nope'",
        ),
        (
            "waivers:\n  - {rule: json.field_removed, reason: x, expires: 2027-01-01, by: me}\n",
            "prompt.yaml:13",
            "unknown key 'by'",
        ),
        (
            "rules:\n  json.value_changed at escalate: ERR\n",
            "prompt.yaml:13",
            "a rule at a path is written `rule at $.path`",
        ),
        ("rules:\n  json.nope at $.x: ERR\n", "prompt.yaml:13", "unknown rule id 'json.nope'"),
        (
            "waivers:\n  - {rule: json.field_removed, reason: '  ', expires: 2027-01-01}\n",
            "prompt.yaml:13",
            "reason is a non-empty string",
        ),
    ],
)
def test_policy_errors_name_the_line(
    make_prompt: MakePrompt, extra: str, where: str, says: str
) -> None:
    with pytest.raises(SuiteError) as caught:
        load_suite(make_prompt(prompt=PROMPT_YAML + extra))
    assert caught.value.where == f"prompts/hello/{where}"
    assert says in str(caught.value)


def test_a_rule_severity_at_a_json_path(make_prompt: MakePrompt) -> None:
    extra = "rules:\n  json.value_changed: INFO\n  json.value_changed at $.escalate: ERR\n"
    prompt = load_suite(make_prompt(prompt=PROMPT_YAML + extra)).prompts["hello"]
    policy = prompt.policy
    assert dict(policy.severities) == {"json.value_changed": "INFO"}
    assert policy.severity_of("json.value_changed", "$.escalate") == "ERR"
    assert policy.severity_of("json.value_changed", "$.escalate.reason") == "ERR"  # below it
    assert policy.severity_of("json.value_changed", "$.reply") == "INFO"
    assert policy.severity_of("json.field_added", "$.escalate") is None


def test_reference_spec_is_validated(make_prompt: MakePrompt) -> None:
    good = PROMPT_YAML.replace(
        "  format: text\n",
        "  format: json\n  reference: {match: numeric, tolerance: 0.5, path: '$.total'}\n",
    )
    prompt = load_suite(make_prompt(prompt=good)).prompts["hello"]
    assert prompt.contract.reference.match == "numeric"
    assert prompt.contract.reference.tolerance == 0.5
    for bad, says in [
        ("{match: fuzzy}", "invalid contract: reference.match"),
        ("{path: '$.a[x]'}", "cannot read JSON path"),
        ("{match: exact, tol: 1}", "invalid contract: reference.tol"),
        ("{extract: '[(Yes|No)'}", "extract is not a valid regex"),
        ("{extract: 'x', occurrence: middle}", "invalid contract: reference.occurrence"),
    ]:
        text = PROMPT_YAML.replace("  format: text\n", f"  format: text\n  reference: {bad}\n")
        with pytest.raises(SuiteError, match=says.replace("[", r"\[")):
            load_suite(make_prompt(prompt=text))


def test_checks_py_is_loaded_from_the_prompt_folder(make_prompt: MakePrompt) -> None:
    checks = (
        "import json\n\n"
        "def helper(x):\n    return x\n\n"
        "def check_b(output, case):\n    return True\n\n"
        "def check_a(output, case):\n    return False, 'nope'\n"
    )
    root = make_prompt(files={"checks.py": checks})
    prompt = load_suite(root).prompts["hello"]
    assert [c.name for c in prompt.checks] == ["check_b", "check_a"]  # definition order
    assert prompt.checks[1].source == "prompts/hello/checks.py:9"
    assert not (root / "hello" / "__pycache__").exists(), "no bytecode written into the suite"


@pytest.mark.parametrize(
    ("source", "where", "says"),
    [
        ("def check_a(output, case)\n    return True\n", "checks.py:1", "syntax error"),
        ("import json\n\nraise RuntimeError('boom')\n", "checks.py:3", "RuntimeError: boom"),
        ("import no_such_module_xyz\n", "checks.py:1", "ModuleNotFoundError"),
        ("def helper(output, case):\n    return True\n", "checks.py", "no check functions"),
    ],
)
def test_broken_checks_py_is_a_suite_error(
    make_prompt: MakePrompt, source: str, where: str, says: str
) -> None:
    with pytest.raises(SuiteError) as caught:
        load_suite(make_prompt(files={"checks.py": source}))
    assert caught.value.where == f"prompts/hello/{where}"
    assert says in str(caught.value)


def test_tool_order_is_loaded_with_a_default(make_prompt: MakePrompt) -> None:
    assert load_suite(make_prompt()).prompts["hello"].tool_order == "unordered"
    prompt = load_suite(make_prompt(prompt=PROMPT_YAML + "tool_order: strict\n")).prompts["hello"]
    assert prompt.tool_order == "strict"
    with pytest.raises(SuiteError) as caught:
        load_suite(make_prompt(prompt=PROMPT_YAML + "tool_order: sorted\n"))
    assert caught.value.where == "prompts/hello/prompt.yaml:12"
    assert "tool_order must be one of strict, unordered, subset, superset" in str(caught.value)
