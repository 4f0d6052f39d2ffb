"""Runs: submit, list, read with live progress, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from api.deps import (
    DEFAULT_LIMIT,
    AdminDep,
    CursorQuery,
    LimitQuery,
    ProjectDep,
    SessionDep,
    StateDep,
    ViewerDep,
)
from api.schemas import Progress, RunCreate, RunIdOrPrefix, RunPublic, RunsPublic
from promptcompat import store
from promptcompat.report import results
from promptcompat.runs import RunRequest
from promptcompat.runs.background import cancel_run
from promptcompat.runs.submission import submit
from promptcompat.store.tables.core import Run

router = APIRouter(prefix="/runs", tags=["runs"])
RunIdPath = Annotated[RunIdOrPrefix, Path(description="A run id or a unique prefix of one.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        pattern=r"^[A-Za-z0-9_.:\-]{8,200}$",
        description="A client-chosen key: submitting again with it returns the same run.",
    ),
]


def run_public(run: Run, request: Request) -> RunPublic:
    total = run.total_calls
    base = str(request.url_for("get_run", run_id=run.id).path)
    return RunPublic(
        id=run.id,
        status=run.status,
        executor=run.executor,
        created_at=run.created_at,
        finished_at=run.finished_at,
        request=run.spec.request.model_dump(mode="json"),
        comparisons=len(run.spec.comparisons),
        progress=Progress(
            total=total,
            done=run.done_calls,
            from_cache=run.cached_calls,
            errors=run.error_calls,
            provider_requests=run.provider_calls,
            fraction=min(1.0, run.done_calls / total) if total else 1.0,
        ),
        error=run.error,
        links={
            "self": base,
            "report": f"{base}/report",
            "matrix": f"{base}/matrix",
            "findings": f"{base}/findings",
            "cases": f"{base}/cases",
            "review_page": f"/ui/runs/{run.id}",
        },
    )


@router.post("", status_code=202, response_model=RunPublic)
def create_run(
    body: RunCreate,
    principal: AdminDep,
    project: ProjectDep,
    state: StateDep,
    session: SessionDep,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RunPublic:
    """Submit a run: it is planned and stored, then executed in the background."""
    settings = state.settings.model_copy(update={"project": project})  # the run's project
    submitted = submit(
        engine=state.engine,
        suite=state.suite(),
        request=RunRequest(
            prompts=tuple(body.prompts),
            baseline=body.baseline,
            candidate=body.candidate,
            candidate_version=body.candidate_version,
            samples=body.samples,
        ),
        settings=settings,
        starter=state.starter(settings),
        actor=principal.name,
        cases=body.cases,
        mode=body.mode,
        idempotency_key=idempotency_key,
        allowed_base_urls=settings.api_allowed_base_urls,
        server_key_base_urls=settings.api_server_key_base_urls,
    )
    if submitted.created:
        state.metrics.runs_submitted.labels(submitted.executor).inc()
    run = store.get_run(session=session, run_id=submitted.run_id)
    public = run_public(run, request)
    response.headers["Location"] = public.links["self"]
    return public


@router.get("", response_model=RunsPublic)
def list_runs(
    _: ViewerDep,
    session: SessionDep,
    request: Request,
    status: Annotated[
        str | None, Query(pattern=r"^[a-z_]{1,40}$", description="Only runs in this status.")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> RunsPublic:
    """List runs, newest first."""
    page = results.list_runs(session=session, limit=limit, cursor=cursor, status=status)
    return RunsPublic(
        items=[run_public(r, request) for r in page.items], next_cursor=page.next_cursor
    )


@router.get("/{run_id}", response_model=RunPublic)
def get_run(run_id: RunIdPath, _: ViewerDep, session: SessionDep, request: Request) -> RunPublic:
    """Get a run with its live progress."""
    return run_public(store.get_run(session=session, run_id=run_id), request)


@router.post("/{run_id}/cancel", response_model=RunPublic)
def cancel(
    run_id: RunIdPath, principal: AdminDep, session: SessionDep, request: Request
) -> RunPublic:
    """Cancel a pending or running run."""
    run = cancel_run(session=session, run_id=run_id, actor=principal.name)
    session.commit()
    return run_public(run, request)
