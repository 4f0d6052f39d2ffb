"""A run that fails for a reason outside the request (here a full disk) reports it over HTTP
as one safe line: no SQL, no parameters; the full exception goes to the server's log."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from api_helpers import wait_for_run
from fastapi.testclient import TestClient
from pgcluster import Backend

from api import create_app
from promptcompat.config import Settings


@pytest.fixture
def backend() -> Backend:
    # A full disk under an SQLite store: the store is a file on the small disk. (PostgreSQL's
    # unavailability is tests/api/test_api_store_unavailable.py.)
    return "sqlite"


def test_a_run_failed_by_the_store_reports_a_safe_one_line_error(
    api_settings: Settings,
    small_disk: Callable[[int], Path],
    auth: dict[str, dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The seeded store on a disk with 2.5 MB to spare: room for the run's plan, not for
    # the answers to its 864 calls.
    seeded = api_settings.home / "promptcompat.db"
    spare_kb = 2560
    home = small_disk(seeded.stat().st_size // 1024 + spare_kb) / "home"
    home.mkdir()
    shutil.copyfile(seeded, home / "promptcompat.db")
    settings = api_settings.model_copy(update={"home": home})
    admin = auth["admin"]
    body = {"prompts": ["extract_contact"], "samples": 12}

    with (
        caplog.at_level(logging.ERROR),
        TestClient(create_app(settings)) as client,
    ):
        answer = client.post("/api/v1/runs", json=body, headers=admin)
        assert answer.status_code == 202, answer.text
        run = wait_for_run(client, answer.json()["id"], admin)

    assert run["status"] == "failed"
    assert run["error"] == "the store failed: database or disk is full"
    crashed = [r for r in caplog.records if r.exc_info and "crashed" in r.getMessage()]
    assert crashed, "the full exception is logged on the server"
    assert "sqlite3.OperationalError: database or disk is full" in caplog.text
