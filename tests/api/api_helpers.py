"""Helpers for the API tests (imported by name: pytest puts this directory on sys.path)."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

FINISHED = ("completed", "completed_with_errors", "failed", "cancelled")


def wait_for_run(
    client: TestClient, run_id: str, headers: dict[str, str], *, timeout: float = 60.0
) -> dict[str, Any]:
    """Poll the run until it has finished (or fail at the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = client.get(f"/api/v1/runs/{run_id}", headers=headers).json()
        if run["status"] in FINISHED:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run['status']} after {timeout}s")
        time.sleep(0.05)


def first_case(
    client: TestClient, run_id: str, headers: dict[str, str], **filters: str
) -> dict[str, Any]:
    page = client.get(
        f"/api/v1/runs/{run_id}/cases", params={**filters, "limit": 1}, headers=headers
    )
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    assert items, f"no case matches {filters}"
    return items[0]
