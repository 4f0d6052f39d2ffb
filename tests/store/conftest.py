"""The store's tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from pgcluster import BACKENDS, Backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    backend: Backend = request.param
    return backend
