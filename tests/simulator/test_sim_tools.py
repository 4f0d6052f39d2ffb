"""Tools, structured output, histories and reasoning parameters through both official SDKs:
promptcompat's providers against the simulator's scripted tool drifts (issue 17)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from promptcompat.config import Settings
from promptcompat.errors import ParamRejectedError
from promptcompat.providers import make_provider
from promptcompat.providers.completion import Completion
from promptcompat.simulator import SimulatorProcess
from promptcompat.suite import Message, ResponseFormat, Tool, ToolCall
from promptcompat.suite.targets import parse_target
from promptcompat.suite.types import RequestOptions

PROVIDERS = ["openai", "anthropic"]
WEATHER = Tool(
    "get_weather",
    "Current weather in a city",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer"},
        },
        "required": ["city", "unit"],
    },
)
TIME = Tool(
    "get_time",
    "Local time in a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
TOOLS = RequestOptions(tools=(WEATHER, TIME))
ASK = (
    Message("system", "You are a travel assistant. Use the tools."),
    Message("user", "What's the weather in Paris and Tokyo for 3 days?"),
)
CONTACT = ResponseFormat(
    "json_schema",
    name="contact",
    schema={
        "type": "object",
        "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
        "required": ["name", "email"],
        "additionalProperties": False,
    },
    strict=True,
)
EMAIL = (
    Message("system", "Extract the contact."),
    Message("user", "Hi, I'm Jane Doe, reach me at jane.doe@example.com."),
)


def _model(provider: str, drift: str | None) -> str:
    if drift is not None:
        return f"sim-drift-{drift}"
    return "gpt-sim-2024-05-13" if provider == "openai" else "claude-sim-3-5-20241022"


def _complete(
    sim: SimulatorProcess,
    tmp_path: Path,
    spec: str,
    messages: tuple[Message, ...] = ASK,
    options: RequestOptions = TOOLS,
) -> Completion:
    settings = Settings(
        home=tmp_path,
        simulated=True,
        openai_base_url=sim.openai_base_url,
        anthropic_base_url=sim.anthropic_base_url,
    )
    target = parse_target(spec)

    async def go() -> Completion:
        provider = make_provider(target, settings)
        try:
            return await provider.complete(target, messages, seed=None, options=options)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def _calls(completion: Completion) -> list[tuple[str, Any]]:
    return [(c.name, c.arguments) for c in completion.tool_calls]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tool_calls_come_back_parsed_with_their_raw_arguments(
    provider: str, simproc: SimulatorProcess, tmp_path: Path
) -> None:
    done = _complete(simproc, tmp_path, f"{provider}:{_model(provider, None)}")
    assert _calls(done) == [
        ("get_weather", {"city": "Paris", "unit": "celsius", "days": 3}),
        ("get_weather", {"city": "Tokyo", "unit": "celsius", "days": 3}),
    ]
    assert all(json.loads(c.raw_arguments) == c.arguments for c in done.tool_calls)
    assert done.finish_reason == ("tool_calls" if provider == "openai" else "tool_use")
    assert done.text == "" and done.refusal is None


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        ("tool_dropped", [("get_weather", {"city": "Paris", "unit": "celsius", "days": 3})]),
        ("tool_parallel_cut", [("get_weather", {"city": "Paris", "unit": "celsius", "days": 3})]),
        (
            "tool_other",
            [("get_time", {"city": "Paris"}), ("get_time", {"city": "Tokyo"})],
        ),
        (
            "tool_arg_renamed",
            [
                ("get_weather", {"city_name": "Paris", "unit": "celsius", "days": 3}),
                ("get_weather", {"city_name": "Tokyo", "unit": "celsius", "days": 3}),
            ],
        ),
        (
            "tool_arg_retyped",
            [
                ("get_weather", {"city": "Paris", "unit": "celsius", "days": "3"}),
                ("get_weather", {"city": "Tokyo", "unit": "celsius", "days": "3"}),
            ],
        ),
        ("tool_as_text", []),
    ],
)
def test_each_tool_drift_through_both_protocols(
    provider: str, drift: str, expected: list[Any], simproc: SimulatorProcess, tmp_path: Path
) -> None:
    done = _complete(simproc, tmp_path, f"{provider}:{_model(provider, drift)}")
    assert _calls(done) == expected
    if drift == "tool_as_text":
        assert "get_weather" in done.text


@pytest.mark.parametrize("provider", PROVIDERS)
def test_parallel_tool_calls_false_is_sent_and_honoured(
    provider: str, simproc: SimulatorProcess, tmp_path: Path
) -> None:
    options = RequestOptions(tools=(WEATHER, TIME), parallel_tool_calls=False)
    done = _complete(simproc, tmp_path, f"{provider}:{_model(provider, None)}", options=options)
    assert [args["city"] for _, args in _calls(done)] == ["Paris"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_history_with_tool_calls_and_results_is_sent_as_the_protocol_wants(
    provider: str, simproc: SimulatorProcess, tmp_path: Path
) -> None:
    call = ToolCall("call_1", "get_weather", {"city": "Paris"}, '{"city": "Paris"}')
    history = (
        *ASK,
        Message("assistant", "", tool_calls=(call,)),
        Message("tool", "18 degrees and sunny", tool_call_id="call_1"),
    )
    done = _complete(simproc, tmp_path, f"{provider}:{_model(provider, None)}", history)
    assert done.tool_calls == ()
    assert done.text == "Based on the tool results: 18 degrees and sunny"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_structured_output_clean_off_schema_and_refused(
    provider: str, simproc: SimulatorProcess, tmp_path: Path
) -> None:
    options = RequestOptions(response_format=CONTACT)
    clean = _complete(simproc, tmp_path, f"{provider}:{_model(provider, None)}", EMAIL, options)
    assert json.loads(clean.text) == {"name": "Jane Doe", "email": "jane.doe@example.com"}
    off = _complete(
        simproc, tmp_path, f"{provider}:sim-drift-structured_off_schema", EMAIL, options
    )
    assert json.loads(off.text) == {"name": "Jane Doe", "notes": "added by the model"}
    refused = _complete(
        simproc, tmp_path, f"{provider}:sim-drift-structured_refusal", EMAIL, options
    )
    assert refused.refusal == "I'm sorry, but I can't provide that information."
    assert refused.text == ""


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_reasoning_model_rejects_temperature_by_name_and_is_not_retried_without_it(
    provider: str, simproc: SimulatorProcess, tmp_path: Path
) -> None:
    simproc.reset()
    spec = f"{provider}:sim-reasoning?temperature=0"
    with pytest.raises(ParamRejectedError) as info:
        _complete(simproc, tmp_path, spec, EMAIL, RequestOptions())
    assert info.value.reason == "param_rejected"
    assert info.value.parameter == "temperature"
    assert str(info.value).startswith("parameter temperature rejected: ")
    assert "temperature" in str(info.value).removeprefix("parameter temperature rejected: ")
    assert simproc.stats()["requests"] == 1
    effort = "reasoning_effort=low" if provider == "openai" else "thinking=1024"
    answered = _complete(
        simproc, tmp_path, f"{provider}:sim-reasoning?{effort}", EMAIL, RequestOptions()
    )
    assert answered.reasoning_tokens == 64
