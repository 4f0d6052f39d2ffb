"""Accepted baselines and recorded prompt versions: per case, per content of a version, and
agreed on by runs that accept at the same time (issues 13.1, 13.6, 14.11).

Every test takes ``db_url`` (tests/store/conftest.py), so it runs on each database the store
supports."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from inline import run_inline
from sqlalchemy import Engine, event, text
from sqlmodel import col, select

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.errors import StoreError, SuiteError, VersionEditedError
from promptcompat.runs import RunRequest, prepare_run
from promptcompat.runs.execution import execute_shards, finalize_if_complete
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store import BaselineSlot
from promptcompat.store.call_rows import CallRow
from promptcompat.store.tables.core import Baseline, CaseResult, PromptVersionRecord, Run
from promptcompat.suite import Message, PromptVersion, Suite, load_suite

TARGET = "openai:gpt-sim-2024-05-13?temperature=0"


def version(content: str, *, released: bool = False) -> PromptVersion:
    return PromptVersion(
        prompt="p",
        version="v2",
        messages=(Message("user", content),),
        variables=(),
        content_hash=hashlib.sha256(content.encode()).hexdigest(),
        path=Path("prompts/p/versions/v2.yaml"),
        released=released,
    )


def slot(case_id: str, *, version_hash: str = "h1", sample: int = 0) -> BaselineSlot:
    return BaselineSlot("p", "v2", version_hash, TARGET, case_id, sample)


def answered(engine: Engine, *keys: str) -> dict[str, CallRow]:
    """Calls answered with the output ``out-<key>``, stored as a run would store them."""
    rows = {
        key: CallRow(
            cache_key=key,
            prompt="p",
            version="v2",
            case_id="whichever-case-ran-first",
            target=TARGET,
            sample=0,
            snapshot_hash=hashlib.sha256(f"out-{key}".encode()).hexdigest(),
        )
        for key in keys
    }
    texts = {r.snapshot_hash: f"out-{k}" for k, r in rows.items() if r.snapshot_hash}
    with store.session_scope(engine) as session:
        store.save_results(session=session, calls=list(rows.values()), texts=texts)
    return rows


def stored(engine: Engine) -> dict[BaselineSlot, str]:
    with store.session_scope(engine) as session:
        return {BaselineSlot.of(b): b.cache_key for b in session.exec(select(Baseline))}


# --- prompt versions: drafts change, released versions do not ---------------------------------


def test_a_draft_may_change_and_the_store_keeps_each_content(db_url: str) -> None:
    engine = store.open_engine(db_url)
    for content in ("first draft", "second draft", "first draft"):
        with store.session_scope(engine) as session:
            store.record_prompt_versions(session=session, versions=[version(content)])
    with store.session_scope(engine) as session:
        records = session.exec(select(PromptVersionRecord)).all()
    assert sorted(r.content_hash for r in records) == sorted(
        version(c).content_hash for c in ("first draft", "second draft")
    )
    assert not any(r.released for r in records)


def test_a_version_replayed_released_is_immutable_even_without_the_lock_file(
    db_url: str,
) -> None:
    engine = store.open_engine(db_url)
    with store.session_scope(engine) as session:  # two drafts, then the second is locked
        store.record_prompt_versions(session=session, versions=[version("draft")])
        store.record_prompt_versions(session=session, versions=[version("final")])
        store.record_prompt_versions(session=session, versions=[version("final", released=True)])
    for edit in (version("draft"), version("edited"), version("edited", released=True)):
        with pytest.raises(VersionEditedError) as info, store.session_scope(engine) as session:
            store.record_prompt_versions(session=session, versions=[edit])
        assert "released versions are immutable" in info.value.message
        assert info.value.where == "prompts/p/versions/v2.yaml"
    with store.session_scope(engine) as session:  # its own content is fine, locked or not
        store.record_prompt_versions(session=session, versions=[version("final")])
        records = session.exec(select(PromptVersionRecord)).all()
    assert {(r.content_hash, r.released) for r in records} == {
        (version("draft").content_hash, False),
        (version("final").content_hash, True),
    }


def test_a_draft_edited_while_its_run_waits_for_evaluation_fails_the_run_with_the_reason(
    db_url: str, settings: Settings, prompts_dir: Path, sim: SimulatorProcess
) -> None:
    """A queued run is evaluated by a worker that loads the suite again: a draft edited in
    between is not the content the run replayed."""
    (prompts_dir / "prompts.lock").unlink()  # every version is a draft
    engine = store.open_engine(db_url)
    request = RunRequest(prompts=("prime_check",))
    prepared = prepare_run(
        engine=engine,
        suite=load_suite(prompts_dir),
        request=request,
        settings=settings,
        mode="queue",
    )
    asyncio.run(execute_shards(engine=engine, run_id=prepared.run_id, settings=settings))
    v2 = prompts_dir / "prime_check" / "versions" / "v2.yaml"
    v2.write_text(v2.read_text("utf-8").replace("prime", "prime (really)"), "utf-8")
    with pytest.raises(SuiteError) as info:
        finalize_if_complete(engine=engine, run_id=prepared.run_id, settings=settings)
    assert info.value.where == "prompts/prime_check/versions/v2.yaml"
    with store.session_scope(engine) as session:
        run = store.get_run(session=session, run_id=prepared.run_id)
    assert run.status == "failed"
    assert run.error is not None and "changed since the run was planned" in run.error
    engine.dispose()


# --- accepting baselines -----------------------------------------------------------------------


def test_cases_sharing_one_call_each_get_their_own_baseline(db_url: str) -> None:
    engine = store.open_engine(db_url)
    shared = answered(engine, "k-shared")["k-shared"]  # its row names one case only
    with store.session_scope(engine) as session:
        found = store.accept_baselines(
            session=session,
            accepted=[(slot("a"), shared), (slot("b"), shared)],
            accepted_by="first-run",
            replace=False,
        )
    assert {s.case_id for s in found} == {"a", "b"}
    assert stored(engine) == {slot("a"): "k-shared", slot("b"): "k-shared"}


def test_a_first_acceptance_keeps_the_baseline_and_a_decision_replaces_it(db_url: str) -> None:
    engine = store.open_engine(db_url)
    calls = answered(engine, "k1", "k2", "k3")
    with store.session_scope(engine) as session:
        store.accept_baselines(
            session=session, accepted=[(slot("a"), calls["k1"])], accepted_by="run-1", replace=False
        )
    with store.session_scope(engine) as session:
        kept = store.accept_baselines(
            session=session, accepted=[(slot("a"), calls["k2"])], accepted_by="run-2", replace=False
        )
    assert (kept[slot("a")].cache_key, kept[slot("a")].accepted_by) == ("k1", "run-1")
    with store.session_scope(engine) as session:
        store.baselines_for(
            session=session, prompt="p", version="v2", version_hash="h1", target=TARGET
        )
        chosen = store.accept_baseline(
            session=session, slot=slot("a"), call=calls["k3"], accepted_by="reviewer"
        )
        # The object the session already held is refreshed, not left stale.
        again = store.baselines_for(
            session=session, prompt="p", version="v2", version_hash="h1", target=TARGET
        )
    assert (chosen.cache_key, chosen.accepted_by) == ("k3", "reviewer")
    assert again[("a", 0)].cache_key == "k3"
    assert stored(engine) == {slot("a"): "k3"}


def test_baselines_of_a_draft_are_kept_per_content(db_url: str) -> None:
    engine = store.open_engine(db_url)
    calls = answered(engine, "k-old", "k-new")
    for digest, key in (("h-old", "k-old"), ("h-new", "k-new")):
        with store.session_scope(engine) as session:
            store.accept_baselines(
                session=session,
                accepted=[(slot("a", version_hash=digest), calls[key])],
                accepted_by="first-run",
                replace=False,
            )
    with store.session_scope(engine) as session:
        for digest, key in (("h-old", "k-old"), ("h-new", "k-new"), ("h-other", None)):
            found = store.baselines_for(
                session=session, prompt="p", version="v2", version_hash=digest, target=TARGET
            )
            assert {c: b.cache_key for c, b in found.items()} == ({("a", 0): key} if key else {})


def test_a_failed_call_cannot_become_a_baseline(db_url: str) -> None:
    engine = store.open_engine(db_url)
    failed = CallRow(
        cache_key="k-failed",
        prompt="p",
        version="v2",
        case_id="a",
        target=TARGET,
        sample=0,
        status="error",
    )
    with store.session_scope(engine) as session, pytest.raises(StoreError) as info:
        store.accept_baseline(session=session, slot=slot("a"), call=failed, accepted_by="me")
    assert info.value.where == "p/v2/a"
    assert stored(engine) == {}


def test_concurrent_first_acceptances_agree_on_one_baseline_per_slot(db_url: str) -> None:
    """Evaluations accepting the same new baselines at once (each with calls of its own, so a
    disagreement would show) all end with the baselines that were stored, one per slot."""
    writers = 4
    slots = [slot(f"case-{i:03d}") for i in range(300)]
    engine = store.open_engine(db_url)
    calls = answered(engine, *(f"w{w}-{s.case_id}" for w in range(writers) for s in slots))
    barrier = threading.Barrier(writers)

    def accept(writer: int) -> dict[BaselineSlot, str]:
        own = store.open_engine(db_url, migrate_schema=False)
        try:
            with store.session_scope(own) as session:
                # As an evaluation does: read what is accepted, then accept what is missing.
                assert not store.baselines_for(
                    session=session, prompt="p", version="v2", version_hash="h1", target=TARGET
                )
                barrier.wait(timeout=60)
                found = store.accept_baselines(
                    session=session,
                    accepted=[(s, calls[f"w{writer}-{s.case_id}"]) for s in slots],
                    accepted_by=f"writer-{writer}",
                    replace=False,
                )
                return {s: b.cache_key for s, b in found.items()}
        finally:
            own.dispose()

    with ThreadPoolExecutor(writers) as pool:
        results = list(pool.map(accept, range(writers)))
    assert all(r == stored(engine) for r in results)
    assert set(results[0]) == set(slots)


def test_two_runs_finalizing_at_once_accept_the_same_new_baselines(
    db_url: str, settings: Settings, suite: Suite, sim: SimulatorProcess
) -> None:
    """Two runs of the same prompt on an empty store both need its first baselines: both
    evaluate before either has committed them (issue 14.11: one run used to fail on the
    unique constraint and stay unfinished)."""
    engines = [store.open_engine(db_url) for _ in range(2)]
    request = RunRequest(prompts=("prime_check",))
    # The calls are answered first, by another project (with baselines of its own), so the
    # two runs meet in their evaluations, not in each other's leases on the calls.
    warm = settings.model_copy(update={"project": "warm-up"})
    run_inline(engine=engines[0], suite=suite, request=request, settings=warm)
    barrier = threading.Barrier(2)
    met = threading.local()

    def meet(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Each run waits, at its first baseline write, until the other got that far too.
        if statement.startswith("INSERT INTO baseline") and not getattr(met, "done", False):
            met.done = True
            barrier.wait(timeout=120)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", meet)

    def run(engine: Engine) -> str:
        return run_inline(engine=engine, suite=suite, request=request, settings=settings)[0]

    with ThreadPoolExecutor(2) as pool:
        run_ids = list(pool.map(run, engines))
    with store.session_scope(engines[0]) as session:
        runs = session.exec(select(Run).where(col(Run.id).in_(run_ids))).all()
        assert {r.status for r in runs} == {"completed"}, [r.error for r in runs]
        results = {
            run_id: sorted(
                (r.comparison, r.case_id, tuple(r.baseline_keys), r.verdict)
                for r in session.exec(select(CaseResult).where(CaseResult.run_id == run_id))
            )
            for run_id in run_ids
        }
    assert results[run_ids[0]] == results[run_ids[1]]
    with store.session_scope(engines[0]) as session:
        accepted = session.exec(select(Baseline).where(Baseline.project == "default")).all()
    assert len(accepted) == len(suite.prompts["prime_check"].cases)
    for engine in engines:
        engine.dispose()


# --- migration 0008 ---------------------------------------------------------------------------


def test_migration_gives_existing_baselines_the_content_they_were_accepted_for(
    db_url: str,
) -> None:
    engine = store.open_engine(db_url, migrate_schema=False)
    config = Config()
    config.set_main_option("script_location", str(store.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO prompt_version (prompt, version, content_hash, variables, messages, "
                "first_seen) VALUES ('p', 'v2', 'h-v2', '[]', '[]', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO snapshot (content_hash, text, size, created_at) "
                "VALUES ('s1', 'out', 3, '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO baseline (project, prompt, version, target, case_id, sample, "
                "cache_key, snapshot_hash, accepted_at, accepted_by) VALUES "
                f"('default', 'p', 'v2', '{TARGET}', 'a', 0, 'k1', 's1', '2026-01-01', 'me')"
            )
        )
    store.migrate(engine)
    assert store.schema_revision(engine) == store.SCHEMA_REVISION
    assert stored(engine) == {slot("a", version_hash="h-v2"): "k1"}
    with store.session_scope(engine) as session:
        (record,) = session.exec(select(PromptVersionRecord)).all()
        assert (record.content_hash, record.released) == ("h-v2", False)
        # The store may now hold another content of the same version.
        store.record_prompt_versions(session=session, versions=[version("edited draft")])
    engine.dispose()
