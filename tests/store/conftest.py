"""Fixtures of the store tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The URL of an empty store: SQLite per test (a PostgreSQL variant parametrizes it)."""
    return f"sqlite:///{tmp_path / 'store.db'}"
