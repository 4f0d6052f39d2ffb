"""Tools, structured output and conversation histories in a version file (issue 17): what
loads, what is refused (file and line, or case), what renders, what the hashes cover."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import cli
from suite_samples import PROMPT_YAML, VERSION_YAML, MakePrompt

from promptcompat.errors import ConfigError, SuiteError, TemplateError
from promptcompat.replay.plan import cache_key
from promptcompat.suite import load_suite
from promptcompat.suite.rendering import render_messages
from promptcompat.suite.targets import parse_target
from promptcompat.suite.turns import parse_history
from promptcompat.suite.types import Case, Message, RequestOptions, Tool

TOOLS_YAML = """\
variables: [question, turns]
tools:
  - name: get_weather
    description: Current weather in a city
    parameters:
      type: object
      properties:
        city: {type: string}
      required: [city]
  - name: get_time
    description: Local time in a city
    parameters: {type: object, properties: {city: {type: string}}}
tool_choice: auto
parallel_tool_calls: false
response_format:
  type: json_schema
  name: answer
  strict: true
  schema: {type: object, properties: {text: {type: string}}, required: [text]}
messages:
  - role: system
    content: You are a travel assistant.
  - history: turns
  - role: user
    content: "{{ question }}"
"""
TURNS = [
    {"role": "user", "content": "Weather in Paris?"},
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "18C"},
]
HISTORY_PROMPT = PROMPT_YAML.replace(
    "cases:\n  - {id: c1, vars: {name: Ada}}\n",
    "",
)


def _cases(*rows: dict[str, object]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def test_a_version_declares_tools_structured_output_and_a_history(
    make_prompt: MakePrompt,
) -> None:
    root = make_prompt(
        prompt=HISTORY_PROMPT,
        versions={"v1": TOOLS_YAML},
        files={
            "cases.jsonl": _cases({"id": "a", "vars": {"question": "And now?", "turns": TURNS}})
        },
    )
    version = load_suite(root).prompts["hello"].versions["v1"]
    assert [t.name for t in version.tools] == ["get_weather", "get_time"]
    assert version.tool_choice == "auto" and version.parallel_tool_calls is False
    assert version.response_format is not None and version.response_format.strict
    assert [(s.position, s.variable) for s in version.history] == [(1, "turns")]
    case = load_suite(root).prompts["hello"].cases[0]
    rendered = render_messages(version, case, max_chars=100_000)
    assert [m.role for m in rendered] == ["system", "user", "assistant", "tool", "user"]
    assert rendered[2].tool_calls[0].arguments == {"city": "Paris"}
    assert rendered[3].tool_call_id == "c1"
    assert rendered[4].content == "And now?"


def test_the_hash_of_a_plain_version_is_unchanged_and_every_new_field_counts(
    make_prompt: MakePrompt,
) -> None:
    # The hash a plain version had before issue 17 (the lock of the example suite relies on it).
    root = make_prompt()
    plain = load_suite(root).prompts["hello"].versions["v1"]
    assert plain.content_hash == _hash_before_issue_17(plain.messages, plain.variables)
    hashes = set()
    for edit in (
        ("tool_choice: auto\n", "tool_choice: required\n"),
        ("parallel_tool_calls: false\n", "parallel_tool_calls: true\n"),
        ("strict: true", "strict: false"),
        ("description: Local time in a city", "description: Local time"),
        ("  - history: turns\n", ""),
        ("", ""),
    ):
        text = TOOLS_YAML.replace(*edit)
        case = {"id": "a", "vars": {"question": "q", "turns": TURNS}}
        root = make_prompt(
            prompt=HISTORY_PROMPT, versions={"v1": text}, files={"cases.jsonl": _cases(case)}
        )
        hashes.add(load_suite(root).prompts["hello"].versions["v1"].content_hash)
    assert len(hashes) == 6


def _hash_before_issue_17(messages: tuple[Message, ...], variables: tuple[str, ...]) -> str:
    import hashlib

    canonical = {
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "variables": sorted(variables),
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_cache_key_covers_options_and_history_tool_calls_only_when_present() -> None:
    target = parse_target("openai:gpt-sim-2024-05-13?temperature=0")
    plain = (Message("user", "hi"),)
    before = cache_key(target, plain, sample=0, seed=None)
    assert cache_key(target, plain, sample=0, seed=None, options=RequestOptions()) == before
    tools = RequestOptions(tools=(Tool("f", "", {"type": "object"}),))
    assert cache_key(target, plain, sample=0, seed=None, options=tools) != before
    history = parse_history(TURNS)
    rome = [{"id": "c1", "name": "get_weather", "arguments": {"city": "Rome"}}]
    other = parse_history([TURNS[0], {**TURNS[1], "tool_calls": rome}, TURNS[2]])
    assert cache_key(target, history, sample=0, seed=None) != cache_key(
        target, other, sample=0, seed=None
    )


BAD = {
    "invalid tool schema": (
        TOOLS_YAML.replace("city: {type: string}\n      required: [city]", "city: {type: strin}"),
        "prompts/hello/versions/v1.yaml:5",
        "tool get_weather: parameters is not a valid JSON Schema",
    ),
    "tool_choice names no tool": (
        TOOLS_YAML.replace("tool_choice: auto", "tool_choice: get_wether"),
        "prompts/hello/versions/v1.yaml:13",
        "tool_choice must be one of auto, none, required or a declared tool's name",
    ),
    "tool declared twice": (
        TOOLS_YAML.replace("name: get_time", "name: get_weather"),
        "prompts/hello/versions/v1.yaml:10",
        "tool 'get_weather' is declared twice",
    ),
    "parameters not an object": (
        TOOLS_YAML.replace(
            "parameters: {type: object, properties: {city: {type: string}}}",
            "parameters: {type: string}",
        ),
        "prompts/hello/versions/v1.yaml:12",
        "parameters must be an object schema",
    ),
    "response schema invalid": (
        TOOLS_YAML.replace("schema: {type: object,", "schema: {type: 7,"),
        "prompts/hello/versions/v1.yaml:19",
        "response_format schema is not a valid JSON Schema",
    ),
    "history of an undeclared variable": (
        TOOLS_YAML.replace("- history: turns", "- history: convo"),
        "prompts/hello/versions/v1.yaml:23",
        "history: 'convo' must name a declared variable",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_tool_declarations_name_file_and_line(make_prompt: MakePrompt, name: str) -> None:
    text, where, says = BAD[name]
    case = {"id": "a", "vars": {"question": "q", "turns": TURNS}}
    root = make_prompt(
        prompt=HISTORY_PROMPT, versions={"v1": text}, files={"cases.jsonl": _cases(case)}
    )
    with pytest.raises(SuiteError) as info:
        load_suite(root)
    assert info.value.where == where, str(info.value)
    assert says in info.value.message


def test_a_history_that_is_not_a_list_of_messages_names_the_case_line(
    make_prompt: MakePrompt,
) -> None:
    text = TOOLS_YAML
    good = {"id": "a", "vars": {"question": "q", "turns": TURNS}}
    bad = {"id": "b", "vars": {"question": "q", "turns": "hello"}}
    root = make_prompt(
        prompt=HISTORY_PROMPT, versions={"v1": text}, files={"cases.jsonl": _cases(good, bad)}
    )
    with pytest.raises(SuiteError) as info:
        load_suite(root)
    assert info.value.where == "prompts/hello/cases.jsonl:2"
    assert "case b: turns: history is not a list of messages" in info.value.message
    orphan = [*TURNS[:1], {"role": "tool", "tool_call_id": "zz", "content": "x"}]
    root = make_prompt(
        prompt=HISTORY_PROMPT,
        versions={"v1": text},
        files={"cases.jsonl": _cases({"id": "c", "vars": {"question": "q", "turns": orphan}})},
    )
    with pytest.raises(SuiteError, match="history message 2: a tool result needs the tool_call_id"):
        load_suite(root)


def test_a_case_without_its_history_fails_to_render_naming_the_case(
    make_prompt: MakePrompt,
) -> None:
    text = TOOLS_YAML
    root = make_prompt(
        prompt=HISTORY_PROMPT,
        versions={"v1": text},
        files={"cases.jsonl": _cases({"id": "a", "vars": {"question": "q"}})},
    )
    prompt = load_suite(root).prompts["hello"]
    with pytest.raises(TemplateError) as info:
        render_messages(prompt.versions["v1"], prompt.cases[0], max_chars=10_000)
    assert info.value.where == "prompts/hello/cases.jsonl:1"
    assert "case a has no 'turns'" in info.value.message


def test_reasoning_parameters_are_target_parameters() -> None:
    target = parse_target("openai:o-sim?reasoning_effort=high&max_completion_tokens=900")
    assert target.sampling == {"reasoning_effort": "high", "max_completion_tokens": 900}
    assert parse_target("anthropic:claude-sim?thinking=2048").sampling == {"thinking": 2048}
    with pytest.raises(ConfigError, match="reasoning_effort='huge'"):
        parse_target("openai:o-sim?reasoning_effort=huge")
    with pytest.raises(ConfigError, match=r"thinking .* is an anthropic parameter"):
        parse_target("openai:o-sim?thinking=100")


def test_validate_refuses_an_invalid_tool_schema_with_file_and_line(
    make_prompt: MakePrompt, tmp_path: Path
) -> None:
    text = TOOLS_YAML.replace("city: {type: string}\n      required: [city]", "city: {type: strin}")
    case = {"id": "a", "vars": {"question": "q", "turns": TURNS}}
    make_prompt(prompt=HISTORY_PROMPT, versions={"v1": text}, files={"cases.jsonl": _cases(case)})
    done = cli("validate", env={"PROMPTCOMPAT_HOME": str(tmp_path / "home")}, cwd=tmp_path)
    assert done.returncode == 2
    assert "prompts/hello/versions/v1.yaml:5" in done.stdout + done.stderr
    assert "tool get_weather: parameters is not a valid JSON Schema" in done.stdout + done.stderr


def test_a_plain_case_still_loads_next_to_the_new_fields(make_prompt: MakePrompt) -> None:
    root = make_prompt(versions={"v1": VERSION_YAML})
    version = load_suite(root).prompts["hello"].versions["v1"]
    assert version.options.empty and version.history == ()
    case = Case("c", {"name": "Ada"})
    assert [m.role for m in render_messages(version, case, max_chars=1000)] == ["system", "user"]
