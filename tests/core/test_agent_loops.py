"""Agent loops (issue 17 item 4): a case's tool calls answered from its fixtures, step after
step through both SDKs, each step a cached call; a missing fixture or the step limit ends the
loop as an error naming the case, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inline import run_inline
from sqlalchemy import Engine
from sqlmodel import select

from promptcompat import store
from promptcompat.compat.evaluation import _loop_steps, _sample
from promptcompat.config import Settings
from promptcompat.errors import SuiteError
from promptcompat.report.results import case_detail
from promptcompat.runs import RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store.tables.core import Call, CaseResult, RunCall
from promptcompat.suite import load_suite
from promptcompat.suite.turns import read_turn

PROMPT = """\
description: Travel agent loop
mode: FORWARD
deployed: v1
max_steps: {steps}
targets:
  pinned: openai:gpt-sim-2024-05-13?temperature=0
  candidates:
    - anthropic:claude-sim-3-5-20241022?temperature=0
contract: {{format: text}}
dataset: cases.jsonl
"""
VERSION = """\
variables: [question]
tools:
  - name: get_weather
    description: Weather in a city
    parameters: {type: object, properties: {city: {type: string}}, required: [city]}
  - name: get_local_time
    description: Local time in a city
    parameters: {type: object, properties: {city: {type: string}}, required: [city]}
messages:
  - role: system
    content: Answer with the tools.
  - role: user
    content: "{{ question }}"
