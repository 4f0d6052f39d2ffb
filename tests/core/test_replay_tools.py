"""A run of the example suite's tool and structured-output prompts (issue 17), through both
SDKs against the simulator: whole turns stored as structure, read back into samples and the
case detail, cached like any call; a parameter the model rejects is named, never dropped."""

from __future__ import annotations

import json

from inline import run_inline
from sqlalchemy import Engine
from sqlmodel import select

from promptcompat import store
from promptcompat.compat.evaluation import _sample
from promptcompat.config import Settings
from promptcompat.report.results import case_detail
from promptcompat.runs import RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store.tables.core import Call, CaseResult, Snapshot
from promptcompat.suite import Suite

REASONING = "openai:sim-reasoning?temperature=0"


def _case(engine: Engine, run_id: str, prompt: str, case_id: str, direction: str) -> dict:  # type: ignore[type-arg]
    with store.session_scope(engine) as session:
        row = session.exec(
            select(CaseResult).where(
                CaseResult.run_id == run_id,
                CaseResult.prompt == prompt,
                CaseResult.case_id == case_id,
                CaseResult.direction == direction,
            )
        ).one()
        return case_detail(session=session, run_id=run_id, case_result_id=row.id)


def test_tool_turns_are_stored_as_structure_shown_with_pretty_arguments_and_cached(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    request = RunRequest(prompts=("plan_trip",))
    run_id, stats = run_inline(engine=engine, suite=suite, request=request, settings=settings)
    assert stats.errors == 0 and stats.executed > 0
    with store.session_scope(engine) as session:
        kinds = {s.kind for s in session.exec(select(Snapshot)).all()}
        assert kinds == {"turn", "text"}  # tool calls, and the answers after a tool result

    # A candidate that cut the parallel calls: both sides as structure, over the API's shape.
    detail = _case(engine, run_id, "plan_trip", "berlin-madrid", "FORWARD")
    base, cand = detail["samples"]["baseline"][0], detail["samples"]["candidate"][0]
    assert [(c["name"], c["arguments"]) for c in base["tool_calls"]] == [
        ("get_weather", {"city": "Berlin", "unit": "celsius"}),
        ("get_weather", {"city": "Madrid", "unit": "celsius"}),
    ]
    assert len(cand["tool_calls"]) == 1 and base["text"] == ""
    assert 'tool call get_weather {\n  "city": "Berlin",\n  "unit": "celsius"\n}' in base["shown"]
    assert detail["request"]["baseline"]["tools"][0]["name"] == "get_weather"

    # A multi-step case from the dataset: the history went to the model as tool_use and
    # tool_result blocks, the stored request keeps its tool calls as structure.
    step = _case(engine, run_id, "plan_trip", "oslo-after-forecast", "FORWARD")
    messages = step["request"]["baseline"]["messages"]
    assert messages[2]["tool_calls"][0]["arguments"] == {"city": "Oslo", "unit": "celsius"}
    assert messages[3] == {"role": "tool", "content": "-4C, light snow", "tool_call_id": "toolu_01"}
    assert step["samples"]["baseline"][0]["text"] == "Based on the tool results: -4C, light snow"

    # What the comparison reads: the sample carries the calls, parsed, with their raw string.
    with store.session_scope(engine) as session:
        key = detail["samples"]["candidate"][0]["cache_key"]
        row = store.result_rows(session=session, keys=[key])[key]
        outputs = store.load_outputs(session=session, hashes=[row.snapshot_hash or ""])
    sample = _sample(row, outputs)
    assert sample.text == "" and sample.refusal is None
    assert [c.name for c in sample.tool_calls] == ["get_weather"]
    assert json.loads(sample.tool_calls[0].raw_arguments) == sample.tool_calls[0].arguments

    # The cases with fixtures run as agent loops (max_steps), step by step.
    loop = _case(engine, run_id, "plan_trip", "rome-oslo-loop", "FORWARD")
    steps = loop["samples"]["baseline"][0]["steps"]
    assert [len(s["tool_calls"]) for s in steps] == [2, 0]
    assert steps[1]["text"] == (
        'Based on the tool results: {"temp_c": 24, "sky": "clear"}; {"temp_c": -4, "sky": "snow"}'
    )
    assert "trajectory" in loop and "trajectory" not in detail

    sent = sim.stats()["requests"]
    _, again = run_inline(engine=engine, suite=suite, request=request, settings=settings)
    assert again.executed == 0 and sim.stats()["requests"] == sent


def test_a_refusal_of_a_structured_output_is_its_own_field(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    request = RunRequest(
        prompts=("contact_card",), candidate="openai:sim-drift-structured_refusal?temperature=0"
    )
    run_id, _ = run_inline(engine=engine, suite=suite, request=request, settings=settings)
    detail = _case(engine, run_id, "contact_card", "tom-becker", "FORWARD")
    cand = detail["samples"]["candidate"][0]
    assert cand["refusal"] == "I'm sorry, but I can't provide that information."
    assert cand["text"] == "" and cand["shown"].startswith("refusal: I'm sorry")
    base = detail["samples"]["baseline"][0]
    assert json.loads(base["text"])["name"] == "Tom Becker" and base["refusal"] is None


def test_a_rejected_parameter_is_named_and_never_retried_without_it(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    request = RunRequest(prompts=("contact_card",), candidate=REASONING)
    run_inline(engine=engine, suite=suite, request=request, settings=settings)
    with store.session_scope(engine) as session:
        rejected = session.exec(select(Call).where(Call.target == REASONING)).all()
    assert len(rejected) == len(suite.prompts["contact_card"].cases)
    for call in rejected:
        assert call.status == "error" and call.error_reason == "param_rejected"
        assert call.error_message == (
            "parameter temperature rejected: "
            "Unsupported parameter: 'temperature' is not supported with this model."
        )
        assert call.attempts == 1  # one request each: no retry, with or without it
    stats = sim.stats()
    assert stats["by_model"]["sim-reasoning"] == stats["by_status"]["400"] == len(rejected)
