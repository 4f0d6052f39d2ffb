"""Prompts and targets known to the suite and the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import SessionDep, StateDep, ViewerDep
from api.schemas import Name, PromptPublic, TargetPublic
from promptcompat.report import browse as catalog

router = APIRouter(tags=["prompts"])


@router.get("/prompts", response_model=list[PromptPublic])
def list_prompts(_: ViewerDep, session: SessionDep, state: StateDep) -> list[PromptPublic]:
    """List the suite's prompts with their versions and which ones were replayed."""
    return [
        PromptPublic.model_validate(p)
        for p in catalog.list_prompts(session=session, suite=state.suite())
    ]


@router.get("/prompts/{name}", response_model=PromptPublic)
def get_prompt(
    name: Annotated[Name, Path(description="The prompt's name.")],
    _: ViewerDep,
    session: SessionDep,
    state: StateDep,
) -> PromptPublic:
    """Get one prompt: mode, deployed version, targets, versions."""
    return PromptPublic.model_validate(
        catalog.get_prompt(session=session, suite=state.suite(), name=name)
    )


@router.get("/targets", response_model=list[TargetPublic])
def list_targets(_: ViewerDep, session: SessionDep, state: StateDep) -> list[TargetPublic]:
    """List targets the suite declares or the store has called."""
    return [
        TargetPublic.model_validate(t)
        for t in catalog.list_targets(session=session, suite=state.suite())
    ]
