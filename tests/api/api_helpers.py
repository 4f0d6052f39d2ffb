"""Helpers for the API tests (imported by name: pytest puts this directory on sys.path)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
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


@contextmanager
def serve_in_thread(app: FastAPI, **config: Any) -> Iterator[str]:
    """``app`` served by a real uvicorn on a free loopback port, in a thread of this process;
    yields its base URL. ``config``: further ``uvicorn.Config`` arguments."""
    options: dict[str, Any] = {"log_level": "warning", "lifespan": "on", **config}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, **options))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
