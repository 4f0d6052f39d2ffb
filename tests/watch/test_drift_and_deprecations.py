"""Alias drift (served model or fingerprint behind a pinned alias) and retirements."""

from __future__ import annotations

import datetime as dt

import pytest
from inline import run_inline
from rich.console import Console
from sqlalchemy import Engine
from watch_helpers import CollectingPublisher, events, release_runs, runs

from promptcompat.cli.terminal import print_report
from promptcompat.config import Settings
from promptcompat.errors import SuiteError
from promptcompat.replay.plan import Comparison
from promptcompat.report import build_report
from promptcompat.runs import QueueStarter, RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store import session_scope
from promptcompat.store.tables.watch import AliasState
from promptcompat.suite import load_suite
from promptcompat.suite.retirements import deprecation_warnings, load_deprecations
from promptcompat.watch.alias_drift import check_aliases, looks_like_alias
from promptcompat.watch.config import watched_prompts
from promptcompat.watch.deprecations import schedule_successors
from promptcompat.watch.watcher import poll

ALIAS = "openai:gpt-sim-latest?temperature=0"


@pytest.fixture
def alias_back(sim: SimulatorProcess):  # type: ignore[no-untyped-def]
    yield
    sim.set_alias("gpt-sim-latest", "gpt-sim-2025-06-01")  # as shipped, for the next test


def test_undated_ids_are_aliases() -> None:
    assert looks_like_alias("gpt-4o") and looks_like_alias("claude-3-5-sonnet-latest")
    assert not looks_like_alias("gpt-4o-2024-08-06")
    assert not looks_like_alias("claude-3-5-haiku-20241022")


def test_the_alias_serving_another_model_is_one_drift_event_and_a_replay(
    settings: Settings, engine: Engine, sim: SimulatorProcess, alias_back: None
) -> None:
    publisher = CollectingPublisher()
    starter = QueueStarter(engine, settings, publisher)
    poll(engine=engine, settings=settings, starter=starter)
    with session_scope(engine) as session:
        state = session.get(AliasState, ALIAS)
        assert state is not None and state.served_model == "gpt-sim-2025-06-01"
    assert events(engine) == []

    sim.set_alias("gpt-sim-latest", "gpt-sim-2024-05-13")
    report = poll(engine=engine, settings=settings, starter=starter)
    [event] = events(engine, "alias_drift")
    assert report.drift_events == [event.id]
    assert event.account == ALIAS
    assert event.detail["previous_served_model"] == "gpt-sim-2025-06-01"
    assert event.detail["served_model"] == "gpt-sim-2024-05-13"
    assert event.detail["fingerprint"] != event.detail["previous_fingerprint"]
    [run] = runs(engine)
    [comparison] = {Comparison.from_spec(c).candidate.target.label for c in run.spec.comparisons}
    assert comparison == "openai:gpt-sim-2024-05-13?temperature=0"
    assert {c.prompt for c in run.spec.comparisons} == {"alias_contact"}

    again = poll(engine=engine, settings=settings, starter=starter)
    assert again.drift_events == [] and len(runs(engine)) == 1


def test_drift_is_read_from_recorded_calls_without_a_probe(
    settings: Settings, engine: Engine, sim: SimulatorProcess, alias_back: None
) -> None:
    quiet = settings.model_copy(update={"watch_probe_aliases": False})
    suite = load_suite(settings.prompts_dir)
    watched = watched_prompts(suite, quiet)
    run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("alias_contact",), candidate="openai:gpt-sim-2024-05-13"),
        settings=quiet,
    )
    assert check_aliases(engine=engine, settings=quiet, watched=watched) == []
    sim.set_alias("gpt-sim-latest", "gpt-sim-2024-05-13")
    # A newer prompt version makes new calls, which record the newly served model.
    hot = "openai:gpt-sim-latest?temperature=0"
    run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("alias_contact",), baseline=hot, candidate_version="v2"),
        settings=quiet,
    )
    [event_id] = check_aliases(engine=engine, settings=quiet, watched=watched)
    [event] = events(engine, "alias_drift")
    assert event.id == event_id and event.detail["seen_in"].startswith("call:")


def write_targets(settings: Settings, retires: dt.date) -> None:
    (settings.prompts_dir / "targets.yaml").write_text(
        "deprecations:\n"
        "  - target: openai:gpt-sim-2024-05-13\n"
        f"    retires: {retires.isoformat()}\n"
        "    successor: openai:gpt-sim-2025-06-01\n"
    )


def test_a_retirement_within_the_lead_time_schedules_one_successor_run(
    settings: Settings, engine: Engine
) -> None:
    today = dt.date(2026, 11, 23)
    starter = QueueStarter(engine, settings, CollectingPublisher())
    write_targets(settings, today + dt.timedelta(days=45))
    assert (
        schedule_successors(engine=engine, settings=settings, starter=starter, today=today).events
        == []
    )
    assert deprecation_warnings(load_suite(settings.prompts_dir), settings, today=today) == []

    write_targets(settings, today + dt.timedelta(days=10))
    report = schedule_successors(engine=engine, settings=settings, starter=starter, today=today)
    [event] = events(engine, "deprecation")
    assert report.events == [event.id]
    [row] = release_runs(engine)
    assert row.prompts == ["extract_contact"]
    assert "gpt-sim-2025-06-01" in row.candidate
    assert (
        schedule_successors(engine=engine, settings=settings, starter=starter, today=today).events
        == []
    )
    assert len(runs(engine)) == 1

    [warning] = deprecation_warnings(load_suite(settings.prompts_dir), settings, today=today)
    assert warning["prompt"] == "extract_contact" and warning["days_left"] == 10
    assert "retires in 10 days (2026-12-03)" in str(warning["message"])


def test_a_malformed_targets_file_names_the_line(settings: Settings) -> None:
    (settings.prompts_dir / "targets.yaml").write_text(
        "deprecations:\n  - target: openai:gpt-sim-2024-05-13\n    retires: soon\n"
        "    successor: openai:x\n"
    )
    with pytest.raises(SuiteError) as info:
        load_deprecations(settings.prompts_dir)
    assert info.value.where == "prompts/targets.yaml:2" and "YYYY-MM-DD" in info.value.message


def test_a_run_of_a_prompt_pinned_to_a_retiring_target_warns_in_its_report(
    settings: Settings, engine: Engine
) -> None:
    write_targets(settings, dt.date.today() + dt.timedelta(days=5))
    suite = load_suite(settings.prompts_dir)
    run_id, _ = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("extract_contact", "alias_contact")),
        settings=settings,
    )
    with session_scope(engine) as session:
        report = build_report(session=session, run_id=run_id)
    [warning] = report.deprecations
    assert warning.prompt == "extract_contact" and warning.days_left == 5
    console = Console(record=True, width=200)
    print_report(console, report)
    assert "retirement: extract_contact is pinned to gpt-sim-2024-05-13" in console.export_text()
