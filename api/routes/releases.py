"""Model releases: announce one (admin), list the events and the runs they started, and the
retirements drawing near. The watcher records the same events from the providers' model lists;
an announcement and a sighting of the same model are one event."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import col, select

from api.deps import (
    DEFAULT_LIMIT,
    AdminDep,
    CursorQuery,
    LimitQuery,
    SessionDep,
    StateDep,
    ViewerDep,
)
from promptcompat.errors import ConfigError
from promptcompat.store import audit, session_scope
from promptcompat.store.tables.watch import ReleaseEvent, ReleaseRun
from promptcompat.suite.retirements import deprecation_warnings
from promptcompat.suite.targets import parse_target
from promptcompat.watch import releases
from promptcompat.watch.config import check_model_id, watched_prompts
from promptcompat.watch.notify import links

router = APIRouter(prefix="/releases", tags=["releases"])

AccountName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][^\s]{0,299}$")]
ModelId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/@\-]{0,199}$")]


class ReleaseAnnounce(BaseModel):
    """A model a provider released (for providers without a model list, or a release feed)."""

    model_config = ConfigDict(extra="forbid")

    account: AccountName = Field(
        description="The provider account as the watcher names it: `openai`, `anthropic`, "
        "`openai-compatible@<base_url>`, `<provider>#<API key variable>`."
    )
    model: ModelId = Field(description="The new model id, e.g. `gpt-4o-2025-01-31`.")


class ReleaseRunPublic(BaseModel):
    run_id: str | None
    baseline: str
    candidate: str
    prompts: list[str]
    error: str | None
    notified_at: datetime | None
    links: dict[str, str]


class ReleasePublic(BaseModel):
    event_id: int
    kind: str
    account: str
    model: str
    source: str
    created_at: datetime
    detail: dict[str, Any]
    created: bool | None = None
    """On an announcement: False when the release was known already (nothing new started)."""
    runs: list[ReleaseRunPublic]


class ReleasesPublic(BaseModel):
    items: list[ReleasePublic]
    next_cursor: str | None


class DeprecationWarning(BaseModel):
    prompt: str
    target: str
    retires: str
    days_left: int
    successor: str
    message: str


def _public(state: Any, event: ReleaseEvent, rows: list[ReleaseRun]) -> ReleasePublic:
    assert event.id is not None
    return ReleasePublic(
        event_id=event.id,
        kind=event.kind,
        account=event.account,
        model=event.model_id,
        source=event.source,
        created_at=event.created_at,
        detail=event.detail,
        runs=[
            ReleaseRunPublic(
                run_id=r.run_id,
                baseline=parse_target(r.baseline).label,
                candidate=parse_target(r.candidate).label,
                prompts=r.prompts,
                error=r.error,
                notified_at=r.notified_at,
                links=links(state.settings, r.run_id) if r.run_id else {},
            )
            for r in rows
        ],
    )


@router.post(
    "",
    status_code=202,
    response_model=ReleasePublic,
    responses={200: {"model": ReleasePublic, "description": "Known already: its runs, unchanged."}},
)
def announce_release(
    body: ReleaseAnnounce, principal: AdminDep, state: StateDep, response: Response
) -> ReleasePublic:
    """Announce a model release: replay the prompts watching its family (once per release)."""
    model = check_model_id(body.model, where="model")
    suite = state.suite()
    known = sorted({w.account.name for w in watched_prompts(suite, state.settings)})
    if body.account not in known:
        raise ConfigError(
            f"no prompt is pinned to account {body.account!r}; known: {', '.join(known)}",
            where="account",
        )
    recorded = releases.announce(
        engine=state.engine,
        suite=suite,
        settings=state.settings,
        starter=state.starter(),
        account=body.account,
        model_id=model,
        source=f"api:{principal.name}",
    )
    with session_scope(state.engine) as session:
        if recorded.created:
            audit.record(
                session=session,
                actor=principal.name,
                action="release.announce",
                subject=str(recorded.event_id),
                detail={"account": body.account, "model": model, "runs": recorded.runs},
            )
        event = session.get(ReleaseEvent, recorded.event_id)
        rows = list(
            session.exec(select(ReleaseRun).where(ReleaseRun.event_id == recorded.event_id)).all()
        )
    assert event is not None
    if not recorded.created:
        response.status_code = 200
    public = _public(state, event, rows)
    public.created = recorded.created
    return public


@router.get("", response_model=ReleasesPublic)
def list_releases(
    _: ViewerDep,
    state: StateDep,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> ReleasesPublic:
    """List release events (new models, alias drift, retirements) and their runs, newest first."""
    page = releases.events(session=session, limit=limit, cursor=cursor)
    ids = [e.id for e in page.items]
    rows = session.exec(select(ReleaseRun).where(col(ReleaseRun.event_id).in_(ids))).all()
    by_event: dict[int, list[ReleaseRun]] = {}
    for row in rows:
        by_event.setdefault(row.event_id, []).append(row)
    return ReleasesPublic(
        items=[_public(state, e, by_event.get(e.id or 0, [])) for e in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/deprecations", response_model=list[DeprecationWarning])
def list_deprecations(_: ViewerDep, state: StateDep) -> list[DeprecationWarning]:
    """List prompts pinned to targets that retire within the lead time."""
    return [
        DeprecationWarning.model_validate(w)
        for w in deprecation_warnings(state.suite(), state.settings)
    ]
