"""Snapshots (recorded calls and their outputs) and accepted baselines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import DEFAULT_LIMIT, CursorQuery, LimitQuery, SessionDep, ViewerDep
from api.schemas import (
    BaselinePublic,
    BaselinesPublic,
    Name,
    SnapshotDetail,
    SnapshotPublic,
    SnapshotsPublic,
    ToolCallPublic,
)
from promptcompat.report import browse as catalog
from promptcompat.suite.turns import call_json, read_turn

router = APIRouter(tags=["snapshots"])
TargetQuery = Annotated[str | None, Query(max_length=1000, description="A target label.")]
CaseQuery = Annotated[str | None, Query(max_length=200, description="A case id.")]


@router.get("/snapshots", response_model=SnapshotsPublic)
def list_snapshots(
    _: ViewerDep,
    session: SessionDep,
    prompt: Annotated[Name | None, Query()] = None,
    version: Annotated[Name | None, Query()] = None,
    target: TargetQuery = None,
    case_id: CaseQuery = None,
    status: Annotated[str | None, Query(pattern=r"^(ok|error)$")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> SnapshotsPublic:
    """List recorded calls (snapshots), newest first."""
    page = catalog.list_snapshots(
        session=session,
        limit=limit,
        cursor=cursor,
        prompt=prompt,
        version=version,
        target=target,
        case_id=case_id,
        status=status,
    )
    return SnapshotsPublic(
        items=[SnapshotPublic.model_validate(c, from_attributes=True) for c in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/snapshots/{cache_key}", response_model=SnapshotDetail)
def get_snapshot(
    cache_key: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The cache key.")],
    _: ViewerDep,
    session: SessionDep,
) -> SnapshotDetail:
    """Get one snapshot: the request as sent, the output and its metadata."""
    call, snapshot = catalog.get_snapshot(session=session, key=cache_key)
    public = SnapshotPublic.model_validate(call, from_attributes=True)
    turn = read_turn(snapshot.text, snapshot.kind) if snapshot is not None else None
    return SnapshotDetail(
        **public.model_dump(),
        request=call.request,
        text=turn.text if turn is not None else None,
        error_message=call.error_message,
        tool_calls=[
            ToolCallPublic.model_validate(call_json(c)) for c in (turn.tool_calls if turn else ())
        ],
        refusal=turn.refusal if turn is not None else None,
    )


@router.get("/baselines", response_model=BaselinesPublic)
def list_baselines(
    _: ViewerDep,
    session: SessionDep,
    prompt: Annotated[Name | None, Query()] = None,
    version: Annotated[Name | None, Query()] = None,
    target: TargetQuery = None,
    case_id: CaseQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> BaselinesPublic:
    """List accepted baselines, with who accepted each and when."""
    page = catalog.list_baselines(
        session=session,
        limit=limit,
        cursor=cursor,
        prompt=prompt,
        version=version,
        target=target,
        case_id=case_id,
    )
    return BaselinesPublic(
        items=[BaselinePublic.model_validate(b, from_attributes=True) for b in page.items],
        next_cursor=page.next_cursor,
    )
