"""Tokens and settings (admin), and who the caller is."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import AdminDep, SessionDep, StateDep, ViewerDep
from api.schemas import HexId, Principal, TokenCreate, TokenCreated, TokenPublic
from promptcompat.store import api_tokens as tokens

router = APIRouter(tags=["admin"])


@router.get("/me", response_model=Principal)
def me(principal: ViewerDep) -> Principal:
    """Get the caller's name, role and project."""
    return Principal(
        name=principal.name,
        role=principal.role,
        token_id=principal.token_id,
        project=principal.project,
    )


@router.post("/tokens", status_code=201, response_model=TokenCreated)
def create_token(
    body: TokenCreate, principal: AdminDep, session: SessionDep, state: StateDep
) -> TokenCreated:
    """Create an API token; the token is in this answer only."""
    row, plaintext = tokens.create_token(
        session=session,
        name=body.name,
        role=body.role,
        pepper=state.settings.api_token_pepper.get_secret_value(),
        created_by=principal.name,
    )
    session.commit()
    public = TokenPublic.model_validate(row, from_attributes=True)
    return TokenCreated(**public.model_dump(), token=plaintext)


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(_: AdminDep, session: SessionDep) -> list[TokenPublic]:
    """List live tokens (never the tokens themselves)."""
    return [
        TokenPublic.model_validate(t, from_attributes=True)
        for t in tokens.list_tokens(session=session)
    ]


@router.delete("/tokens/{token_id}", response_model=TokenPublic)
def revoke_token(
    token_id: Annotated[HexId, Path(description="The token's id.")],
    principal: AdminDep,
    session: SessionDep,
) -> TokenPublic:
    """Revoke a token; it stops working at once."""
    row = tokens.revoke_token(session=session, token_id=token_id, actor=principal.name)
    session.commit()
    return TokenPublic.model_validate(row, from_attributes=True)


@router.get("/settings", response_model=dict[str, Any])
def settings(_: AdminDep, state: StateDep) -> dict[str, Any]:
    """Get the server's settings (secrets and credentials left out)."""
    hidden = {"api_token_pepper", "database_url", "redis_url"}
    return state.settings.model_dump(mode="json", exclude=hidden)
