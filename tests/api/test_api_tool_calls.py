"""Tool calls over HTTP (issue 17): the case API gives them as structure (name, arguments as
JSON), the review page shows them with pretty arguments, the changed argument highlighted."""

from __future__ import annotations

from fastapi.testclient import TestClient
from inline import run_inline
from sqlmodel import select

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.runs import RunRequest
from promptcompat.store.tables.core import CaseResult
from promptcompat.suite import load_suite


def test_a_renamed_argument_is_structure_in_the_api_and_a_highlighted_word_on_the_page(
    client: TestClient, auth: dict[str, dict[str, str]], api_settings: Settings
) -> None:
    engine = store.open_engine(api_settings.resolved_database_url())
    run_id, _ = run_inline(
        engine=engine,
        suite=load_suite(api_settings.prompts_dir),
        request=RunRequest(prompts=("plan_trip",)),
        settings=api_settings,
    )
    with store.session_scope(engine) as session:
        case_id, loop_id = (
            session.exec(
                select(CaseResult.id).where(
                    CaseResult.run_id == run_id,
                    CaseResult.case_id == case,
                    CaseResult.direction == "FORWARD",
                )
            ).one()
            for case in ("vienna-prague-budapest", "paris-loop")
        )
    engine.dispose()

    body = client.get(f"/api/v1/runs/{run_id}/cases/{case_id}", headers=auth["viewer"]).json()
    base, cand = body["samples"]["baseline"][0], body["samples"]["candidate"][0]
    assert base["tool_calls"][0]["name"] == "get_weather"
    assert base["tool_calls"][0]["arguments"] == {"city": "Vienna", "unit": "celsius"}
    assert cand["tool_calls"][0]["arguments"] == {"city_name": "Vienna", "unit": "celsius"}
    assert cand["text"] == "" and cand["refusal"] is None
    assert cand["shown"].startswith('tool call get_weather {\n  "city_name": "Vienna",')

    snapshot = client.get(f"/api/v1/snapshots/{cand['cache_key']}", headers=auth["viewer"])
    assert snapshot.status_code == 200
    assert snapshot.json()["tool_calls"] == cand["tool_calls"]
    assert snapshot.json()["text"] == "" and snapshot.json()["request"]["tools"]

    token = auth["viewer"]["Authorization"].removeprefix("Bearer ")
    client.post("/ui/login", data={"token": token, "next": "/ui/runs"}, follow_redirects=False)
    page = client.get(f"/ui/runs/{run_id}/cases/{case_id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "tool call get_weather {" in html and "\\&#34;" not in html and '\\"' not in html
    assert '<ins class="chg">city_name</ins>' in html

    # An agent loop over the project-bound API: its steps (calls no run links) are there, and
    # the loops part at step 1, where the new model renamed the argument.
    body = client.get(f"/api/v1/runs/{run_id}/cases/{loop_id}", headers=auth["viewer"]).json()
    assert body["trajectory"] == {"first_divergence": 0}
    steps = body["samples"]["candidate"][0]["steps"]
    assert [s["status"] for s in steps] == ["ok", "ok"]
    assert steps[0]["tool_calls"][0]["arguments"] == {"city_name": "Paris", "unit": "celsius"}
    assert any(f["message"].startswith("step 1 of the agent loop") for f in body["findings"])
    page = client.get(f"/ui/runs/{run_id}/cases/{loop_id}").text
    assert "the trajectories part at <strong>step 1</strong>" in page and "[step 2]" in page
