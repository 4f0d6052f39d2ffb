"""The replay engine end to end: real SDKs, real simulator, real SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from inline import run_inline
from sqlalchemy import Engine
from sqlmodel import select

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.errors import AuthError
from promptcompat.report import build_report
from promptcompat.runs import RunRequest, execute_run, prepare_run
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store.tables.core import Call, CaseResult
from promptcompat.suite import Suite

OLD = "openai:gpt-sim-2024-05-13?temperature=0"
NEW = "openai:gpt-sim-2025-06-01?temperature=0"


def report_of(engine: Engine, run_id: str) -> dict:  # type: ignore[type-arg]
    with store.session_scope(engine) as session:
        return build_report(session=session, run_id=run_id).to_json()


def calls_of(engine: Engine) -> list[Call]:
    with store.session_scope(engine) as session:
        return list(session.exec(select(Call)).all())


def test_example_suite_runs_and_a_rerun_makes_no_provider_call(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    run_id, stats = run_inline(engine=engine, suite=suite, request=RunRequest(), settings=settings)
    first = report_of(engine, run_id)
    assert first["run"]["status"] == "completed"
    sent = sim.stats()["requests"]
    assert stats.executed == first["run"]["calls"]["total"] > 0
    # One request per call; an agent loop (plan_trip's cases with fixtures) one per step.
    assert sent == stats.provider_calls > stats.executed
    directions = {(c["prompt"], c["direction"]) for c in first["comparisons"]}
    assert ("extract_contact", "FORWARD") in directions
    assert ("extract_contact", "BACKWARD") in directions
    assert all(c["cases"] >= 20 for c in first["comparisons"])

    rerun_id, rerun = run_inline(
        engine=engine, suite=suite, request=RunRequest(), settings=settings
    )
    second = report_of(engine, rerun_id)
    assert sim.stats()["requests"] == sent  # nothing reached the simulator
    assert rerun.executed == 0 and second["run"]["calls"]["provider_requests"] == 0
    assert second["run"]["calls"]["from_cache"] == second["run"]["calls"]["total"]

    def verdicts(r: dict) -> list:  # type: ignore[type-arg]
        return [(c["prompt"], c["case_id"], c["direction"], c["verdict"]) for c in r["cases"]]

    assert verdicts(second) == verdicts(first)


def test_every_call_records_its_metadata(engine: Engine, suite: Suite, settings: Settings) -> None:
    run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("extract_contact",), candidate=OLD),
        settings=settings,
    )
    rows = [c for c in calls_of(engine)]
    assert rows
    for row in rows:
        assert row.status == "ok"
        assert row.served_model == "gpt-sim-2024-05-13"
        assert row.fingerprint and row.finish_reason == "stop"
        assert row.input_tokens and row.output_tokens
        assert row.latency_ms is not None and row.latency_ms > 0
        assert row.cost_usd is not None and row.cost_usd > 0
        assert row.request["messages"][0]["role"] == "system"


def test_429_with_retry_after_is_retried_and_honoured(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    sim.add_faults([{"status": 429, "retry_after": 0.3, "count": 2, "model": "gpt-sim-2025-06-01"}])
    run_id, stats = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("extract_contact",), baseline=OLD, candidate=NEW),
        settings=settings.model_copy(update={"concurrency": 1}),
    )
    report = report_of(engine, run_id)
    assert report["run"]["status"] == "completed"
    assert stats.provider_calls == stats.executed + 2
    retried = [c for c in calls_of(engine) if c.attempts == 3]
    assert len(retried) == 1 and retried[0].status == "ok"
    # Two waits of at least the 0.3 s the provider asked for (the computed backoff is 0.05 s).
    assert stats.seconds >= 0.6


def test_a_call_that_keeps_failing_becomes_an_error_with_its_reason(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    sim.add_faults([{"status": 500, "count": 4, "model": "gpt-sim-2025-06-01"}])
    run_id, _ = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("extract_contact",), candidate=NEW),
        settings=settings.model_copy(update={"concurrency": 1, "max_attempts": 4}),
    )
    report = report_of(engine, run_id)
    assert report["run"]["status"] == "completed_with_errors"
    errors = [c for c in calls_of(engine) if c.status == "error"]
    assert len(errors) == 1 and errors[0].attempts == 4
    assert errors[0].error_reason == "server_error"
    failed = [c for c in report["cases"] if c["verdict"] == "ERROR"]
    assert len(failed) == 1
    assert failed[0]["findings"][0]["rule"] == "call.error"
    assert "500" in failed[0]["findings"][0]["message"]
    assert report["exit_code"] in (1, 2)


def test_missing_key_refuses_the_run_before_anything_is_stored_or_called(
    engine: Engine,
    suite: Suite,
    settings: Settings,
    sim: SimulatorProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(AuthError) as info:
        run_inline(
            engine=engine,
            suite=suite,
            request=RunRequest(prompts=("prime_check",)),
            settings=settings,
        )
    assert "ANTHROPIC_API_KEY" in str(info.value) and "claude-sim" in str(info.value)
    assert sim.stats()["requests"] == 0
    with store.session_scope(engine) as session:
        assert store.latest_runs(session=session, limit=5) == []


def test_a_worker_without_the_key_fails_that_targets_calls_without_calling_it(
    engine: Engine,
    suite: Suite,
    settings: Settings,
    sim: SimulatorProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Workers (and the API's executor) check no keys up front: theirs may differ from the
    # submitter's environment. A call that meets a missing key is an error, not a call.
    prepared = prepare_run(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("prime_check",)),
        settings=settings,
        mode="background",
    )
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    asyncio.run(execute_run(prepared, engine=engine, suite=suite, settings=settings))
    report = report_of(engine, prepared.run_id)
    assert sim.stats()["requests"] == 0
    assert {c["verdict"] for c in report["cases"]} == {"ERROR"}
    assert "ANTHROPIC_API_KEY" in report["cases"][0]["findings"][0]["message"]
    assert report["exit_code"] == 2


def test_unreachable_base_url_is_an_error_naming_the_connection(
    engine: Engine, suite: Suite, settings: Settings
) -> None:
    dead = "openai:gpt-sim-2025-06-01?temperature=0&base_url=http://127.0.0.1:9/v1"
    run_id, _ = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("extract_contact",), candidate=dead),
        settings=settings.model_copy(update={"max_attempts": 2}),
    )
    report = report_of(engine, run_id)
    forward = [c for c in report["cases"] if c["direction"] == "FORWARD"]
    assert forward and {c["verdict"] for c in forward} == {"ERROR"}
    assert "connect" in forward[0]["findings"][0]["message"]


def test_oversized_output_is_an_error_and_earlier_results_survive(
    engine: Engine, suite: Suite, settings: Settings
) -> None:
    good_id, _ = run_inline(
        engine=engine, suite=suite, request=RunRequest(prompts=("prime_check",)), settings=settings
    )
    before = report_of(engine, good_id)
    run_id, _ = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("prime_check",), candidate="anthropic:sim-huge-output"),
        settings=settings,
    )
    report = report_of(engine, run_id)
    assert {c["verdict"] for c in report["cases"]} == {"ERROR"}
    assert "max_output_bytes" in report["cases"][0]["findings"][0]["message"]
    assert report_of(engine, good_id)["cases"] == before["cases"]


def test_a_case_missing_a_variable_is_an_error_and_the_others_run(
    engine: Engine, settings: Settings, prompts_dir: Path, sim: SimulatorProcess
) -> None:
    from promptcompat.suite import load_suite

    cases = prompts_dir / "prime_check" / "cases.jsonl"
    lines = cases.read_text().splitlines()
    cases.write_text("\n".join([lines[0].replace('"n"', '"number"'), *lines[1:]]) + "\n")
    suite = load_suite(prompts_dir)
    run_id, stats = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("prime_check",), candidate_version="v2"),
        settings=settings,
    )
    report = report_of(engine, run_id)
    bad = [c for c in report["cases"] if c["verdict"] == "ERROR"]
    assert len(bad) == 1
    assert "'n'" in bad[0]["findings"][0]["message"]
    assert sim.stats()["requests"] == stats.executed == 2 * (len(lines) - 1)


def test_timeouts_are_retried(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    sim.add_faults([{"kind": "timeout", "seconds": 5, "count": 1}])
    run_id, stats = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("prime_check",), candidate_version="v2"),
        settings=settings.model_copy(update={"request_timeout": 0.5, "concurrency": 2}),
    )
    report = report_of(engine, run_id)
    assert report["run"]["status"] == "completed"
    assert stats.provider_calls == stats.executed + 1


def test_results_are_stored_per_case(engine: Engine, suite: Suite, settings: Settings) -> None:
    run_id, _ = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("triage_ticket",)),
        settings=settings,
    )
    with store.session_scope(engine) as session:
        rows = session.exec(select(CaseResult).where(CaseResult.run_id == run_id)).all()
    cases = len(suite.prompts["triage_ticket"].cases)
    assert len(rows) == cases * len({r.comparison for r in rows})


def test_cases_rendering_to_the_same_request_share_one_call(
    engine: Engine, settings: Settings, prompts_dir: Path, sim: SimulatorProcess
) -> None:
    from promptcompat.suite import load_suite

    (prompts_dir / "prime_check" / "versions" / "v3.yaml").write_text(
        'variables: [n]\nmessages:\n  - role: user\n    content: "Is 7 a prime number? {{ 1 }}"\n'
    )
    suite = load_suite(prompts_dir)
    run_id, stats = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("prime_check",), candidate_version="v3"),
        settings=settings,
    )
    cases = len(suite.prompts["prime_check"].cases)
    assert stats.executed == cases + 1  # v1 per case, and one shared v3 call
    assert sim.stats()["requests"] == cases + 1
    assert len(report_of(engine, run_id)["cases"]) == cases


def test_openai_compatible_endpoint_with_its_own_key_variable(
    engine: Engine,
    suite: Suite,
    settings: Settings,
    sim: SimulatorProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOCAL_LLM_KEY", "local-key")
    target = (
        f"openai-compatible:gpt-sim-2024-05-13?temperature=0&base_url={sim.openai_base_url}"
        "&api_key_env=LOCAL_LLM_KEY"
    )
    run_id, stats = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("extract_contact",), candidate=target),
        settings=settings,
    )
    report = report_of(engine, run_id)
    assert report["run"]["status"] == "completed"
    # Same model and prompt as the pinned baseline: every case compatible.
    assert {c["verdict"] for c in report["cases"]} == {"COMPATIBLE"}
    assert sim.stats()["requests"] == stats.executed > 0


def test_samples_use_distinct_seeds_and_are_all_stored(
    engine: Engine, suite: Suite, settings: Settings
) -> None:
    seeded = "anthropic:claude-sim-3-5-20241022?temperature=0.7&seed=11"
    run_id, stats = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(
            prompts=("triage_ticket",), baseline=seeded, candidate=seeded, samples=3
        ),
        settings=settings,
    )
    cases = len(suite.prompts["triage_ticket"].cases)
    assert stats.executed == 3 * cases
    seeds = {c.request["seed"] for c in calls_of(engine)}
    assert seeds == {11, 12, 13}
    # The same seeded target on both sides: sampling noise is not a break.
    report = report_of(engine, run_id)
    assert {c["verdict"] for c in report["cases"]} <= {"COMPATIBLE", "CHANGED"}