"""
CASES = [
    {
        "id": "paris",
        "vars": {"question": "What's the weather in Paris?"},
        "fixtures": {"get_weather": [{"arguments": {"city": "Paris"}, "result": "21C sunny"}]},
    },
    {
        "id": "two-cities",
        "vars": {"question": "What's the weather in Rome and Oslo?"},
        "fixtures": {
            "get_weather": [
                {"arguments": {"city": "Oslo"}, "result": {"temp": -4, "sky": "snow"}},
                {"result": "mild"},
            ]
        },
    },
    {
        "id": "no-fixture",
        "vars": {"question": "What time is it in Lima?"},
        "fixtures": {"get_weather": [{"result": "mild"}]},
    },
]


def _write(root: Path, name: str, steps: int, cases: list[dict[str, object]]) -> None:
    folder = root / name
    (folder / "versions").mkdir(parents=True)
    (folder / "prompt.yaml").write_text(PROMPT.format(steps=steps), "utf-8")
    (folder / "versions" / "v1.yaml").write_text(VERSION, "utf-8")
    (folder / "cases.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases), "utf-8")


def _loop_rows(engine: Engine, prompt: str) -> dict[tuple[str, str], Call]:
    with store.session_scope(engine) as session:
        rows = session.exec(select(Call).where(Call.prompt == prompt)).all()
    return {(r.target.split(":")[0], r.case_id): r for r in rows if "loop" in r.request}


def test_a_loop_answers_tool_calls_from_fixtures_step_by_step_and_reruns_from_cache(
    engine: Engine, settings: Settings, prompts_dir: Path, sim: SimulatorProcess
) -> None:
    _write(prompts_dir, "trip_loop", 4, CASES)
    suite = load_suite(prompts_dir)
    request = RunRequest(prompts=("trip_loop",))
    run_id, stats = run_inline(engine=engine, suite=suite, request=request, settings=settings)
    assert stats.executed == 6  # 3 cases x 2 targets: one planned call per loop
    first = sim.stats()["requests"]
    assert first == 2 * (2 + 2 + 1)  # per protocol: two steps, two steps, one step
    loops = _loop_rows(engine, "trip_loop")
    with store.session_scope(engine) as session:
        for protocol in ("openai", "anthropic"):
            paris = loops[(protocol, "paris")]
            assert paris.status == "ok" and len(paris.request["steps"]) == 2
            text = store.load_outputs(session=session, hashes=[paris.snapshot_hash or ""])
            final = read_turn(*text[paris.snapshot_hash or ""])
            assert final.text == "Based on the tool results: 21C sunny"
            two = loops[(protocol, "two-cities")]
            text = store.load_outputs(session=session, hashes=[two.snapshot_hash or ""])
            assert read_turn(*text[two.snapshot_hash or ""]).text == (
                'Based on the tool results: mild; {"temp": -4, "sky": "snow"}'
            )
            # Every step is a stored call of its own; only the loop is the run's.
            steps = store.result_rows(session=session, keys=paris.request["steps"])
            assert len(steps) == 2 and all(s.status == "ok" for s in steps.values())
            missing = loops[(protocol, "no-fixture")]
            assert missing.status == "error" and missing.error_reason == "fixture_missing"
            assert missing.error_message == (
                "prompts/trip_loop/cases.jsonl:3: case no-fixture: step 1: no fixture answers "
                'get_local_time({"city": "Lima"}); add one under fixtures.get_local_time'
            )
        linked = session.exec(select(RunCall).where(RunCall.run_id == run_id)).all()
        assert len(linked) == 6

    _, again = run_inline(engine=engine, suite=suite, request=request, settings=settings)
    assert again.executed == 1 * 2  # only the failed loops are tried again...
    assert sim.stats()["requests"] == first  # ...and their step comes from the cache


def test_a_loop_past_max_steps_is_an_error_of_the_case(
    engine: Engine, settings: Settings, prompts_dir: Path, sim: SimulatorProcess
) -> None:
    _write(prompts_dir, "short_loop", 1, CASES[:1])
    suite = load_suite(prompts_dir)
    run_inline(
        engine=engine, suite=suite, request=RunRequest(prompts=("short_loop",)), settings=settings
    )
    for row in _loop_rows(engine, "short_loop").values():
        assert row.error_reason == "max_steps_exceeded"
        assert row.error_message == (
            "prompts/short_loop/cases.jsonl:1: case paris: the model still calls tools after "
            "max_steps=1 steps"
        )


def test_fixtures_for_an_undeclared_tool_name_the_case_line(prompts_dir: Path) -> None:
    bad = {**CASES[0], "fixtures": {"get_wether": [{"result": "x"}]}}
    _write(prompts_dir, "bad_loop", 2, [CASES[1], bad])
    with pytest.raises(SuiteError) as info:
        load_suite(prompts_dir)
    assert info.value.where == "prompts/bad_loop/cases.jsonl:2"
    assert "case paris: fixtures for 'get_wether', a tool no version declares" in str(info.value)


def test_the_case_detail_gives_both_trajectories_and_the_first_diverging_step(
    engine: Engine, settings: Settings, prompts_dir: Path, sim: SimulatorProcess
) -> None:
    _write(prompts_dir, "trip_loop", 4, CASES[:2])
    suite = load_suite(prompts_dir)
    renamed = "openai:sim-drift-tool_arg_renamed?temperature=0"
    request = RunRequest(prompts=("trip_loop",), candidate=renamed)
    run_id, _ = run_inline(engine=engine, suite=suite, request=request, settings=settings)
    with store.session_scope(engine) as session:
        result = session.exec(
            select(CaseResult).where(
                CaseResult.run_id == run_id, CaseResult.case_id == "two-cities"
            )
        ).one()
        detail = case_detail(session=session, run_id=run_id, case_result_id=result.id)
    base = detail["samples"]["baseline"][0]["steps"]
    cand = detail["samples"]["candidate"][0]["steps"]
    assert [c["arguments"] for c in base[0]["tool_calls"]] == [{"city": "Rome"}, {"city": "Oslo"}]
    assert [c["arguments"] for c in cand[0]["tool_calls"]] == [
        {"city_name": "Rome"},
        {"city_name": "Oslo"},
    ]
    assert base[1]["text"] == 'Based on the tool results: mild; {"temp": -4, "sky": "snow"}'
    assert cand[1]["text"] == "Based on the tool results: mild; mild"  # the default fixture
    assert detail["trajectory"] == {"first_divergence": 0}


def test_the_comparison_reads_each_loop_with_its_steps(
    engine: Engine, settings: Settings, prompts_dir: Path, sim: SimulatorProcess
) -> None:
    _write(prompts_dir, "trip_loop", 4, CASES)
    suite = load_suite(prompts_dir)
    run_inline(
        engine=engine, suite=suite, request=RunRequest(prompts=("trip_loop",)), settings=settings
    )
    loops = _loop_rows(engine, "trip_loop")
    keys = [loops[("openai", "paris")].cache_key, loops[("openai", "no-fixture")].cache_key]
    with store.session_scope(engine) as session:
        rows = store.result_rows(session=session, keys=keys)
        outputs = store.load_outputs(
            session=session, hashes=[r.snapshot_hash for r in rows.values() if r.snapshot_hash]
        )
        steps = _loop_steps(session, rows)
    paris = _sample(rows[keys[0]], outputs, steps[keys[0]])
    assert [len(s.tool_calls) for s in paris.steps] == [1, 0]
    assert paris.steps[0].tool_calls[0].arguments == {"city": "Paris"}
    assert paris.text == paris.steps[-1].text == "Based on the tool results: 21C sunny"
    failed = _sample(rows[keys[1]], outputs, steps[keys[1]])
    assert failed.error is not None and failed.error.startswith("fixture_missing: ")
    assert failed.steps[0].tool_calls[0].name == "get_local_time"
