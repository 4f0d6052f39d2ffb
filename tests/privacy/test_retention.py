"""Retention (gc) and purge with a clock the test controls: baselines and audit survive."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

import clirun
import pytest
from inline import run_inline
from pgcluster import on_both_backends
from sqlalchemy import Engine, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.errors import NotFoundError
from promptcompat.report import build_report
from promptcompat.runs import RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store import audit
from promptcompat.store.retention import collect, purge
from promptcompat.store.tables.core import (
    LIVE_STATUSES,
    TERMINAL_STATUSES,
    Baseline,
    Call,
    CaseResult,
    Run,
    RunStatus,
    Snapshot,
)
from promptcompat.store.tables.review import AuditEntry
from promptcompat.suite import Suite, load_suite

PARAPHRASE = "openai:sim-paraphrase?temperature=0"
NOW = datetime(2027, 3, 1, tzinfo=UTC)


def count(session: Session, table: type) -> int:
    return int(session.execute(sa_select(func.count()).select_from(table)).scalar_one())


def run_at(
    engine: Engine, settings: Settings, prompts: Path, at: datetime, **request: object
) -> str:
    run_id, _ = run_inline(
        engine=engine,
        suite=load_suite(prompts),
        request=RunRequest(prompts=("echo",), **request),  # type: ignore[arg-type]
        settings=settings,
    )
    with store.session_scope(engine) as session:
        session.execute(update(Run).where(col(Run.id) == run_id).values(created_at=at))
    return run_id


def test_gc_deletes_old_runs_and_unused_outputs_but_keeps_baselines_and_audit(
    privacy_engine: Engine, privacy_settings: Settings, privacy_prompts: Path
) -> None:
    old = run_at(privacy_engine, privacy_settings, privacy_prompts, NOW - timedelta(days=40))
    fresh = run_at(
        privacy_engine,
        privacy_settings,
        privacy_prompts,
        NOW - timedelta(days=2),
        candidate=PARAPHRASE,
    )
    with store.session_scope(privacy_engine) as session:
        audit.record(session=session, actor="t", action="case.accept", run_id=old)
    with store.session_scope(privacy_engine) as session:
        before = {t: count(session, t) for t in (Run, Call, Snapshot, Baseline, AuditEntry)}
        dry = collect(session=session, now=NOW, default_days=30, dry_run=True)
        assert {t: count(session, t) for t in before} == before  # a dry run deletes nothing
    assert dry.runs == [old] and dry.calls > 0 and dry.snapshots > 0

    with store.session_scope(privacy_engine) as session:
        done = collect(session=session, now=NOW, default_days=30)
    assert (done.runs, done.calls, done.snapshots) == (dry.runs, dry.calls, dry.snapshots)
    with store.session_scope(privacy_engine) as session:
        assert session.get(Run, old) is None and session.get(Run, fresh) is not None
        assert count(session, Baseline) == before[Baseline] > 0
        assert count(session, AuditEntry) == before[AuditEntry]
        assert count(session, Call) == before[Call] - done.calls
        # Every baseline still has its call and its output.
        for b in session.exec(select(Baseline)):
            assert store.load_calls(session=session, keys=[b.cache_key])
            assert store.load_texts(session=session, hashes=[b.snapshot_hash])
        assert not session.exec(select(CaseResult).where(CaseResult.run_id == old)).all()
        assert build_report(session=session, run_id=fresh).run.status == "completed"
        # Nothing else is old enough: a second pass deletes nothing.
        again = collect(session=session, now=NOW, default_days=30)
    assert (again.runs, again.calls, again.snapshots) == ([], 0, 0)


def test_retention_is_per_project_and_zero_keeps_everything(
    privacy_engine: Engine, privacy_settings: Settings, privacy_prompts: Path
) -> None:
    long_ago = NOW - timedelta(days=400)
    team_a = run_at(privacy_engine, privacy_settings, privacy_prompts, long_ago)
    keeper = privacy_settings.model_copy(update={"project": "keeper"})
    kept = run_at(privacy_engine, keeper, privacy_prompts, long_ago, candidate=PARAPHRASE)
    with store.session_scope(privacy_engine) as session:
        assert session.get(Run, kept).project == "keeper"  # type: ignore[union-attr]
        removed = collect(session=session, now=NOW, default_days=30, by_project={"keeper": 0})
    assert removed.runs == [team_a]
    with store.session_scope(privacy_engine) as session:
        assert collect(session=session, now=NOW, default_days=0).runs == []
        assert session.get(Run, kept) is not None


def test_purge_deletes_a_case_everywhere_and_a_dry_run_nothing(
    privacy_engine: Engine, privacy_settings: Settings, privacy_prompts: Path
) -> None:
    run_at(privacy_engine, privacy_settings, privacy_prompts, NOW)
    with store.session_scope(privacy_engine) as session:
        email = session.exec(select(Call).where(Call.case_id == "email")).all()
        texts = store.load_texts(session=session, hashes=[c.snapshot_hash for c in email])  # type: ignore[misc]
        dry = purge(session=session, prompt="echo", case_id="email", dry_run=True)
        assert len(session.exec(select(Call).where(Call.case_id == "email")).all()) == len(email)
    assert dry.calls == len(email) == 3 and dry.baselines == 1 and dry.case_results == 2
    with store.session_scope(privacy_engine) as session:
        done = purge(session=session, prompt="echo", case_id="email")
    assert (done.calls, done.baselines, done.case_results) == (3, 1, 2)
    with store.session_scope(privacy_engine) as session:
        for table in (Call, Baseline, CaseResult):
            assert not session.exec(select(table).where(table.case_id == "email")).all()  # type: ignore[attr-defined]
        assert session.exec(select(Call).where(Call.case_id == "phone-us")).all()
        with pytest.raises(NotFoundError, match="nothing is stored of case 'email'"):
            purge(session=session, prompt="echo", case_id="email")
    # The outputs are gone from the file itself, not only from the tables.
    privacy_engine.dispose()
    db = Path(privacy_settings.resolved_database_url().removeprefix("sqlite:///"))
    blob = db.read_bytes()
    own = [t for t in texts.values() if "<EMAIL_1>" in t]  # not a refusal other cases share
    assert own
    for text in own:
        assert text.encode() not in blob
    assert b"What is the status of customer" in blob  # another case's output stays


def test_gc_and_purge_commands(
    privacy_engine: Engine, privacy_settings: Settings, privacy_prompts: Path, tmp_path: Path
) -> None:
    run_at(privacy_engine, privacy_settings, privacy_prompts, NOW - timedelta(days=3650))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"COLUMNS": "200"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return clirun.cli(*args, env=env, cwd=tmp_path, timeout=120)

    dry = cli("gc", "--dry-run")
    assert dry.returncode == 0 and "would delete: 1 runs" in dry.stdout, dry.stderr
    done = cli("gc")
    assert done.returncode == 0 and "deleted: 1 runs" in done.stdout
    missing = cli("purge", "--prompt", "nope")
    assert missing.returncode == 2 and "nothing is stored of prompt 'nope'" in missing.stderr
    assert "Traceback" not in missing.stderr
    purged = cli("purge", "--prompt", "echo")
    assert purged.returncode == 0 and "deleted:" in purged.stdout
    with store.session_scope(privacy_engine) as session:
        assert count(session, Call) == 0 and count(session, Baseline) == 0
        (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == "privacy.purge"))
        assert entry.subject == "echo"


def test_gc_deletes_old_runs_in_every_finished_status_and_never_a_live_one(
    privacy_engine: Engine, privacy_settings: Settings, privacy_prompts: Path, tmp_path: Path
) -> None:
    """Each status a run can be in, through ``promptcompat gc``: a cancelled run is finished
    (it used to be kept for ever); a pending, running or finalizing one, whose process is
    alive (this one), is not."""
    by_status: dict[str, str] = {}
    for status in get_args(RunStatus):
        run_id = run_at(
            privacy_engine, privacy_settings, privacy_prompts, NOW - timedelta(days=3650)
        )
        with store.session_scope(privacy_engine) as session:
            session.execute(update(Run).where(col(Run.id) == run_id).values(status=status))
        by_status[status] = run_id
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"COLUMNS": "200"}
    done = clirun.cli("gc", env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"deleted: {len(TERMINAL_STATUSES)} runs" in done.stdout
    with store.session_scope(privacy_engine) as session:
        kept = {r.status for r in session.exec(select(Run))}
    assert kept == set(LIVE_STATUSES)
    assert set(TERMINAL_STATUSES) | set(LIVE_STATUSES) == set(by_status)


@on_both_backends  # the loops are found by their request's text: JSON on PostgreSQL
def test_gc_keeps_the_steps_of_agent_loops_its_kept_runs_made(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    # plan_trip's loops: each step a call no run links (the run links the loop).
    run_inline(
        engine=engine, suite=suite, request=RunRequest(prompts=("plan_trip",)), settings=settings
    )
    with store.session_scope(engine) as session:
        kept = collect(session=session, now=datetime.now(UTC), default_days=30)
    assert (kept.runs, kept.calls, kept.snapshots) == ([], 0, 0)
    # ... so a rerun still finds every step in the cache.
    before = sim.stats()["requests"]
    _, stats = run_inline(
        engine=engine, suite=suite, request=RunRequest(prompts=("plan_trip",)), settings=settings
    )
    assert sim.stats()["requests"] == before and stats.executed == 0
