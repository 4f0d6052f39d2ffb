"""Fixtures of the pull-request tests: a git repository with the example suite and its accepted
snapshots committed on ``main``, copied per test and checked out on a ``pr`` branch."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from inline import run_inline
from pr_helpers import cli_env, commit, git, sim_settings

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.runs import RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.snapshots import sync as snapshot_sync
from promptcompat.suite import load_suite

REPO = Path(__file__).resolve().parents[2]
BASELINE_PROMPTS = ("extract_contact", "write_function")


@pytest.fixture(scope="session")
def base_repo(tmp_path_factory: pytest.TempPathFactory, simulator: SimulatorProcess) -> Path:
    """``main``: the example suite, then the accepted baselines of two prompts as snapshots/
    (made by a real run on the simulator and ``snapshots export``)."""
    if shutil.which("git") is None:
        pytest.fail("git is needed for the pull-request tests")
    root = tmp_path_factory.mktemp("pr-base")
    repo = root / "repo"
    shutil.copytree(REPO / "prompts", repo / "prompts")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "the example suite")
    settings = sim_settings(home=root / "home", prompts=repo / "prompts", sim=simulator)
    engine = store.open_engine(settings.resolved_database_url())
    suite = load_suite(repo / "prompts")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", "sk-test")
        run_inline(
            engine=engine,
            suite=suite,
            request=RunRequest(prompts=BASELINE_PROMPTS),
            settings=settings,
        )
    with store.session_scope(engine) as session:
        written = snapshot_sync.export(
            session=session, root=repo / "snapshots", suite=suite
        ).written
    assert len(written) == len(BASELINE_PROMPTS)
    engine.dispose()
    commit(repo, "accepted baselines")
    return repo


@pytest.fixture
def repo(base_repo: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the repository on a new ``pr`` branch."""
    copy = tmp_path / "repo"
    shutil.copytree(base_repo, copy, symlinks=True)
    git(copy, "checkout", "-q", "-b", "pr")
    yield copy


@pytest.fixture
def env(repo: Path, tmp_path: Path, sim: SimulatorProcess) -> dict[str, str]:
    """CLI environment with a fresh store (as on a CI runner) pointing at the simulator."""
    return cli_env(home=tmp_path / "home", prompts=repo / "prompts", sim=sim)


@pytest.fixture
def settings_here(
    repo: Path, tmp_path: Path, sim: SimulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """In-process settings with a fresh store (as on a CI runner) on the simulator."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.delenv("CI", raising=False)
    return sim_settings(home=tmp_path / "home", prompts=repo / "prompts", sim=sim)
