"""Tool calls and structured outputs compared at the engine level (compare_case), the
request-side tool/schema rules, and `request.param_rejected` (issue 17)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from promptcompat.compat.diff import CaseDiff, Sample, compare_case
from promptcompat.compat.evaluation import request_side
from promptcompat.compat.request_tools import narrowed, tool_request_findings
from promptcompat.replay.plan import Comparison, Side
from promptcompat.rules import CATALOG, Finding
from promptcompat.suite import Prompt, PromptVersion, ResponseFormat, Tool, ToolCall
from promptcompat.suite.contract import Contract
from promptcompat.suite.policy import PathOverride, RulePolicy
from promptcompat.suite.targets import parse_target
from promptcompat.suite.turns import Turn
from promptcompat.suite.types import ToolOrder

WEATHER = Tool(
    "get_weather",
    "Current weather for a city",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1},
        },
        "required": ["city", "units"],
        "additionalProperties": False,
    },
)
SEARCH = Tool(
    "search_web",
    "Search the web",
    {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
)
TOOLS = (WEATHER, SEARCH)


def call(name: str, raw: str, call_id: str = "call_1") -> ToolCall:
    try:
        parsed: Any = json.loads(raw)
    except ValueError:
        parsed = None
    return ToolCall(call_id, name, parsed, raw)


def calls(*made: ToolCall, text: str = "") -> Sample:
    return Sample(text=text, finish_reason="tool_calls", tool_calls=made)


def paris(raw: str = '{"city": "Paris", "units": "celsius"}', call_id: str = "call_1") -> Sample:
    return calls(call("get_weather", raw, call_id))


def compare(
    baseline: list[Sample],
    candidate: list[Sample],
    *,
    order: ToolOrder = "unordered",
    tools: tuple[Tool, ...] = TOOLS,
    response_format: ResponseFormat | None = None,
) -> CaseDiff:
    return compare_case(
        baseline=baseline,
        candidate=candidate,
        contract=Contract(),
        tools=tools,
        response_format=response_format,
        tool_order=order,
    )


def rules(diff: CaseDiff) -> dict[str, str]:
    return {f.rule: f.severity for f in diff.findings}


def only(diff: CaseDiff, rule_id: str) -> Finding:
    found = [f for f in diff.findings if f.rule == rule_id]
    assert len(found) == 1, diff.findings
    return found[0]


def test_reordered_keys_whitespace_and_new_call_ids_are_no_finding() -> None:
    base = [paris(call_id="call_a"), paris(call_id="call_b")]
    cand = [
        paris('{\n  "units": "celsius",\n  "city": "Paris"\n}', call_id="call_x"),
        paris('{"units":"celsius","city":"Paris"}', call_id="toolu_01"),
    ]
    diff = compare(base, cand)
    assert diff.findings == []
    assert diff.verdict == "COMPATIBLE"


def test_a_changed_argument_names_the_tool_and_the_argument_path() -> None:
    diff = compare([paris()] * 3, [paris('{"city": "Paris, France", "units": "celsius"}')] * 3)
    found = only(diff, "tool.argument_changed")
    assert found.severity == "WARN"
    assert found.path == "$.get_weather.city"
    assert "get_weather" in found.message and "$.city" in found.message
    assert "'Paris' -> 'Paris, France'" in found.message
    assert diff.verdict == "CHANGED"


def test_removed_and_retyped_arguments_are_breaking() -> None:
    base = [calls(call("get_weather", '{"city": "Paris", "units": "celsius", "days": 3}'))] * 2
    cand = [calls(call("get_weather", '{"city": "Paris", "days": "3"}'))] * 2
    diff = compare(base, cand)
    assert rules(diff)["tool.argument_removed"] == "ERR"
    assert rules(diff)["tool.argument_retyped"] == "ERR"
    assert only(diff, "tool.argument_removed").path == "$.get_weather.units"
    # The schema rule names the executor's rejection too (units is required, days a string).
    assert rules(diff)["tool.arguments_invalid"] == "ERR"
    assert diff.verdict == "BREAKING"


def test_an_enum_argument_moved_to_another_option_is_a_decision() -> None:
    diff = compare([paris()] * 2, [paris('{"city": "Paris", "units": "fahrenheit"}')] * 2)
    assert rules(diff) == {"tool.argument_decision_changed": "ERR"}


def test_arguments_that_break_the_declared_schema_or_are_not_json() -> None:
    diff = compare([paris()], [paris('{"city": "Paris", "units": "kelvin"}')])
    assert only(diff, "tool.arguments_invalid").path == "$.get_weather.units"
    diff = compare([paris()], [paris('{"city": "Paris", "units": "celsius"')])
    invalid = only(diff, "tool.arguments_invalid")
    assert "not JSON" in invalid.message
    assert diff.verdict == "BREAKING"


def test_a_call_to_an_undeclared_tool() -> None:
    diff = compare([paris()], [calls(call("get_forecast", '{"city": "Paris"}'))])
    assert rules(diff)["tool.undeclared_tool"] == "ERR"
    assert rules(diff)["tool.tool_changed"] == "ERR"


def test_dropped_added_and_changed_tools() -> None:
    both = calls(
        call("get_weather", '{"city": "Paris", "units": "celsius"}', "a"),
        call("search_web", '{"query": "Paris events"}', "b"),
    )
    diff = compare([both] * 2, [paris()] * 2)
    assert only(diff, "tool.call_dropped").path == "$.search_web"
    diff = compare([paris()] * 2, [both] * 2)
    assert rules(diff) == {"tool.call_added": "WARN"}
    diff = compare([paris()] * 2, [calls(call("search_web", '{"query": "weather Paris"}'))] * 2)
    changed = only(diff, "tool.tool_changed")
    assert "calls search_web instead of get_weather" in changed.message
    assert "tool.call_dropped" not in rules(diff) and "tool.call_added" not in rules(diff)


def test_text_instead_of_a_call_and_the_reverse() -> None:
    text = Sample(text="It is 18°C and sunny in Paris right now.", finish_reason="stop")
    diff = compare([paris()] * 3, [text] * 3)
    assert rules(diff) == {"tool.text_instead_of_call": "ERR"}
    assert diff.verdict == "BREAKING"
    diff = compare([text] * 3, [paris()] * 3)
    assert rules(diff) == {"tool.call_instead_of_text": "WARN"}
    # Baseline answers that call two tools in either order: text is still instead of both.
    both = [
        call("get_weather", '{"city": "Paris", "units": "celsius"}'),
        call("search_web", '{"query": "Paris"}'),
    ]
    base = [calls(*both), calls(*reversed(both))] * 2
    found = only(compare(base, [text] * 4), "tool.text_instead_of_call")
    assert "get_weather, search_web" in found.message and found.severity == "ERR"


def test_parallel_calls_cut_short_and_the_tool_order_setting() -> None:
    two = calls(
        call("get_weather", '{"city": "Paris", "units": "celsius"}', "a"),
        call("get_weather", '{"city": "London", "units": "celsius"}', "b"),
    )
    swapped = calls(*reversed(two.tool_calls))
    one = paris()
    diff = compare([two] * 2, [one] * 2)
    assert rules(diff) == {"tool.parallel_calls_changed": "ERR"}
    # Fewer calls are allowed by `subset`: what is left is a changed answer (INFO).
    assert rules(compare([two] * 2, [one] * 2, order="subset")) == {"text.changed": "INFO"}
    assert rules(compare([one] * 2, [two] * 2, order="subset")) == {
        "tool.parallel_calls_changed": "ERR"
    }
    assert compare([one] * 2, [two] * 2, order="superset").verdict == "COMPATIBLE"
    # Parallel calls in another order are the same calls (not changed arguments) ...
    assert compare([two] * 2, [swapped] * 2).findings == []
    # ... except where the prompt says the order matters.
    assert rules(compare([two] * 2, [swapped] * 2, order="strict")) == {"tool.order_changed": "ERR"}


def test_what_the_baseline_samples_already_vary_in_is_not_a_break() -> None:
    search = calls(call("search_web", '{"query": "weather Paris"}'))
    text = Sample(text="It is sunny in Paris.")
    # The baseline sometimes calls, sometimes answers: a text answer is no new behaviour.
    diff = compare([paris(), text, paris(), text], [text] * 4)
    assert diff.verdict != "BREAKING"
    # The city varies among baseline samples: another city is noise.
    base = [paris(), paris('{"city": "Paris, FR", "units": "celsius"}')] * 2
    diff = compare(base, [paris('{"city": "Paris, France", "units": "celsius"}')] * 4)
    assert diff.verdict == "COMPATIBLE"
    # Another tool once in four samples is not significant: at most WARN.
    diff = compare([paris()] * 4, [paris(), paris(), paris(), search])
    assert diff.verdict != "BREAKING"


def test_per_path_severities_apply_to_tool_arguments() -> None:
    diff = compare([paris()] * 2, [paris('{"city": "paris", "units": "celsius"}')] * 2)
    policy = RulePolicy(
        path_severities=(PathOverride("tool.argument_changed", "$.get_weather.city", "ERR"),)
    )
    applied = policy.apply(diff.findings, today=date(2026, 1, 1))
    assert [(f.rule, f.severity) for f in applied] == [("tool.argument_changed", "ERR")]
    policy = RulePolicy(path_severities=(PathOverride("tool.argument_changed", "$.other", "ERR"),))
    assert policy.apply(diff.findings, today=date(2026, 1, 1))[0].severity == "WARN"


def test_the_text_and_structural_diffs_show_calls_as_structure() -> None:
    diff = compare([paris()], [paris('{"city": "Lyon", "units": "celsius"}')])
    assert "[tool call] get_weather" in diff.text_diff
    assert '-    "city": "Paris",' in diff.text_diff
    assert '+    "city": "Lyon",' in diff.text_diff
    calls = diff.structural_diff["tool_calls"]
    assert calls["baseline"] == [
        {"name": "get_weather", "arguments": {"city": "Paris", "units": "celsius"}}
    ]
    assert calls["argument_changes"] == {
        "$.get_weather.city": {
            "change": "values_changed",
            "old_value": "Paris",
            "new_value": "Lyon",
        }
    }
    same = compare([paris()], [paris('{"units": "celsius", "city": "Paris"}')])
    assert same.structural_diff == {} and same.text_diff == ""


REPORT = ResponseFormat(
    "json_schema",
    "report",
    {
        "type": "object",
        "properties": {"label": {"enum": ["spam", "ham"]}, "score": {"type": "number"}},
        "required": ["label", "score"],
        "additionalProperties": False,
    },
    strict=True,
)


def structured(diff_base: list[str], cand: list[Sample]) -> CaseDiff:
    return compare([Sample(text=t) for t in diff_base], cand, tools=(), response_format=REPORT)


def test_structured_output_that_breaks_the_requested_schema() -> None:
    base = ['{"label": "spam", "score": 0.9}'] * 2
    diff = structured(base, [Sample(text='{"label": "junk", "score": 0.9}')] * 2)
    assert only(diff, "structured.schema_violation").path == "$.label"
    assert diff.verdict == "BREAKING"
    reordered = structured(base, [Sample(text='{ "score": 0.9,\n "label": "spam" }')] * 2)
    assert reordered.findings == []


def test_a_refusal_in_the_refusal_field_and_a_fallback_to_prose() -> None:
    base = ['{"label": "ham", "score": 0.1}'] * 2
    refused = Sample(text="", refusal="I can't help classify this message.")
    diff = structured(base, [refused] * 2)
    assert rules(diff) == {"structured.refusal": "ERR"}
    assert "I can't help" in only(diff, "structured.refusal").message
    prose = Sample(text="This message looks like ham, with a low spam score of 0.1.")
    diff = structured(base, [prose] * 2)
    assert rules(diff) == {"structured.prose_fallback": "ERR"}
    fenced = Sample(text='```json\n{"label": "ham", "score": 0.1}\n```')
    assert "fence" in only(structured(base, [fenced] * 2), "structured.prose_fallback").message


def test_a_schema_violation_the_baseline_already_has_is_not_new() -> None:
    bad = '{"label": "spam", "score": "high"}'
    diff = structured([bad, bad], [Sample(text=bad)] * 2)
    assert diff.verdict == "COMPATIBLE"


def test_a_rejected_parameter_names_the_parameter_and_the_models_message() -> None:
    error = (
        "param_rejected: parameter temperature rejected: Unsupported value: 'temperature' "
        "does not support 0.2 with this model. Only the default (1) value is supported."
    )
    failed = Sample(text=None, error=error, target="openai:o3-mini")
    diff = compare_case(
        baseline=[Sample(text="ok")] * 2, candidate=[failed] * 2, contract=Contract()
    )
    found = only(diff, "request.param_rejected")
    assert found.path == "temperature"
    assert "openai:o3-mini rejects parameter 'temperature'" in found.message
    assert "Only the default (1) value is supported" in found.message
    assert "call.error" not in rules(diff)
    assert diff.verdict == "BREAKING"


def test_another_failure_stays_an_error() -> None:
    diff = compare_case(
        baseline=[Sample(text="ok")],
        candidate=[Sample(text=None, error="rate_limited: 429 Too Many Requests")],
        contract=Contract(),
    )
    assert diff.verdict == "ERROR"
    assert rules(diff) == {"call.error": "ERR"}


def version(
    name: str,
    tools: tuple[Tool, ...] = TOOLS,
    response_format: ResponseFormat | None = None,
) -> PromptVersion:
    return PromptVersion(
        prompt="weather",
        version=name,
        messages=(),
        variables=(),
        content_hash=name,
        path=Path(f"{name}.yaml"),
        tools=tools,
        response_format=response_format,
    )


def test_request_side_tool_removed_parameter_required_and_schema_narrowed() -> None:
    stricter = Tool(
        "get_weather",
        WEATHER.description,
        {**WEATHER.parameters, "required": ["city", "units", "days"]},
    )
    narrower = ResponseFormat(
        "json_schema",
        "report",
        {
            "type": "object",
            "properties": {"label": {"enum": ["spam"]}, "score": {"type": "integer"}},
            "required": ["label", "score", "reason"],
        },
    )
    found = tool_request_findings(
        version("v1", response_format=REPORT),
        version("v2", tools=(stricter,), response_format=narrower),
        baseline_version="v1",
        candidate_version="v2",
    )
    by_rule = {(f.rule, f.path): f for f in found}
    assert by_rule["request.tool_removed", "search_web"].severity == "ERR"
    assert by_rule["request.tool_parameter_required", "$.get_weather.days"].severity == "ERR"
    assert ("request.response_schema_narrowed", "$.score") in by_rule
    assert ("request.response_schema_narrowed", "$.label") in by_rule
    assert ("request.response_schema_narrowed", "$.reason") in by_rule
    added = tool_request_findings(
        version("v1", tools=(WEATHER,)),
        version("v2"),
        baseline_version="v1",
        candidate_version="v2",
    )
    assert [(f.rule, f.severity) for f in added] == [("request.tool_added", "WARN")]


def test_a_widened_schema_is_not_narrowed() -> None:
    old = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    new = {
        "type": "object",
        "properties": {"a": {"type": ["number", "null"]}, "b": {"type": "string"}},
        "required": [],
    }
    assert narrowed(old, new) == []
    assert narrowed(new, old) != []


@pytest.mark.parametrize("order", ["strict", "unordered", "subset", "superset"])
def test_identical_calls_are_compatible_in_every_order_mode(order: ToolOrder) -> None:
    two = calls(
        call("get_weather", '{"city": "Paris", "units": "celsius"}', "a"),
        call("search_web", '{"query": "Paris"}', "b"),
    )
    assert compare([two] * 2, [two] * 2, order=order).verdict == "COMPATIBLE"


def test_arguments_that_are_not_objects_or_turn_null_into_an_object() -> None:
    nested = Tool(
        "set_filter",
        "Set a filter",
        {"type": "object", "properties": {"range": {"type": ["object", "null"]}}},
    )
    base = [calls(call("set_filter", '{"range": null}'))] * 2
    cand = [calls(call("set_filter", '{"range": {"from": 1, "to": 5}}'))] * 2
    diff = compare(base, cand, tools=(nested,))
    assert rules(diff) == {"tool.argument_changed": "WARN"}
    listed = [calls(call("set_filter", "[1, 2]"))] * 2
    assert rules(compare(base, listed, tools=(nested,)))["tool.arguments_invalid"] == "ERR"


def test_the_request_side_of_a_comparison_reports_tool_changes_with_variables() -> None:

    target = parse_target("openai:gpt-4o")
    prompt = Prompt(
        name="weather",
        description="",
        mode="BACKWARD",
        contract=Contract(),
        deployed="v1",
        pinned="openai:gpt-4o",
        candidates=(),
        versions={"v1": version("v1"), "v2": version("v2", tools=(WEATHER,))},
        cases=(),
        path=Path("prompts/weather"),
    )
    comp = Comparison("weather", "BACKWARD", Side("v1", target), Side("v2", target))
    found = request_side(prompt, comp, samples=3)
    assert [(f.rule, f.path, f.severity, f.hits) for f in found] == [
        ("request.tool_removed", "search_web", "ERR", 3)
    ]
    same = Comparison("weather", "FORWARD", Side("v1", target), Side("v1", target))
    assert request_side(prompt, same) == []


def test_the_catalog_defaults_of_the_tool_rules() -> None:

    expected = {
        "tool.call_dropped": "ERR",
        "tool.call_added": "WARN",
        "tool.tool_changed": "ERR",
        "tool.arguments_invalid": "ERR",
        "tool.argument_removed": "ERR",
        "tool.argument_retyped": "ERR",
        "tool.argument_changed": "WARN",
        "tool.argument_added": "INFO",
        "tool.parallel_calls_changed": "ERR",
        "tool.order_changed": "ERR",
        "tool.text_instead_of_call": "ERR",
        "tool.call_instead_of_text": "WARN",
        "structured.schema_violation": "ERR",
        "structured.refusal": "ERR",
        "structured.prose_fallback": "ERR",
        "request.param_rejected": "ERR",
        "request.tool_removed": "ERR",
        "request.tool_parameter_required": "ERR",
        "request.response_schema_narrowed": "ERR",
    }
    assert {k: CATALOG[k].severity for k in expected} == expected
    assert CATALOG["request.param_rejected"].direction == "FORWARD"
    assert {CATALOG[k].direction for k in expected if k.startswith("request.tool")} == {"BACKWARD"}


def loop(*steps: Sample) -> Sample:
    """An agent loop's sample: its steps' turns, its own answer the last one's."""
    turns = tuple(Turn(s.text or "", s.tool_calls, s.refusal) for s in steps)
    last = steps[-1]
    return Sample(text=last.text, tool_calls=last.tool_calls, steps=turns)


def test_agent_loops_are_compared_at_the_first_step_where_they_part() -> None:
    answer = Sample(text="Based on the tool results: 21C, sunny in Paris.")
    baseline = loop(paris(), answer)
    # The same answer reached through a renamed argument: found at step 1.
    renamed = loop(paris('{"town": "Paris", "units": "celsius"}', "call_9"), answer)
    diff = compare([baseline], [renamed])
    assert diff.verdict == "BREAKING"
    removed = next(f for f in diff.findings if f.rule == "tool.argument_removed")
    assert removed.path == "$.get_weather.city"
    assert removed.message.startswith("step 1 of the agent loop: get_weather: argument $.city")
    assert diff.structural_diff["tool_calls"]["step"] == 1
    assert "[step 1]" in diff.text_diff and '+    "town": "Paris",' in diff.text_diff
    # No call at step 1: text instead of the call, though both loops end in text.
    guessed = loop(Sample(text="It is probably sunny in Paris."))
    assert "tool.text_instead_of_call" in rules(compare([baseline], [guessed]))
    # Other call ids only: the same trajectory, compatible.
    same = loop(paris(call_id="call_7"), answer)
    assert compare([baseline], [same]).verdict == "COMPATIBLE"
