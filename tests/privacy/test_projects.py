"""Project isolation: two projects, every route of the app, each token against the other's ids.

Routes are enumerated from ``app.routes``, so a route added later is covered (or, if it takes
an id this test does not know, fails the test until it is classified here).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from inline import run_inline
from sqlmodel import select

from api import create_app
from api.pages import COOKIE, csrf_token
from api.pages import router as pages_router
from promptcompat import store
from promptcompat.config import Settings
from promptcompat.runs import RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store import api_tokens as tokens
from promptcompat.store.tables.core import Call, CaseResult, Run, RunCall
from promptcompat.store.tables.watch import ReleaseEvent, ReleaseRun
from promptcompat.suite import load_suite

EXAMPLE = Path(__file__).resolve().parents[2] / "prompts"
PEPPER = "privacy-test-pepper-0123456789"
PROJECTS = {"alpha": "extract_contact", "beta": "prime_check"}
# Path parameters that name a project's data, and the ids that fill them.
OWNED = {"run_id", "case_result_id", "case", "token_id", "cache_key"}
# Path parameters that name what every project shares (the suite on disk, the watcher).
SHARED = {"name", "event_id", "path"}
BODIES: dict[str, dict[str, Any]] = {
    "DecisionCreate": {"reason": "matrix"},
    "BulkDecisionCreate": {"action": "accept"},
}


@dataclass
class Project:
    name: str
    ids: dict[str, str]
    token: str
    principal: tokens.Principal


@pytest.fixture
def world(
    tmp_path: Path, sim: SimulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FastAPI, dict[str, Project]]]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    prompts = tmp_path / "prompts"
    shutil.copytree(EXAMPLE, prompts)
    settings = Settings(
        home=tmp_path / "home",
        prompts_dir=prompts,
        openai_base_url=sim.openai_base_url,
        anthropic_base_url=sim.anthropic_base_url,
        api_token_pepper=PEPPER,  # type: ignore[arg-type]
    )
    engine = store.open_engine(settings.resolved_database_url())
    suite = load_suite(prompts)
    world: dict[str, Project] = {}
    for name, prompt in PROJECTS.items():
        run_id, _ = run_inline(
            engine=engine,
            suite=suite,
            request=RunRequest(prompts=(prompt,)),
            settings=settings.model_copy(update={"project": name}),
        )
        with store.session_scope(engine) as session:
            row, plain = tokens.create_token(
                session=session, name=f"{name}-admin", role="admin", pepper=PEPPER, project=name
            )
            result = session.exec(select(CaseResult).where(CaseResult.run_id == run_id)).first()
            key = session.exec(select(RunCall.cache_key).where(RunCall.run_id == run_id)).first()
            assert result is not None and key is not None
            principal = tokens.authenticate(session=session, token=plain, pepper=PEPPER)
            assert principal is not None and principal.project == name
        ids = {"run_id": run_id, "case_result_id": result.id, "case": result.id}
        ids |= {"token_id": row.id, "cache_key": key}
        world[name] = Project(name, ids, plain, principal)
    with store.session_scope(engine) as session:
        # A release the watcher replayed in each project: the event is public, the runs not.
        event = ReleaseEvent(kind="release", account="openai", model_id="gpt-sim-2025-06-01")
        session.add(event)
        session.flush()
        assert event.id is not None
        for seed, project in enumerate(world.values()):
            session.add(
                ReleaseRun(
                    event_id=event.id,
                    baseline=f"openai:gpt-sim-2024-05-13?seed={seed}",
                    candidate="openai:gpt-sim-2025-06-01",
                    run_id=project.ids["run_id"],
                    prompts=[PROJECTS[project.name]],
                )
            )
    with store.session_scope(engine) as session:
        # The projects share no call: each ran its own prompt.
        assert len(set(session.exec(select(Call.cache_key)))) == len(
            session.exec(select(RunCall)).all()
        )
        assert {r.project for r in session.exec(select(Run))} == set(PROJECTS)
    engine.dispose()
    app = create_app(settings)
    yield app, world


def _routes(app: FastAPI) -> list[tuple[str, str, str | None]]:
    """(method, path, body schema name) of every API operation (from the published schema,
    so a new route is covered) and of every review page (not in the schema)."""
    found: list[tuple[str, str, str | None]] = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            found.append((method.upper(), path, ref.rsplit("/", 1)[-1] or None))
    for route in pages_router.routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD"}):
                found.append((method, route.path, None))
    return found


def _request(client: TestClient, method: str, path: str, body: str | None, who: Project) -> Any:
    headers = {"Authorization": f"Bearer {who.token}"}
    client.cookies.set(COOKIE, who.token)
    kwargs: dict[str, Any] = {"headers": headers}
    if path.startswith("/ui/") and method == "POST":
        csrf = csrf_token(who.principal, PEPPER)
        # A whole form for every page's POST (each reads the fields it knows).
        kwargs["data"] = {
            "action": "accept",
            "csrf": csrf,
            "reason": "matrix",
            "right_verdict": "BREAKING",
        }
    elif body is not None:
        kwargs["json"] = BODIES.get(body, {})
    return client.request(method, path, follow_redirects=False, **kwargs)


def test_every_route_hides_the_other_projects_data(
    world: tuple[FastAPI, dict[str, Project]],
) -> None:
    app, projects = world
    checked: list[str] = []
    with TestClient(app) as client:
        for me, other in (("alpha", "beta"), ("beta", "alpha")):
            caller, owner = projects[me], projects[other]
            for method, template, body in _routes(app):
                params = set(re.findall(r"{(\w+)(?::\w+)?}", template))
                unknown = params - OWNED - SHARED
                assert not unknown, f"classify {method} {template}: owned or shared {unknown}?"
                if not params & OWNED:
                    continue
                path = template
                for param in params & OWNED:
                    path = path.replace("{" + param + "}", owner.ids[param])
                if params & SHARED:
                    continue  # no route mixes both kinds today
                response = _request(client, method, path, body, caller)
                assert response.status_code == 404, (me, method, path, response.text[:300])
                if method == "GET":  # control: the owner reaches the same path
                    mine = _request(client, method, path, body, owner)
                    assert mine.status_code in (200, 303), (other, path, mine.text[:300])
                checked.append(f"{method} {template}")
    # Every id-taking route of the API and of the review pages was tried from both sides.
    assert len(checked) == 2 * len(set(checked)) >= 2 * 14, sorted(set(checked))
    assert any(t.startswith("GET /ui/runs/") for t in checked)
    assert "DELETE /api/v1/tokens/{token_id}" in checked


def test_listings_show_only_the_callers_project(
    world: tuple[FastAPI, dict[str, Project]],
) -> None:
    app, projects = world
    listed = 0
    with TestClient(app) as client:
        for me, other in (("alpha", "beta"), ("beta", "alpha")):
            caller, owner = projects[me], projects[other]
            for method, template, body in _routes(app):
                if method != "GET" or "{" in template:
                    continue
                response = _request(client, method, template, body, caller)
                body = response.text
                for kind, value in owner.ids.items():
                    assert value not in body, (me, template, kind)
                listed += 1
            # Control: the caller's own ids work, so the 404s above are isolation.
            own = caller.ids
            headers = {"Authorization": f"Bearer {caller.token}"}
            assert client.get(f"/api/v1/runs/{own['run_id']}", headers=headers).status_code == 200
            runs = client.get("/api/v1/runs", headers=headers).json()["items"]
            assert [r["id"] for r in runs] == [own["run_id"]]
            snap = client.get(f"/api/v1/snapshots/{own['cache_key']}", headers=headers)
            assert snap.status_code == 200
            page = client.get(f"/ui/runs/{own['run_id']}")
            assert page.status_code == 200 and own["run_id"] in page.text
            assert client.get("/api/v1/me", headers=headers).json()["project"] == me
            releases = client.get("/api/v1/releases", headers=headers).text
            assert own["run_id"] in releases and owner.ids["run_id"] not in releases
    assert listed >= 2 * 8


def test_idempotency_keys_are_per_project(tmp_path: Path) -> None:
    from promptcompat.runs import prepare_run

    prompts = tmp_path / "prompts"
    shutil.copytree(EXAMPLE, prompts)
    settings = Settings(home=tmp_path / "home", prompts_dir=prompts)
    engine = store.open_engine(settings.resolved_database_url())
    suite = load_suite(prompts)
    request = RunRequest(prompts=("prime_check",))
    ids = {}
    for project in ("alpha", "beta", "alpha"):
        prepared = prepare_run(
            engine=engine,
            suite=suite,
            request=request,
            settings=settings,
            mode="background",
            idempotency_key="client-key-0001",
            project=project,
        )
        ids.setdefault(project, prepared.run_id)
        assert prepared.run_id == ids[project]  # the same key in one project: the same run
    assert ids["alpha"] != ids["beta"]
    with store.session_scope(engine) as session:
        assert {session.get(Run, i).project for i in ids.values()} == {"alpha", "beta"}  # type: ignore[union-attr]


def test_each_project_compares_against_its_own_baselines(
    tmp_path: Path, sim: SimulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An acceptance in one project does not move the baseline of another."""
    from promptcompat.store import projects
    from promptcompat.store.tables.core import Baseline

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    prompts = tmp_path / "prompts"
    shutil.copytree(EXAMPLE, prompts)
    settings = Settings(
        home=tmp_path / "home", prompts_dir=prompts, openai_base_url=sim.openai_base_url
    )
    engine = store.open_engine(settings.resolved_database_url())
    suite = load_suite(prompts)
    request = RunRequest(prompts=("extract_contact",), candidate_version="v2")

    def run(project: str) -> dict[str, str]:
        run_id, _ = run_inline(
            engine=engine,
            suite=suite,
            request=request,
            settings=settings.model_copy(update={"project": project}),
        )
        with store.session_scope(engine) as session:
            rows = session.exec(select(CaseResult).where(CaseResult.run_id == run_id))
            return {r.case_id: r.verdict for r in rows}

    first = run("alpha")
    assert "BREAKING" in first.values()  # v2 renames a field
    # alpha accepts v2's outputs as the baseline of v1 on the pinned model (an "upgrade").
    with store.session_scope(engine) as session:
        projects.bind(session, "alpha")
        for b in session.exec(select(Baseline)).all():
            call = session.exec(
                select(Call).where(
                    Call.prompt == b.prompt,
                    Call.version == "v2",
                    Call.case_id == b.case_id,
                    Call.target == b.target,
                )
            ).one()
            store.accept_baseline(
                session=session,
                slot=store.BaselineSlot.of(b),
                call=call,
                accepted_by="alpha-reviewer",
            )
    assert set(run("alpha").values()) == {"COMPATIBLE"}  # alpha now compares v2 with v2
    assert run("beta") == first  # beta made its own baselines: v1's outputs
    with store.session_scope(engine) as session:
        by = {b.project for b in session.exec(select(Baseline))}
        assert by == {"alpha", "beta"}
