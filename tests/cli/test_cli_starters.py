"""The command line starts its runs through the run starters: what each recorded in the store.

``run`` and ``demo`` execute inline; ``run --queue`` writes a queue run before publishing it,
so a broker that is down leaves a complete ``pending`` run for ``reconcile``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from clirun import cli
from sqlmodel import col, select

from promptcompat import store
from promptcompat.store.tables.core import Run


@pytest.fixture
def env(tmp_path: Path, prompts_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    return {
        **base,
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
        "COLUMNS": "200",
    }


def stored_runs(home: Path) -> list[Run]:
    engine = store.open_engine(f"sqlite:///{home / 'promptcompat.db'}")
    try:
        with store.session_scope(engine) as session:
            return list(session.exec(select(Run).order_by(col(Run.created_at))).all())
    finally:
        engine.dispose()


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_executes_its_run_inline(env: dict[str, str], tmp_path: Path) -> None:
    done = cli(
        "run",
        "--simulator",
        "--prompt",
        "prime_check",
        "--candidate-version",
        "v2",
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [run] = stored_runs(tmp_path / "home")
    assert run.spec.execution == "inline" and run.executor == "embedded"
    assert run.status == "completed" and run.spec.queue is None
    assert run.spec.request.prompts == ("prime_check",)
    assert run.spec.request.candidate_version == "v2"


def test_run_queue_with_the_broker_down_stores_a_pending_queue_run(
    env: dict[str, str], tmp_path: Path
) -> None:
    broker = f"redis://127.0.0.1:{closed_port()}/0"
    done = cli(
        "run",
        "--queue",
        "--prompt",
        "prime_check",
        env={**env, "PROMPTCOMPAT_REDIS_URL": broker, "PROMPTCOMPAT_QUEUE": "q-starters"},
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    [run] = stored_runs(tmp_path / "home")
    assert f"run {run.id} is saved as pending" in " ".join(done.stderr.split())
    assert run.status == "pending" and run.executor == "queue"
    assert run.spec.execution == "queue" and run.spec.queue == "q-starters"
    assert run.owner_pid is None  # a queue run belongs to no process
