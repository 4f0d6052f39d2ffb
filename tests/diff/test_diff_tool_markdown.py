"""Tool-call findings as the PR comment shows them: the rule at the tool's argument path, a
message naming the tool and the argument, and the calls' arguments as diffable JSON lines."""

from __future__ import annotations

import json

from promptcompat.check.markdown import render_markdown
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
    case = {
        "verdict": diff.verdict,
        "failing": True,
        "prompt": "weather",
        "case_id": "paris",
        "direction": "FORWARD",
        "baseline": {"version": "v1", "target": "openai:gpt-4o"},
        "candidate": {"version": "v1", "target": "openai:gpt-5"},
        "findings": [
            {**f.to_dict(), "rate": f"{f.hits}/{f.samples}", "status": f.status}
            for f in diff.findings
        ],
        "diff": diff.text_diff,
    }
    markdown = render_markdown(
        {
            "verdict": "BREAKING",
            "base": {"ref": "main"},
            "prompts": [],
            "unchanged_prompts": [],
            "fail_on": "ERR",
            "exit_code": 1,
            "calls": {"total": 4, "from_cache": 0, "provider_requests": 4, "errors": 0},
            "errors": [],
            "comparisons": [],
            "request_side": [],
            "cases": [case],
            "snapshots": {"pending_written": [], "obsolete": []},
        }
    )
    assert (
        "**ERR** `tool.argument_decision_changed` at `$.get_weather.units`: get_weather: "
        "argument $.units changed 'celsius' -&gt; 'fahrenheit'" in markdown
    )
    assert "[tool call] get_weather" in markdown
    assert '-    "units": "celsius"' in markdown
    assert '+    "units": "fahrenheit"' in markdown
