"""The watcher's core against the simulator: new ids, dedupe, failures, pagination."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import Engine
from watch_helpers import CollectingPublisher, events, polls, release_runs, runs

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.replay.plan import Comparison
from promptcompat.runs import InlineStarter, QueueStarter
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store.tables.core import TERMINAL_STATUSES
from promptcompat.suite import load_suite
from promptcompat.suite.targets import parse_target
from promptcompat.watch.config import Account, Watched, account_for
from promptcompat.watch.model_lists import list_models
from promptcompat.watch.releases import Recorded, announce
from promptcompat.watch.watcher import poll, poll_account


def new_model() -> str:
    return f"gpt-sim-2026-{uuid.uuid4().hex[:8]}"


def test_a_new_model_in_a_watched_family_triggers_one_forward_run(
    settings: Settings, engine: Engine, sim: SimulatorProcess
) -> None:
    starter = InlineStarter(engine, settings)
    first = poll(engine=engine, settings=settings, starter=starter)
    assert [a.account for a in first.accounts] == ["openai"]
    assert first.accounts[0].ok and first.accounts[0].models > 10
    assert events(engine) == [] and runs(engine) == []  # the first poll only learns the list

    model = new_model()
    sim.add_model(model, behaves_like="gpt-sim-2025-06-01")
    report = poll(engine=engine, settings=settings, starter=starter)
    assert report.accounts[0].new == [model]
    [event] = events(engine, "release")
    assert (event.account, event.model_id, event.source) == ("openai", model, "watcher")
    [run] = runs(engine)
    assert report.runs == {event.id: [run.id]}
    assert run.status in TERMINAL_STATUSES
    comparisons = [Comparison.from_spec(c) for c in run.spec.comparisons]
    assert {c.prompt for c in comparisons} == {"extract_contact"}  # the prompt that watches
    assert {c.direction for c in comparisons} == {"FORWARD"}
    assert {c.baseline.target.label for c in comparisons} == {
        "openai:gpt-sim-2024-05-13?temperature=0"
    }
    assert {c.candidate.target.label for c in comparisons} == {f"openai:{model}?temperature=0"}

    # Seen again: nothing new.
    again = poll(engine=engine, settings=settings, starter=starter)
    assert again.accounts[0].new == [] and again.runs == {}
    assert len(events(engine)) == 1 and len(runs(engine)) == 1


def test_concurrent_polls_record_one_event_and_start_one_run(
    settings: Settings, engine: Engine, sim: SimulatorProcess
) -> None:
    publisher = CollectingPublisher()
    starter = QueueStarter(engine, settings, publisher)
    poll(engine=engine, settings=settings, starter=starter)
    model = new_model()
    sim.add_model(model, behaves_like="gpt-sim-2024-05-13")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            barrier.wait()
            # Each thread has its own engine: as separate beat processes would.
            own = store.open_engine(settings.resolved_database_url())
            poll(engine=own, settings=settings, starter=QueueStarter(own, settings, publisher))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert [e.model_id for e in events(engine)] == [model]
    [run] = runs(engine)
    [row] = release_runs(engine)
    assert row.run_id == run.id
    assert {r for r, _ in publisher.shards} == {run.id}
    assert len(publisher.shards) == len(set(publisher.shards))  # each shard published once


def test_a_failing_model_list_is_recorded_and_the_next_poll_works(
    settings: Settings, engine: Engine, sim: SimulatorProcess
) -> None:
    starter = QueueStarter(engine, settings, CollectingPublisher())
    poll(engine=engine, settings=settings, starter=starter)
    model = new_model()
    sim.add_model(model, behaves_like="gpt-sim-2024-05-13")
    sim.fail_model_lists([500])
    failed = poll(engine=engine, settings=settings, starter=starter)
    assert not failed.accounts[0].ok
    last = polls(engine, "openai")[-1]
    assert not last.ok and last.error is not None and "HTTP 500" in last.error
    assert events(engine) == []

    recovered = poll(engine=engine, settings=settings, starter=starter)
    assert recovered.accounts[0].ok and recovered.accounts[0].new == [model]
    assert [e.model_id for e in events(engine)] == [model]
    assert len(runs(engine)) == 1


def test_several_hundred_models_are_listed_through_the_sdks_pagination(
    settings: Settings, engine: Engine
) -> None:
    with SimulatorProcess() as own:
        ids = [f"claude-sim-bulk-{i:04d}" for i in range(450)]
        own.add_models(ids, behaves_like="claude-sim-3-5-20241022")
        anthropic = Account("anthropic", "anthropic", own.anthropic_base_url, "ANTHROPIC_API_KEY")
        openai = Account("openai", "openai", own.openai_base_url, "OPENAI_API_KEY")
        paged = settings.model_copy(update={"watch_page_size": 100})
        listed = list_models(anthropic, paged)
        # 100 per page: the SDK followed has_more/after_id through five pages.
        assert len(listed) == len(set(listed)) and set(ids) <= set(listed)
        assert set(ids) <= set(list_models(openai, paged))  # OpenAI answers in one page

        watched_settings = paged.model_copy(update={"watch_families": ["claude-sim-bulk-*"]})
        target = parse_target("anthropic:claude-sim-3-5-20241022")
        watched = [Watched("p", str(target), target, anthropic, ("claude-sim-bulk-*",))]
        first = poll_account(
            engine=engine, settings=watched_settings, account=anthropic, watched=watched
        )
        assert first.ok and first.models >= 450
        own.add_models(["claude-sim-bulk-9999"], behaves_like="claude-sim-3-5-20241022")
        second = poll_account(
            engine=engine, settings=watched_settings, account=anthropic, watched=watched
        )
        assert second.new == ["claude-sim-bulk-9999"] and len(second.events) == 1


def test_an_announced_release_and_the_watchers_sighting_are_one_event(
    settings: Settings, engine: Engine, sim: SimulatorProcess
) -> None:
    publisher = CollectingPublisher()
    starter = QueueStarter(engine, settings, publisher)
    poll(engine=engine, settings=settings, starter=starter)
    model = new_model()
    suite = load_suite(settings.prompts_dir)

    def tell(source: str) -> Recorded:
        return announce(
            engine=engine,
            settings=settings,
            starter=starter,
            suite=suite,
            account="openai",
            model_id=model,
            source=source,
        )

    first = tell("cli")
    assert first.created and len(first.runs) == 1
    second = tell("api")
    assert not second.created and second.runs == first.runs
    sim.add_model(model, behaves_like="gpt-sim-2024-05-13")
    report = poll(engine=engine, settings=settings, starter=starter)
    assert report.accounts[0].new == [model] and report.accounts[0].events == []
    assert len(events(engine)) == 1 and len(runs(engine)) == 1


def test_openai_compatible_accounts_are_listed_at_their_base_url(
    settings: Settings, sim: SimulatorProcess
) -> None:
    target = parse_target(
        f"openai-compatible:gpt-sim-2024-05-13?base_url={sim.openai_base_url}"
        "&api_key_env=OPENAI_API_KEY"
    )
    account = account_for(target, settings)
    assert account.name == f"openai-compatible@{sim.openai_base_url}"
    assert "gpt-sim-2024-05-13" in list_models(account, settings)
