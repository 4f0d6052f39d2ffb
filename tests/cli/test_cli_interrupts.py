"""A run's lifecycle as a user meets it: ``promptcompat run`` stopped by a real signal in
the middle of its calls (Ctrl-C, SIGTERM, SIGKILL), the next commands, a rerun, two runs
sharing calls, and what the report and the counters say afterwards.

The provider is the simulator with latency, so a run is mid-flight when the signal comes;
the test watches the store's file with ``sqlite3`` (not through ``promptcompat``, whose
opening of the store is one of the things under test).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from clirun import CliProcess, Spawner, cli, spawn

from promptcompat.simulator.process import SimulatorProcess

RUN = ("run", "--prompt", "extract_contact", "--samples", "2")


SLOW_MS = 300


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[SimulatorProcess]:
    """Answers in 300 ms: with 2 calls in flight per target a run takes seconds."""
    with SimulatorProcess(latency_ms=SLOW_MS) as sim:
        yield sim


@pytest.fixture
def env(tmp_path: Path, prompts_dir: Path, slow_sim: SimulatorProcess) -> dict[str, str]:
    slow_sim.reset()
    slow_sim.set_latency(SLOW_MS)
    base = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    return {
        **base,
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
        "PROMPTCOMPAT_OPENAI_BASE_URL": slow_sim.openai_base_url,
        "PROMPTCOMPAT_ANTHROPIC_BASE_URL": slow_sim.anthropic_base_url,
        "PROMPTCOMPAT_CONCURRENCY": "2",
        "OPENAI_API_KEY": "sk-test",
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "COLUMNS": "200",
    }


def wait_until(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def query(env: dict[str, str], sql: str, *params: object) -> list[tuple[Any, ...]]:
    db = Path(env["PROMPTCOMPAT_HOME"]) / "promptcompat.db"
    if not db.exists():
        return []
    connection = sqlite3.connect(db, timeout=30)
    try:
        return connection.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # the schema is not created yet
        return []
    finally:
        connection.close()


def run_row(env: dict[str, str], run_id: str | None = None) -> dict[str, Any] | None:
    columns = "id, status, error, done_calls, total_calls, cached_calls, error_calls"
    where = "WHERE id = ?" if run_id else ""
    rows = query(
        env,
        f"SELECT {columns} FROM run {where} ORDER BY created_at",
        *([run_id] if run_id else []),
    )
    if not rows:
        return None
    return dict(zip([c.strip() for c in columns.split(",")], rows[0], strict=True))


def mid_flight(env: dict[str, str], proc: CliProcess) -> dict[str, Any]:
    """Wait until the run is running with some of its calls answered, not all."""

    def partly_done() -> dict[str, Any] | None:
        assert proc.poll() is None, proc.communicate()
        row = run_row(env)
        if row and row["status"] == "running" and 0 < row["done_calls"] < row["total_calls"]:
            return row
        return None

    row: dict[str, Any] = wait_until(partly_done, "the run to be mid-flight")
    return row


def killed_mid_flight(
    env: dict[str, str], cwd: Path, spawn_cli: Spawner
) -> tuple[CliProcess, dict[str, Any]]:
    """A run killed (SIGKILL) while its calls are mid-flight, and its row afterwards."""
    proc = spawn_cli(*RUN, env=env, cwd=cwd)
    mid_flight(env, proc)
    proc.kill()
    proc.communicate(timeout=30)
    row = run_row(env)
    assert row is not None
    return proc, row


def rendered_prompts(env: dict[str, str], run_id: str) -> int:
    sql = "SELECT count(*) FROM planned_call WHERE run_id = ? AND messages != '[]'"
    return int(query(env, sql, run_id)[0][0])


def report_json(env: dict[str, str], cwd: Path, run_id: str) -> tuple[int, dict[str, Any]]:
    done = cli("report", run_id, "--json", env=env, cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize(
    ("sig", "code", "named"),
    [(signal.SIGINT, 130, "Ctrl-C (SIGINT)"), (signal.SIGTERM, 143, "SIGTERM")],
)
def test_an_interrupted_run_is_cancelled_says_what_it_saved_and_a_rerun_resumes_from_the_cache(
    env: dict[str, str],
    tmp_path: Path,
    slow_sim: SimulatorProcess,
    sig: signal.Signals,
    code: int,
    named: str,
    spawn_cli: Spawner,
) -> None:
    proc = spawn_cli(*RUN, env=env, cwd=tmp_path)
    mid_flight(env, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)  # checked for a crash (clirun)
    assert proc.returncode == code, (out, err)
    row = run_row(env)
    assert row is not None
    run_id, done, total = row["id"], row["done_calls"], row["total_calls"]
    assert row["status"] == "cancelled", row
    assert named in row["error"]
    assert 0 < done < total
    # One line: what was interrupted, what is saved, how to resume.
    (line,) = [x for x in err.splitlines() if x.strip()]
    assert f"interrupted by {named}: run {run_id[:12]} is stored as cancelled" in line
    assert f"{done} of {total} calls saved" in line
    assert "run the same command again to resume" in line
    # Its rendered prompts (personal data the stored calls have redacted) are gone with it.
    assert rendered_prompts(env, run_id) == 0

    status, report = report_json(env, tmp_path, run_id)
    assert status == 2 and report["exit_code"] == 2 and report["verdict"] == "ERROR"
    assert report["run"]["status"] == "cancelled"
    assert report["comparisons"] and not any(c["holds"] for c in report["comparisons"])
    calls = report["run"]["calls"]
    assert calls["done"] == calls["sent"] == done and calls["from_cache"] == 0
    if sig != signal.SIGINT:
        return  # the resume below reads the store the same way whichever signal cancelled it

    # Resume: the same command again pays only for what the first one did not save.
    saved_ok = done - row["error_calls"]
    before = slow_sim.stats()["requests"]
    slow_sim.set_latency(0)  # nothing to catch mid-flight any more
    again = cli(*RUN, "--json-out", str(tmp_path / "again.json"), env=env, cwd=tmp_path)
    assert again.returncode in (0, 1), again.stderr
    rerun = json.loads((tmp_path / "again.json").read_text())
    assert rerun["run"]["status"] == "completed"
    assert rerun["run"]["calls"]["from_cache"] == saved_ok
    assert slow_sim.stats()["requests"] - before == total - saved_ok


def test_a_killed_run_is_found_by_the_next_command_and_never_reports_a_pass(
    env: dict[str, str],
    tmp_path: Path,
    spawn_cli: Spawner,
) -> None:
    proc, row = killed_mid_flight(env, tmp_path, spawn_cli)
    assert row["status"] == "running"  # nothing could write on SIGKILL
    run_id = row["id"]
    assert rendered_prompts(env, run_id) > 0

    listed = cli("runs", env=env, cwd=tmp_path)  # any command that opens the store
    assert listed.returncode == 0, listed.stderr
    after = run_row(env, run_id)
    assert after is not None and after["status"] == "failed", after
    gone = f"owner process {proc.pid} on host {socket.gethostname()} is gone"
    assert after["error"] == gone
    assert gone in listed.stderr and "Traceback" not in listed.stderr
    assert rendered_prompts(env, run_id) == 0

    status, report = report_json(env, tmp_path, run_id)
    assert status == 2 and report["verdict"] == "ERROR"
    assert not any(c["holds"] for c in report["comparisons"])
    # The counters say what happened before the kill, not what was planned.
    calls = report["run"]["calls"]
    assert calls["sent"] == calls["done"] == after["done_calls"] < calls["total"]
    assert calls["provider_requests"] >= calls["sent"]
    text = cli("report", run_id, env=env, cwd=tmp_path)
    assert text.returncode == 2
    assert f"not answered: {calls['total'] - calls['done']}" in text.stdout
    assert f"sent to providers: {calls['sent']} " in text.stdout
    assert "Run status: failed, not completed: owner process" in text.stdout
    assert "Verdict: ERROR (exit code 2)" in text.stdout


def test_gc_recovers_a_killed_run_and_erases_rendered_prompts_of_runs_no_longer_live(
    env: dict[str, str],
    tmp_path: Path,
    spawn_cli: Spawner,
) -> None:
    _, killed = killed_mid_flight(env, tmp_path, spawn_cli)
    # A finished run whose rendered prompts a version before this one left behind.
    finished = cli("run", "--prompt", "prime_check", env=env, cwd=tmp_path)
    assert finished.returncode in (0, 1), finished.stderr
    (other,) = [r for (r,) in query(env, "SELECT id FROM run") if r != killed["id"]]
    db = sqlite3.connect(Path(env["PROMPTCOMPAT_HOME"]) / "promptcompat.db")
    with db:
        db.execute(
            'UPDATE planned_call SET messages = \'[["user", "call me on 555-0100"]]\' '
            "WHERE run_id = ?",
            (other,),
        )
    db.close()
    assert rendered_prompts(env, other) > 0

    done = cli("gc", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "erased the rendered prompts of" in done.stdout
    assert rendered_prompts(env, other) == 0
    assert rendered_prompts(env, killed["id"]) == 0
    recovered = run_row(env, killed["id"])
    assert recovered is not None and recovered["status"] == "failed"


def test_a_run_sharing_calls_with_a_live_run_waits_for_it_not_for_its_lease(
    env: dict[str, str],
    tmp_path: Path,
    slow_sim: SimulatorProcess,
    spawn_cli: Spawner,
) -> None:
    """Two identical runs at once: one calls, the other takes its answers as they come."""
    fast = {**env, "PROMPTCOMPAT_CONCURRENCY": "16"}  # lease_seconds stays the default 60
    # The baseline side answered (and accepted) before: the two runs share only new calls.
    warm = cli(*RUN, "--candidate-version", "v2", env=fast, cwd=tmp_path)
    assert warm.returncode in (0, 1), warm.stderr
    slow_sim.reset()
    started = time.monotonic()
    first, second = (spawn_cli(*RUN, env=fast, cwd=tmp_path) for _ in range(2))
    for proc in (first, second):
        _, err = proc.communicate(timeout=120)
        assert proc.returncode in (0, 1), err
    elapsed = time.monotonic() - started
    rows = query(fast, "SELECT status, total_calls, cached_calls, error FROM run")
    assert [r[0] for r in rows] == ["completed"] * 3, rows
    new = rows[1][1] - rows[1][2] + rows[2][1] - rows[2][2]  # made by either run
    assert new > 0 and slow_sim.stats()["requests"] == new  # each call made once
    # Waiting a whole lease (60 s) took 67 s here; waiting on the owner takes seconds.
    assert elapsed < 30, elapsed


def test_counters_count_what_happened(
    env: dict[str, str], tmp_path: Path, prompts_dir: Path, slow_sim: SimulatorProcess
) -> None:
    """A call its template refuses to render is an error, not sent; a call that fails on both
    sides is an error on both, never noise."""
    with (prompts_dir / "prime_check" / "cases.jsonl").open("a") as cases:
        cases.write(json.dumps({"id": "huge", "vars": {"n": "9" * 3000}}) + "\n")
    slow_sim.add_faults([{"status": 400, "count": 10_000}])  # every call is refused
    out = tmp_path / "r.json"
    done = cli(
        "run",
        "--prompt",
        "prime_check",
        "--json-out",
        str(out),
        env={**env, "PROMPTCOMPAT_MAX_RENDERED_CHARS": "2000"},
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    report = json.loads(out.read_text())
    errors = [f for c in report["cases"] for f in c["findings"] if f["rule"] == "call.error"]
    assert errors and all(f["status"] == "new" and not f["noise"] for f in errors)
    assert all(c["noise_cases"] == 0 for c in report["comparisons"])
    assert "(noise)" not in done.stdout
    calls = report["run"]["calls"]
    assert calls["total"] == calls["done"] == calls["errors"]  # the refused ones included
    refused = calls["total"] - calls["sent"]  # the huge case, on every side that renders it
    assert refused > 0
    assert calls["sent"] == calls["provider_requests"]  # the refused ones were not sent
    assert f"sent to providers: {calls['sent']} " in done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


class Server:
    """``promptcompat serve`` in a subprocess, its output in a file (a pipe could fill up)."""

    def __init__(self, env: dict[str, str], cwd: Path, token: str) -> None:
        self.port, self.token = free_port(), token
        self.proc = spawn(
            "serve", "--port", str(self.port), env=env, cwd=cwd, log=cwd / f"serve-{self.port}.log"
        )
        self.base = f"http://127.0.0.1:{self.port}/api/v1"

        def healthy() -> bool:
            assert self.proc.poll() is None, "serve exited"
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return False

        wait_until(healthy, "serve to answer", timeout=30)

    def get(self, path: str) -> Any:
        return http("GET", self.base + path, self.token)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return http("POST", self.base + path, self.token, body)

    def mid_flight_run(self) -> str:
        run_id: str = self.post("/runs", {"prompts": ["extract_contact"], "samples": 2})["id"]

        def partly_done() -> bool:
            run = self.get(f"/runs/{run_id}")
            return (
                run["status"] == "running"
                and 0 < run["progress"]["done"] < run["progress"]["total"]
            )

        wait_until(partly_done, "the run to be mid-flight")
        return run_id

    def stop(self, sig: signal.Signals) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)  # checked for a crash (clirun)


def test_serve_stopped_cancels_its_runs_and_killed_leaves_them_to_its_next_start(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "PROMPTCOMPAT_API_TOKEN_PEPPER": "cli-test-pepper-0123456789"}
    created = cli("token", "create", "--name", "ci", "--role", "admin", env=env, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    servers: list[Server] = []
    try:
        # SIGTERM (what Docker and systemd send): the run ends cancelled, with the reason.
        servers.append(Server(env, tmp_path, token))
        stopped = servers[-1].mid_flight_run()
        assert servers[-1].stop(signal.SIGTERM) == 0
        row = run_row(env, stopped)
        assert row is not None and row["status"] == "cancelled", row
        assert "the server stopped" in row["error"]
        assert rendered_prompts(env, stopped) == 0

        # SIGKILL: nothing can write; the next start finds the run and ends it.
        servers.append(Server(env, tmp_path, token))
        killed_server = servers[-1]
        killed = killed_server.mid_flight_run()
        killed_server.stop(signal.SIGKILL)
        row = run_row(env, killed)
        assert row is not None and row["status"] == "running"
        servers.append(Server(env, tmp_path, token))
        run = servers[-1].get(f"/runs/{killed}")
        gone = f"owner process {killed_server.proc.pid} on host {socket.gethostname()} is gone"
        assert (run["status"], run["error"]) == ("failed", gone)
        report = servers[-1].get(f"/runs/{killed}/report")
        assert report["exit_code"] == 2 and not any(c["holds"] for c in report["comparisons"])
        assert rendered_prompts(env, killed) == 0
    finally:
        for server in servers:
            if server.proc.poll() is None:
                server.stop(signal.SIGTERM)
