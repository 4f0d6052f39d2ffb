"""Shared fixtures: a real SQLite store per test, the real simulator, the example suite."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from promptcompat import store
from promptcompat.config import Settings, get_settings
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.suite import Suite, load_suite

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PROMPTS = REPO / "prompts"


@pytest.fixture(scope="session")
def simulator() -> Iterator[SimulatorProcess]:
    with SimulatorProcess() as sim:
        yield sim


@pytest.fixture
def sim(simulator: SimulatorProcess) -> SimulatorProcess:
    """The shared simulator with faults and counters reset for this test."""
    simulator.reset()
    return simulator


@pytest.fixture
def prompts_dir(tmp_path: Path) -> Path:
    """A private copy of the example suite, safe to edit."""
    target = tmp_path / "prompts"
    shutil.copytree(EXAMPLE_PROMPTS, target)
    return target


@pytest.fixture
def settings(
    tmp_path: Path, prompts_dir: Path, sim: SimulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings pointing at a fresh home, the copied suite and the simulator."""
    monkeypatch.setenv("PROMPTCOMPAT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PROMPTCOMPAT_PROMPTS_DIR", str(prompts_dir))
    monkeypatch.setenv("PROMPTCOMPAT_OPENAI_BASE_URL", sim.openai_base_url)
    monkeypatch.setenv("PROMPTCOMPAT_ANTHROPIC_BASE_URL", sim.anthropic_base_url)
    monkeypatch.setenv("PROMPTCOMPAT_BACKOFF_BASE", "0.05")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    get_settings.cache_clear()
    yield_settings = get_settings()
    return yield_settings


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return store.open_engine(settings.resolved_database_url())


@pytest.fixture
def suite(prompts_dir: Path) -> Suite:
    return load_suite(prompts_dir)


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    yield
    get_settings.cache_clear()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """``small_disk(kilobytes)`` mounts a real filesystem that small (tmpfs) and returns it:
    writes past it fail with ENOSPC, exactly as on a full disk, for every file written there.

    Mounting needs root; CI runs the tests as root (elsewhere the test is skipped, saying so).
    """
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs the tests as root)")
    mounted: list[Path] = []

    def mount(kilobytes: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        size = f"size={kilobytes}k"
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(point)], check=True, timeout=30
        )
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False, timeout=30)
