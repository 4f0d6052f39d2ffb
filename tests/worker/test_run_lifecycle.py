"""The end of a run as the distributed commands meet it: ``run --queue --wait`` follows a run
through every status and stops at each finished one; ``reconcile`` recovers an embedded run
whose process was killed."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from clirun import Spawner, cli
from sqlalchemy import Engine, update
from sqlmodel import col
from worker_helpers import run_row, wait_progress, wait_until

from promptcompat import store
from promptcompat.cli.queue import POLL_SECONDS
from promptcompat.runs.background import cancel_run
from promptcompat.store.tables.core import LIVE_STATUSES, TERMINAL_STATUSES, Run, RunStatus

REPO = Path(__file__).resolve().parents[2]


def only_run(engine: Engine) -> Run | None:
    with store.session_scope(engine) as session:
        runs = store.latest_runs(session=session, limit=2)
    assert len(runs) <= 1
    return runs[0] if runs else None


def set_status(engine: Engine, run_id: str, status: RunStatus) -> None:
    with store.session_scope(engine) as session:
        session.execute(update(Run).where(col(Run.id) == run_id).values(status=status))


# The subject is the command following a run's status, not the store: SQLite alone (CI time;
# the reconcile below, which writes the run, runs on both).
@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("status", TERMINAL_STATUSES)
def test_run_queue_wait_follows_every_live_status_and_stops_at_each_finished_one(
    dist_env: dict[str, str],
    dist_engine: Engine,
    tmp_path: Path,
    status: RunStatus,
    spawn_cli: Spawner,
) -> None:
    """No worker runs: the test moves the run through its statuses, as workers would."""
    out = tmp_path / "report.json"
    proc = spawn_cli(
        "run", "--queue", "-p", "prime_check", "--json-out", str(out), env=dist_env, cwd=REPO
    )
    wait_until(
        lambda: (r := only_run(dist_engine)) is not None and r.status == "running",
        timeout=30,
        what="the queued run to be published",
    )
    run = only_run(dist_engine)
    assert run is not None
    # Every live status is followed once (with the first finished status); the others
    # finish straight from running: the walk costs several polls per status.
    for live in LIVE_STATUSES if status == TERMINAL_STATUSES[0] else ("running",):
        set_status(dist_engine, run.id, live)
        with pytest.raises(subprocess.TimeoutExpired):  # still following, several polls on
            proc.wait(timeout=POLL_SECONDS * 3)
    if status == "cancelled":  # as the API's POST /runs/{id}/cancel does
        set_status(dist_engine, run.id, "running")
        with store.session_scope(dist_engine) as session:
            cancel_run(session=session, run_id=run.id, actor="test")
    else:
        set_status(dist_engine, run.id, status)
    stdout, stderr = proc.communicate(timeout=30)  # checked for a crash (clirun)
    report = json.loads(out.read_text())
    assert report["run"]["status"] == status
    finished = status in ("completed", "completed_with_errors")
    assert proc.returncode == report["exit_code"] == (0 if finished else 2), stdout + stderr
    assert f"Verdict: {report['verdict']}" in stdout


def test_reconcile_ends_an_embedded_run_whose_process_was_killed(
    dist_env: dict[str, str], dist_engine: Engine, spawn_cli: Spawner
) -> None:
    proc = spawn_cli("run", "-p", "extract_contact", "--samples", "2", env=dist_env, cwd=REPO)
    wait_until(lambda: only_run(dist_engine), timeout=30, what="the run")
    run = only_run(dist_engine)
    assert run is not None
    wait_progress(dist_engine, run.id, at_least=1)
    proc.kill()
    proc.communicate(timeout=30)
    assert run_row(dist_engine, run.id).status == "running"

    done = cli("reconcile", env=dist_env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"run {run.id}: its process is gone; marked failed" in done.stdout
    assert "1 orphaned run(s) marked failed" in done.stdout
    after = run_row(dist_engine, run.id)
    gone = f"owner process {proc.pid} on host {socket.gethostname()} is gone"
    assert (after.status, after.error) == ("failed", gone)


def test_ctrl_c_while_following_a_queued_run_says_it_goes_on_on_the_workers(
    dist_env: dict[str, str], dist_engine: Engine, spawn_cli: Spawner
) -> None:
    proc = spawn_cli("run", "--queue", "-p", "prime_check", env=dist_env, cwd=REPO)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("queued run ")  # now it follows the run
    run = only_run(dist_engine)
    assert run is not None and run.status == "running"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)  # checked for a crash (clirun)
    assert proc.returncode == 130, stderr
    assert f"stopped following run {run.id[:12]}, which goes on on the workers" in stderr
    assert run_row(dist_engine, run.id).status == "running"  # the workers' to finish
