"""Fixtures for the privacy tests: a suite seeded with personal data, settings, a store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from promptcompat import store
from promptcompat.config import Settings, get_settings
from promptcompat.simulator.process import SimulatorProcess

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_suite


@pytest.fixture
def privacy_prompts(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "suite")


@pytest.fixture
def privacy_settings(
    tmp_path: Path,
    privacy_prompts: Path,
    sim: SimulatorProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    monkeypatch.setenv("PROMPTCOMPAT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PROMPTCOMPAT_PROMPTS_DIR", str(privacy_prompts))
    monkeypatch.setenv("PROMPTCOMPAT_OPENAI_BASE_URL", sim.openai_base_url)
    monkeypatch.setenv("PROMPTCOMPAT_ANTHROPIC_BASE_URL", sim.anthropic_base_url)
    monkeypatch.setenv("PROMPTCOMPAT_BACKOFF_BASE", "0.05")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def privacy_engine(privacy_settings: Settings) -> Engine:
    return store.open_engine(privacy_settings.resolved_database_url())
