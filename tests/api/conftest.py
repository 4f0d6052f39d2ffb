"""Fixtures for the API: a real app over a real store, runs replayed on the simulator.

Every test runs on SQLite and on PostgreSQL (``backend``), but those of the modules whose
subject is HTTP rather than the store (the schema fuzz, the browser page, authentication),
which say so. One run is replayed once per session and backend into a template store
(``seeded``); each test gets its own copy of it (a copy of the SQLite file, a database
created from the PostgreSQL template), so tests that accept or reject cases never see each
other.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from inline import run_inline
from pgcluster import BACKENDS, Backend, PostgresCluster
from sqlalchemy import text

from api import create_app
from promptcompat import store
from promptcompat.config import Settings
from promptcompat.runs import RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store import api_tokens as tokens
from promptcompat.suite import load_suite

EXAMPLE_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
PEPPER = "test-pepper-for-the-api-suite"
ROLES = ("viewer", "reviewer", "admin")
KEYS = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test"}


@dataclass(frozen=True)
class Seeded:
    backend: Backend
    store: str
    """SQLite: the database file to copy; PostgreSQL: the template database to create from."""
    prompts: Path
    run_id: str
    """A finished run of extract_contact: FORWARD (new model) and BACKWARD (v2), with breaks."""
    tokens: dict[str, str]
    """Role → plaintext token."""


def make_settings(home: Path, prompts: Path, sim: SimulatorProcess, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "home": home,
        "prompts_dir": prompts,
        "openai_base_url": sim.openai_base_url,
        "anthropic_base_url": sim.anthropic_base_url,
        "backoff_base": 0.05,
        "api_token_pepper": PEPPER,
        "api_allowed_base_urls": [sim.openai_base_url],
        # The simulator wants some key; a client's base_url gets the server's only when listed.
        "api_server_key_base_urls": [sim.openai_base_url],
        "database_url": None,  # SQLite in ``home``, whatever the environment says
        **extra,
    }
    return Settings(**values)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    backend: Backend = request.param
    return backend


def seed(settings: Settings) -> tuple[str, dict[str, str]]:
    """Replay one run into the store of ``settings`` and make a token per role."""
    engine = store.open_engine(settings.resolved_database_url())
    with pytest.MonkeyPatch.context() as mp:
        for name, value in KEYS.items():
            mp.setenv(name, value)
        run_id, _ = run_inline(
            engine=engine,
            suite=load_suite(settings.prompts_dir),
            request=RunRequest(prompts=("extract_contact",)),
            settings=settings,
        )
    plain: dict[str, str] = {}
    with store.session_scope(engine) as session:
        for role in ROLES:
            _, plain[role] = tokens.create_token(
                session=session, name=f"{role}-1", role=role, pepper=PEPPER
            )
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return run_id, plain


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory, simulator: SimulatorProcess) -> Seeded:
    root = tmp_path_factory.mktemp("api-seed")
    prompts = root / "prompts"
    shutil.copytree(EXAMPLE_PROMPTS, prompts)
    run_id, plain = seed(make_settings(root / "home", prompts, simulator))
    db = root / "home" / "promptcompat.db"
    return Seeded("sqlite", str(db), prompts, run_id, plain)


@pytest.fixture(scope="session")
def seeded_postgresql(
    tmp_path_factory: pytest.TempPathFactory,
    simulator: SimulatorProcess,
    postgres_cluster: PostgresCluster,
    migrated_template: str,
) -> Seeded:
    root = tmp_path_factory.mktemp("api-seed-pg")
    prompts = root / "prompts"
    shutil.copytree(EXAMPLE_PROMPTS, prompts)
    name = postgres_cluster.create_database(template=migrated_template, prefix="seeded")
    settings = make_settings(
        root / "home", prompts, simulator, database_url=postgres_cluster.url(name)
    )
    run_id, plain = seed(settings)
    postgres_cluster.mark_template(name)
    return Seeded("postgresql", name, prompts, run_id, plain)


@pytest.fixture
def seeded(backend: Backend, request: pytest.FixtureRequest) -> Seeded:
    """The seeded store of this test's backend (seeded once per session)."""
    found: Seeded = request.getfixturevalue(f"seeded_{backend}")
    return found


@pytest.fixture
def api_settings(
    tmp_path: Path,
    seeded: Seeded,
    sim: SimulatorProcess,
    monkeypatch: pytest.MonkeyPatch,
    postgres_database: Callable[[str], str],
) -> Settings:
    """Settings over a private copy of the seeded store; targets go to the simulator."""
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "home"
    home.mkdir()
    if seeded.backend == "postgresql":
        return make_settings(
            home, seeded.prompts, sim, database_url=postgres_database(seeded.store)
        )
    shutil.copyfile(seeded.store, home / "promptcompat.db")
    return make_settings(home, seeded.prompts, sim)


@pytest.fixture
def app(api_settings: Settings) -> FastAPI:
    return create_app(api_settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def auth(seeded: Seeded) -> dict[str, dict[str, str]]:
    """Role → the Authorization header of that role's token."""
    return {role: {"Authorization": f"Bearer {t}"} for role, t in seeded.tokens.items()}


@pytest.fixture
def run_id(seeded: Seeded) -> str:
    return seeded.run_id
