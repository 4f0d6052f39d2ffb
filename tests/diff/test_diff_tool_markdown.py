"""Tool-call findings as the PR comment shows them: the rule at the tool's argument path, a
message naming the tool and the argument, and the calls' arguments as diffable JSON lines."""

from __future__ import annotations

import json

from promptcompat.check.markdown import render_markdown
from promptcompat.check.result import (
    BaseRef,
    CaseFinding,
    CheckCalls,
    CheckCase,
    CheckResult,
    SideLabel,
)
from promptcompat.compat.diff import Sample, compare_case
from promptcompat.suite import Tool, ToolCall
from promptcompat.suite.contract import Contract

WEATHER = Tool(
    "get_weather",
    "Current weather",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "units": {"enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "units"],
    },
)


def _answer(raw: str) -> Sample:
    return Sample(text="", tool_calls=(ToolCall("call_1", "get_weather", json.loads(raw), raw),))


def test_the_pr_comment_names_the_tool_and_the_argument_and_diffs_the_arguments() -> None:
    diff = compare_case(
        baseline=[_answer('{"city":"Paris","units":"celsius"}')] * 2,
        candidate=[_answer('{"units":"fahrenheit","city":"Paris"}')] * 2,
        contract=Contract(),
        tools=(WEATHER,),
    )
    case = CheckCase(
        comparison=0,
        verdict=diff.verdict,
        failing=True,
        prompt="weather",
        case_id="paris",
        direction="FORWARD",
        baseline=SideLabel(version="v1", target="openai:gpt-4o"),
        candidate=SideLabel(version="v1", target="openai:gpt-5"),
        findings=[
            CaseFinding(
                rule=f.rule,
                severity=f.severity,
                status=f.status,
                path=f.path,
                message=f.message,
                rate=f"{f.hits}/{f.samples}",
            )
            for f in diff.findings
        ],
        diff=diff.text_diff,
    )
    markdown = render_markdown(
        CheckResult(
            base=BaseRef(ref="main"),
            verdict="BREAKING",
            exit_code=1,
            calls=CheckCalls(total=4, provider_requests=4),
            cases=[case],
        )
    )
    assert (
        "**ERR** `tool.argument_decision_changed` at `$.get_weather.units`: get_weather: "
        "argument $.units changed 'celsius' -&gt; 'fahrenheit'" in markdown
    )
    assert "[tool call] get_weather" in markdown
    assert '-    "units": "celsius"' in markdown
    assert '+    "units": "fahrenheit"' in markdown
