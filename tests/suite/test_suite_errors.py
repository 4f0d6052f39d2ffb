"""Every malformed input is refused with the right error, naming the file and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from suite_samples import PROMPT_YAML, VERSION_YAML, MakePrompt

from promptcompat.errors import (
    PromptCompatError,
    SuiteError,
    SuiteProblems,
    TemplateSecurityError,
    TemplateSyntaxError,
)
from promptcompat.suite import load_suite

NO_CASES = PROMPT_YAML.replace("cases:\n  - {id: c1, vars: {name: Ada}}\n", "")


@dataclass
class Bad:
    error: type[PromptCompatError]
    where: str
    says: str
    prompt: str = PROMPT_YAML
    versions: dict[str, str] = field(default_factory=lambda: {"v1": VERSION_YAML})
    files: dict[str, str] = field(default_factory=dict)


BAD = {
    "bad yaml": Bad(
        SuiteError,
        "hello/prompt.yaml:3",
        "invalid YAML: mapping values are not allowed here",
        prompt="description: x\nmode: FULL\n  deployed: v1\n",
    ),
    "unknown key": Bad(
        SuiteError,
        "hello/prompt.yaml:12",
        "unknown key 'owner'",
        prompt=PROMPT_YAML + "owner: me\n",
    ),
    "unknown target key": Bad(
        SuiteError,
        "hello/prompt.yaml:5",
        "unknown key 'pined'",
        prompt=PROMPT_YAML.replace("  pinned:", "  pined:"),
    ),
    "missing pinned": Bad(
        SuiteError,
        "hello/prompt.yaml:4",
        "missing required key 'pinned'",
        prompt=PROMPT_YAML.replace("  pinned: openai:gpt-sim-2024-05-13?temperature=0\n", ""),
    ),
    "invalid mode": Bad(
        SuiteError,
        "hello/prompt.yaml:2",
        "mode must be one of",
        prompt=PROMPT_YAML.replace("mode: FULL", "mode: SIDEWAYS"),
    ),
    "unknown deployed": Bad(
        SuiteError,
        "hello/prompt.yaml:3",
        "deployed version 'v9' does not exist",
        prompt=PROMPT_YAML.replace("deployed: v1", "deployed: v9"),
    ),
    "invalid contract format": Bad(
        SuiteError,
        "hello/prompt.yaml:9",
        "invalid contract: format",
        prompt=PROMPT_YAML.replace("format: text", "format: xml"),
    ),
    "unknown contract key": Bad(
        SuiteError,
        "hello/prompt.yaml:9",
        "invalid contract: fromat",
        prompt=PROMPT_YAML.replace("format: text", "fromat: text"),
    ),
    "invalid contract regex": Bad(
        SuiteError,
        "hello/prompt.yaml:10",
        "not a valid regex",
        prompt=PROMPT_YAML.replace("format: text", "format: text\n  must_match: ['[unclosed']"),
    ),
    "invalid json schema": Bad(
        SuiteError,
        "hello/prompt.yaml:10",
        "not a valid JSON Schema",
        prompt=PROMPT_YAML.replace("format: text", "format: json\n  schema: {type: 12}"),
    ),
    "yaml alias": Bad(
        SuiteError,
        "hello/prompt.yaml:11",
        "anchors/aliases are not allowed",
        prompt=PROMPT_YAML.replace("{name: Ada}", "&v {name: Ada}") + "  - {id: c2, vars: *v}\n",
    ),
    "unknown version key": Bad(
        SuiteError,
        "hello/versions/v1.yaml:8",
        "unknown key 'temperature'",
        versions={"v1": VERSION_YAML + "temperature: 0\n"},
    ),
    "bad role": Bad(
        SuiteError,
        "hello/versions/v1.yaml:5",
        "role must be one of",
        versions={"v1": VERSION_YAML.replace("role: user", "role: human")},
    ),
    "undeclared variable": Bad(
        SuiteError,
        "hello/versions/v1.yaml:7",
        "undeclared variable(s) name",
        versions={"v1": VERSION_YAML.replace("variables: [name]", "variables: []")},
    ),
    "template syntax error": Bad(
        TemplateSyntaxError,
        "hello/versions/v1.yaml:9",
        "Unexpected end of template",
        versions={"v1": VERSION_YAML + "      {% if name %}\n      no endif\n"},
    ),
    "unknown filter": Bad(
        TemplateSyntaxError,
        "hello/versions/v1.yaml:7",
        "No filter named 'shout'",
        versions={"v1": VERSION_YAML.replace("{{ name }}", "{{ name|shout }}")},
    ),
    "include": Bad(
        TemplateSecurityError,
        "hello/versions/v1.yaml:8",
        "include is not allowed",
        versions={"v1": VERSION_YAML + "      {% include 'secrets.txt' %}\n"},
    ),
    "duplicate variable": Bad(
        SuiteError,
        "hello/versions/v1.yaml:1",
        "not a unique identifier",
        versions={"v1": VERSION_YAML.replace("[name]", "[name, name]")},
    ),
    "no versions": Bad(SuiteError, "hello/versions", "no versions", versions={}),
    "stray file in versions": Bad(
        SuiteError,
        "hello/versions/notes.txt",
        "only <version>.yaml",
        files={"versions/notes.txt": "draft"},
    ),
    "no cases": Bad(SuiteError, "hello/prompt.yaml", "no cases", prompt=NO_CASES),
    "bad jsonl row": Bad(
        SuiteError,
        "hello/cases.jsonl:2",
        "invalid JSON",
        prompt=NO_CASES,
        files={"cases.jsonl": '{"id": "a", "vars": {"name": "A"}}\n{"id": "b", "vars": \n'},
    ),
    "jsonl missing id": Bad(
        SuiteError,
        "hello/cases.jsonl:3",
        "case id None",
        prompt=NO_CASES,
        files={"cases.jsonl": '{"id": "a", "vars": {}}\n\n{"vars": {"name": "B"}}\n'},
    ),
    "jsonl non-object vars": Bad(
        SuiteError,
        "hello/cases.jsonl:1",
        "vars must be an object",
        prompt=NO_CASES,
        files={"cases.jsonl": '{"id": "a", "vars": ["Ada"]}\n'},
    ),
    "jsonl nan": Bad(
        SuiteError,
        "hello/cases.jsonl:1",
        "NaN is not valid JSON",
        prompt=NO_CASES,
        files={"cases.jsonl": '{"id": "a", "vars": {"x": NaN}}\n'},
    ),
    "jsonl unknown key": Bad(
        SuiteError,
        "hello/cases.jsonl:1",
        "unknown key(s) 'expected'",
        prompt=NO_CASES,
        files={"cases.jsonl": '{"id": "a", "vars": {}, "expected": 1}\n'},
    ),
    "key facts not a list": Bad(
        SuiteError,
        "hello/prompt.yaml:11",
        "case c1: facts must be a list of short statements",
        prompt=PROMPT_YAML.replace("{name: Ada}}", "{name: Ada}, facts: 25 May}"),
    ),
    "key fact empty": Bad(
        SuiteError,
        "hello/cases.jsonl:1",
        "case a: facts must be a list of short statements",
        prompt=NO_CASES,
        files={"cases.jsonl": '{"id": "a", "vars": {}, "facts": ["25 May", ""]}\n'},
    ),
    "bad case id": Bad(
        SuiteError,
        "hello/cases.jsonl:1",
        "case id 'two words'",
        prompt=NO_CASES,
        files={"cases.jsonl": '{"id": "two words", "vars": {}}\n'},
    ),
    "duplicate id across inline and dataset": Bad(
        SuiteError,
        "hello/cases.jsonl:1",
        "duplicate case id 'c1' (first defined at prompts/hello/prompt.yaml:11)",
        files={"cases.jsonl": '{"id": "c1", "vars": {"name": "Bob"}}\n'},
    ),
    "duplicate id in dataset": Bad(
        SuiteError,
        "hello/cases.csv:4",
        "duplicate case id 'x'",
        prompt=NO_CASES,
        files={"cases.csv": "id,name\nx,Ada\ny,Bob\nx,Cy\n"},
    ),
    "unknown provider": Bad(
        SuiteError,
        "hello/prompt.yaml:5",
        "unknown provider 'opnai'",
        prompt=PROMPT_YAML.replace("pinned: openai:", "pinned: opnai:"),
    ),
    "unknown target parameter": Bad(
        SuiteError,
        "hello/prompt.yaml:7",
        "unknown parameter 'temprature'",
        prompt=PROMPT_YAML.replace("2025-06-01?temperature", "2025-06-01?temprature"),
    ),
    "csv wrong column count": Bad(
        SuiteError,
        "hello/cases.csv:3",
        "expected 3 columns (id, name, reference), got 2",
        prompt=NO_CASES,
        files={"cases.csv": "id,name,reference\na,Ada,hi\nb,Bob\n"},
    ),
    "csv without id column": Bad(
        SuiteError,
        "hello/cases.csv:1",
        "needs an `id` column",
        prompt=NO_CASES,
        files={"cases.csv": "name,reference\nAda,hi\n"},
    ),
    "csv bad variable column": Bad(
        SuiteError,
        "hello/cases.csv:1",
        "bad: first name",
        prompt=NO_CASES,
        files={"cases.csv": "id,first name\na,Ada\n"},
    ),
    "both datasets": Bad(
        SuiteError,
        "hello/prompt.yaml",
        "both cases.jsonl and cases.csv",
        files={"cases.jsonl": "", "cases.csv": "id\n"},
    ),
    "dataset outside the folder": Bad(
        SuiteError,
        "hello/prompt.yaml:10",
        "inside the prompt folder",
        prompt=NO_CASES + "dataset: ../../cases.jsonl\n",
    ),
    "missing dataset file": Bad(
        SuiteError,
        "hello/missing.jsonl",
        "file not found",
        prompt=NO_CASES + "dataset: missing.jsonl\n",
    ),
    "invalid utf-8": Bad(
        SuiteError,
        "hello/cases.jsonl:2",
        "not valid UTF-8",
        prompt=NO_CASES,
        files={"cases.jsonl": '{"id": "a", "vars": {}}\n{"id": "\udcff"}\n'},
    ),
}


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_malformed_input_names_the_place(make_prompt: MakePrompt, bad: Bad) -> None:
    root = make_prompt(
        prompt=bad.prompt,
        versions=bad.versions,
        files={k: v for k, v in bad.files.items() if "\udcff" not in v},
    )
    for relative, text in bad.files.items():
        if "\udcff" in text:  # write the undecodable byte itself
            (root / "hello" / relative).write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(bad.error) as caught:
        load_suite(root)
    error = caught.value
    assert type(error) is bad.error
    assert error.where is not None
    assert error.where == f"prompts/{bad.where}", str(error)
    assert bad.says in error.message


def test_folder_without_prompt_yaml(make_prompt: MakePrompt) -> None:
    root = make_prompt()
    (root / "drafts").mkdir()
    with pytest.raises(SuiteError) as caught:
        load_suite(root)
    assert caught.value.where == "prompts/drafts/prompt.yaml"


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="no prompt suite"):
        load_suite(tmp_path / "nowhere")


def test_every_problem_of_the_suite_is_reported_at_once(make_prompt: MakePrompt) -> None:
    make_prompt("alpha", prompt=PROMPT_YAML.replace("pinned: openai:", "pinned: opnai:"))
    broken_version = VERSION_YAML.replace("{{ name }}", "{{ name ")
    make_prompt("beta", versions={"v1": VERSION_YAML, "v2": broken_version})
    root = make_prompt(
        "gamma", prompt=PROMPT_YAML.replace("?temperature=0\ncontract", "?colour=red\ncontract")
    )
    make_prompt("delta")  # fine: loads, and is not among the problems
    with pytest.raises(SuiteProblems) as caught:
        load_suite(root)
    places = [problem.where for problem in caught.value.problems]
    assert places == [
        "prompts/alpha/prompt.yaml:5",
        "prompts/beta/versions/v2.yaml:7",
        "prompts/gamma/prompt.yaml:7",
    ], str(caught.value)
    assert str(caught.value).count("\n") == 2  # one line each
    assert "prompts/delta" not in str(caught.value)
