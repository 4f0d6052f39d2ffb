"""Fixtures for the release watcher: its own simulator (tests add models and move aliases,
which other suites must not see), a watched copy of the example suite, a loopback webhook
receiver, and the Redis/Celery fixtures of ``tests/worker/conftest.py`` (imported, not copied).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from promptcompat.simulator.process import SimulatorProcess

WORKER_TESTS = Path(__file__).resolve().parents[1] / "worker"
sys.path.insert(0, str(WORKER_TESTS))
_spec = importlib.util.spec_from_file_location("worker_conftest", WORKER_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
_worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_worker)

start_redis = _worker.start_redis
redis_server = _worker.redis_server
dist_env = _worker.dist_env
dist_settings = _worker.dist_settings
dist_engine = _worker.dist_engine
celery_worker = _worker.celery_worker
TEST_TIMINGS = _worker.TEST_TIMINGS

from receiver import Receiver  # noqa: E402  (after the path above)
from watch_helpers import CASES  # noqa: E402

WATCH = "watch: [gpt-sim-*]\n"
EXAMPLE_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture(scope="package")
def simulator() -> Iterator[SimulatorProcess]:
    """This package's simulator: models released here stay here."""
    with SimulatorProcess() as sim:
        yield sim


@pytest.fixture
def slow_sim(sim: SimulatorProcess) -> SimulatorProcess:
    """The worker fixtures' simulator, here without latency (release runs are small)."""
    return sim


@pytest.fixture
def prompts_dir(tmp_path: Path) -> Path:
    """The example ``extract_contact`` watching ``gpt-sim-*``, and a copy of it pinned to the
    alias ``gpt-sim-latest`` (``alias_contact``); the other example prompts are left out."""
    target = tmp_path / "prompts"
    shutil.copytree(EXAMPLE_PROMPTS / "extract_contact", target / "extract_contact")
    lock = json.loads((EXAMPLE_PROMPTS / "prompts.lock").read_text())
    (target / "prompts.lock").write_text(json.dumps({"extract_contact": lock["extract_contact"]}))
    # Four cases are enough to tell a run happened, and keep every release run short.
    cases = target / "extract_contact" / "cases.jsonl"
    cases.write_text("".join(cases.read_text().splitlines(keepends=True)[:CASES]))
    yaml_path = target / "extract_contact" / "prompt.yaml"
    yaml_path.write_text(yaml_path.read_text() + WATCH)
    alias = target / "alias_contact"
    shutil.copytree(target / "extract_contact", alias)
    text = (alias / "prompt.yaml").read_text().replace(WATCH, "")
    text = text.replace("pinned: openai:gpt-sim-2024-05-13", "pinned: openai:gpt-sim-latest")
    (alias / "prompt.yaml").write_text(text)
    return target


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server
