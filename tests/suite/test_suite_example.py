"""The example suite in prompts/ loads, and what it declares is what the docs promise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suite_samples import VERSION_YAML, MakePrompt

from promptcompat.suite import (
    Message,
    Suite,
    content_hash,
    load_suite,
    required_variables,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture(scope="module")
def example() -> Suite:
    return load_suite(EXAMPLE)


def test_six_prompts_two_versions_many_cases(example: Suite) -> None:
    assert list(example.prompts) == [
        "contact_card",
        "extract_contact",
        "plan_trip",
        "prime_check",
        "triage_ticket",
        "write_function",
    ]
    for prompt in example.prompts.values():
        assert list(prompt.versions) == ["v1", "v2"]
        assert prompt.deployed == "v1"
        assert len(prompt.cases) >= 20
        assert prompt.unlocked == (), "every example version is released in prompts.lock"
        assert prompt.description
        for case in prompt.cases:
            assert case.source.startswith(f"prompts/{prompt.name}/")


def test_declarations(example: Suite) -> None:
    extract = example.prompts["extract_contact"]
    assert extract.mode == "FULL"
    assert extract.contract.format == "json"
    assert extract.contract.json_schema is not None
    assert {"name", "email", "company", "age"} <= set(extract.contract.json_schema["required"])
    assert extract.pinned == "openai:gpt-sim-2024-05-13?temperature=0"
    assert extract.candidates == ("openai:gpt-sim-2025-06-01?temperature=0",)
    assert extract.cases[0].source == "prompts/extract_contact/cases.jsonl:1"

    triage = example.prompts["triage_ticket"]
    # sampled at temperature > 0 with a seed: reproducible noise for --samples K
    assert triage.pinned == "openai:gpt-sim-2024-05-13?temperature=0.7&seed=1"
    assert (triage.contract.reference.match, triage.contract.reference.path) == ("exact", "$.label")
    assert triage.cases[0].source == "prompts/triage_ticket/cases.csv:2"
    labels = {"billing", "technical", "account", "shipping", "other"}
    assert {case.reference for case in triage.cases} == labels

    code = example.prompts["write_function"]
    assert (code.mode, code.contract.format, code.contract.language) == (
        "FULL",
        "code",
        "python",
    )
    assert code.cases[0].source.startswith("prompts/write_function/prompt.yaml:")
    assert [c.name for c in code.checks] == ["check_defines_the_requested_function"]

    assert dict(extract.policy.severities) == {"json.field_added": "WARN"}

    prime = example.prompts["prime_check"]
    assert prime.contract.must_match == [r"\[(Yes|No)\]\s*$"]
    assert [w.rule for w in prime.policy.waivers] == ["budget.cost"]
    assert {case.reference for case in prime.cases} == {"[Yes]", "[No]"}


def test_the_breaking_edits_are_the_documented_ones(example: Suite) -> None:
    extract = example.prompts["extract_contact"].versions
    assert "Fields: name, email, phone, company, age" in extract["v1"].messages[0].content
    assert "Fields: name, email, phone, organization, age" in extract["v2"].messages[0].content

    code = example.prompts["write_function"].versions
    assert required_variables(code["v1"]) == {"function_name", "task"}
    assert required_variables(code["v2"]) - required_variables(code["v1"]) == {"style_guide"}
    assert all("style_guide" in c.vars for c in example.prompts["write_function"].cases)


def test_hashes_match_the_lock_file(example: Suite) -> None:
    lock = json.loads((EXAMPLE / "prompts.lock").read_text("utf-8"))
    for prompt in example.prompts.values():
        for version in prompt.versions.values():
            assert lock[prompt.name][version.version] == version.content_hash
            assert version.content_hash == content_hash(
                version.messages,
                version.variables,
                options=version.options,
                history=version.history,
            )


def test_lock_file_is_canonical() -> None:
    text = (EXAMPLE / "prompts.lock").read_bytes().decode("utf-8")
    assert "\r" not in text and text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_hash_ignores_yaml_layout_but_not_content(make_prompt: MakePrompt) -> None:
    relaid = (
        "# same content, other layout\n"
        "messages:\n"
        "- {role: system, content: 'You greet people.'}\n"
        '- role: user\n  content: "Say hello to {{ name }}.\\n"\n'
        "variables:\n- name\n"
    )
    edited = VERSION_YAML.replace("Say hello", "Say hi")
    root = make_prompt(versions={"v1": VERSION_YAML, "v2": relaid, "v3": edited})
    versions = load_suite(root).prompts["hello"].versions
    assert versions["v1"].content_hash == versions["v2"].content_hash
    assert versions["v1"].content_hash != versions["v3"].content_hash
    assert versions["v1"].lines == (4, 7)


def test_hash_is_of_canonical_json() -> None:
    messages = (Message("user", "Hi {{ x }}"),)
    # Pinned: changing the canonical form would flag every released version as edited.
    assert content_hash(messages, ("x",)) == (
        "6ea913f8fc82a0115d029469eaff56e9528a8487a31645f1813667f04ff03671"
    )
    assert content_hash(messages, ("x", "y")) == content_hash(messages, ("y", "x"))


def test_versions_in_natural_order(make_prompt: MakePrompt) -> None:
    root = make_prompt(versions={f"v{n}": VERSION_YAML for n in (10, 2, 1, 11)})
    assert list(load_suite(root).prompts["hello"].versions) == ["v1", "v2", "v10", "v11"]


def test_csv_and_inline_cases_together(make_prompt: MakePrompt) -> None:
    root = make_prompt(files={"cases.csv": 'id,name,reference\nc2,"Bob, Jr.",hi Bob\nc3,Cy,\n'})
    cases = load_suite(root).prompts["hello"].cases
    assert [(c.id, c.vars, c.reference) for c in cases] == [
        ("c1", {"name": "Ada"}, None),
        ("c2", {"name": "Bob, Jr."}, "hi Bob"),
        ("c3", {"name": "Cy"}, None),
    ]
    assert [c.source for c in cases] == [
        "prompts/hello/prompt.yaml:11",
        "prompts/hello/cases.csv:2",
        "prompts/hello/cases.csv:3",
    ]


def test_multiline_csv_rows_report_their_first_line(make_prompt: MakePrompt) -> None:
    root = make_prompt(files={"cases.csv": 'id,name\nc2,"two\nlines"\nc3,Cy\n'})
    cases = load_suite(root).prompts["hello"].cases
    assert [c.source for c in cases[1:]] == [
        "prompts/hello/cases.csv:2",
        "prompts/hello/cases.csv:4",
    ]
    assert cases[1].vars == {"name": "two\nlines"}


def test_jsonl_keeps_json_types(make_prompt: MakePrompt) -> None:
    row = {"id": "j1", "vars": {"name": "Ada", "n": 7, "tags": ["a"]}, "reference": {"ok": True}}
    root = make_prompt(files={"cases.jsonl": json.dumps(row) + "\n\n"})
    case = load_suite(root).prompts["hello"].cases[1]
    assert (case.vars, case.reference, case.source) == (
        row["vars"],
        {"ok": True},
        "prompts/hello/cases.jsonl:1",
    )
