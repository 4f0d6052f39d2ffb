"""Shared fixtures: a real store per test, the real simulator, the example suite.

The store is SQLite unless a suite runs on both databases: tests/store, tests/api and
tests/worker override ``backend`` with ``params=BACKENDS``, so each of their tests that
touches the store runs on SQLite and on PostgreSQL (one throwaway cluster per session, a
database of its own per test). Under ``CI=true`` a missing PostgreSQL fails those tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clirun import Spawner
from pgcluster import Backend, PostgresCluster
from sqlalchemy import Engine

from promptcompat import store
from promptcompat.config import Settings, get_settings
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.suite import Suite, load_suite

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PROMPTS = REPO / "prompts"

# The tests that press Ctrl-C on a command need it to reach the command. A test run started as
# a background job of a shell without job control (`(scripts/test &)`) inherits SIGINT
# ignored, and so did every command it started: they ran to the end and five interrupt tests
# failed. A handled signal is reset to the default in a child, an ignored one is not.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


# The longest files first (measured: seconds of one worker each, a full run on two cores).
# scripts/test hands whole files to two workers in collection order (--no-loadscope-reorder;
# xdist's own order, by number of tests, put these few-but-slow files last, and one worker
# finished them alone while the other idled).
SLOW_FIRST = (
    "tests/worker/test_reliability.py",  # ~130 s
    "tests/cli/test_cli_interrupts.py",  # ~75 s
    "tests/worker/test_distributed.py",  # ~60 s
    "tests/api/test_api_schema.py",  # ~45 s
    "tests/pr/test_drafts.py",  # ~45 s
    "tests/worker/test_run_lifecycle.py",  # ~40 s
    "tests/compat/real/test_real_corpus_verdicts.py",  # ~35 s
    "tests/cli/test_cli_errors.py",  # ~35 s
    "tests/pr/test_snapshot_files_untrusted.py",  # ~35 s
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    # A stable sort: the order within a file, and of the other files, is kept.
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


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
def backend() -> Backend:
    """The database of this test's store: SQLite, unless the suite parametrizes it."""
    return "sqlite"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """The session's PostgreSQL server (initdb + start: about 2 s), started on first use."""
    cluster = PostgresCluster()
    try:
        yield cluster.start()
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def migrated_template(postgres_cluster: PostgresCluster) -> str:
    """A database at the newest schema that each test's database is copied from: a copy
    takes about 0.1 s, migrating an empty database about 1 s."""
    name = postgres_cluster.create_database(prefix="migrated")
    store.open_engine(postgres_cluster.url(name)).dispose()
    postgres_cluster.mark_template(name)
    return name


@pytest.fixture
def postgres_database(request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """Factory: ``postgres_database(template)`` is the URL of a new database copied from
    ``template``; all are dropped at teardown. The cluster starts only if a test calls it."""
    made: list[tuple[PostgresCluster, str]] = []

    def make(template: str) -> str:
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        made.append((cluster, cluster.create_database(template=template)))
        return cluster.url(made[-1][1])

    yield make
    for cluster, name in made:
        cluster.drop_database(name)


@pytest.fixture
def empty_database(
    backend: Backend, tmp_path: Path, postgres_database: Callable[[str], str]
) -> Callable[[], str]:
    """Factory: the URL of a new database of ``backend`` with no schema at all."""
    made: list[str] = []

    def make() -> str:
        if backend == "postgresql":
            return postgres_database("template1")
        made.append(f"sqlite:///{tmp_path / f'empty{len(made)}' / 'promptcompat.db'}")
        return made[-1]

    return make


@pytest.fixture
def database_url(
    backend: Backend,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    postgres_database: Callable[[str], str],
) -> str:
    """This test's own store, with no data: on SQLite a file in the test's home that opening
    creates and migrates, on PostgreSQL a copy of the migrated template."""
    if backend == "postgresql":
        return postgres_database(request.getfixturevalue("migrated_template"))
    return f"sqlite:///{tmp_path / 'home' / 'promptcompat.db'}"


@pytest.fixture
def settings(
    tmp_path: Path,
    prompts_dir: Path,
    sim: SimulatorProcess,
    monkeypatch: pytest.MonkeyPatch,
    backend: Backend,
    database_url: str,
) -> Settings:
    """Settings pointing at a fresh home, the copied suite and the simulator."""
    monkeypatch.setenv("PROMPTCOMPAT_HOME", str(tmp_path / "home"))
    if backend == "sqlite":  # the home's default store
        monkeypatch.delenv("PROMPTCOMPAT_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("PROMPTCOMPAT_DATABASE_URL", database_url)
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
def engine(settings: Settings) -> Iterator[Engine]:
    engine = store.open_engine(settings.resolved_database_url())
    yield engine
    engine.dispose()


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


@pytest.fixture
def spawn_cli() -> Iterator[Spawner]:
    """``spawn_cli(*args, env=..., cwd=...)``: ``promptcompat`` started in a subprocess
    (``clirun.spawn``), checked for a crash when it ends, killed at teardown if a failed test
    left it running."""
    spawner = Spawner()
    yield spawner
    spawner.end_all()
