"""``GET /releases`` pages like every other list: ``items`` and ``next_cursor``."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.watch import releases


def test_release_events_are_listed_a_page_at_a_time(
    client: TestClient, auth: dict[str, dict[str, str]], api_settings: Settings, run_id: str
) -> None:
    engine: Engine = store.open_engine(api_settings.resolved_database_url())
    models = [f"gpt-sim-2026-0{i}-01" for i in range(1, 6)]
    with store.session_scope(engine) as session:
        for model in models:
            releases.record_event(
                session=session, kind="release", account="openai", model_id=model, source="cli"
            )
    engine.dispose()
    viewer = auth["viewer"]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/releases", params=params, headers=viewer)
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= 2
        seen += [e["model"] for e in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == models[::-1] and pages == 3  # newest first, each event once
    for params in ({"cursor": "!!"}, {"limit": 0}, {"limit": 501}):
        bad = client.get("/api/v1/releases", params=params, headers=viewer)
        assert bad.status_code == 422, params
    # Another list's cursor is refused, not read as a position in this one.
    cases = client.get(f"/api/v1/runs/{run_id}/cases", params={"limit": 1}, headers=viewer)
    foreign = cases.json()["next_cursor"]
    assert foreign is not None
    bad_kind = client.get("/api/v1/releases", params={"cursor": foreign}, headers=viewer)
    assert bad_kind.status_code == 422 and bad_kind.json()["where"] == "cursor"
