"""Fixtures for the API: a real app over a real SQLite store, runs replayed on the simulator.

One run is replayed once per session into a template database (``seeded``); each test gets
its own copy of that file, so tests that accept or reject cases never see each other.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from api import create_app
from promptcompat import store, tokens
from promptcompat.config import Settings
from promptcompat.runs import RunRequest, run_suite
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.suite import load_suite

EXAMPLE_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
PEPPER = "test-pepper-for-the-api-suite"
ROLES = ("viewer", "reviewer", "admin")
KEYS = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test"}


@dataclass(frozen=True)
class Seeded:
    db: Path
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
        **extra,
    }
    return Settings(**values)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory, simulator: SimulatorProcess) -> Seeded:
    root = tmp_path_factory.mktemp("api-seed")
    prompts = root / "prompts"
    shutil.copytree(EXAMPLE_PROMPTS, prompts)
    settings = make_settings(root / "home", prompts, simulator)
    engine = store.open_engine(settings.resolved_database_url())
    with pytest.MonkeyPatch.context() as mp:
        for name, value in KEYS.items():
            mp.setenv(name, value)
        run_id, _ = run_suite(
            engine=engine,
            suite=load_suite(prompts),
            request=RunRequest(prompts=("extract_contact",)),
            settings=settings,
        )
    plain: dict[str, str] = {}
    with store.session_scope(engine) as session:
        for role in ROLES:
            _, plain[role] = tokens.create_token(
                session=session, name=f"{role}-1", role=role, pepper=PEPPER
            )
    with engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    db = root / "home" / "promptcompat.db"
    return Seeded(db=db, prompts=prompts, run_id=run_id, tokens=plain)


@pytest.fixture
def api_settings(
    tmp_path: Path, seeded: Seeded, sim: SimulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings over a private copy of the seeded store; targets go to the simulator."""
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(seeded.db, home / "promptcompat.db")
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
