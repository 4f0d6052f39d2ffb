"""The store's tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pgcluster import BACKENDS, Backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    backend: Backend = request.param
    return backend


@pytest.fixture
def db_url(empty_database: Callable[[], str]) -> str:
    """The URL of an empty store (no schema) of this test's backend."""
    return empty_database()
