"""Liveness, readiness and Prometheus metrics (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import StateDep
from api.schemas import Health, Readiness
from promptcompat import store
from promptcompat.errors import StoreError

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """Answer if the process is alive."""
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"description": "The database is unreachable or not migrated."}},
)
def ready(state: StateDep) -> Readiness:
    """Answer if the store is reachable and migrated, so requests can be served."""
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise StoreError("the database is unreachable") from None
    revision = store.schema_revision(state.engine)
    if revision != store.SCHEMA_REVISION:
        raise StoreError(f"the database is at revision {revision}, not {store.SCHEMA_REVISION}")
    return Readiness(
        status="ready",
        database=state.engine.dialect.name,
        schema_revision=revision,
        executor=state.settings.api_executor,
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(state: StateDep) -> Response:
    """Get Prometheus metrics in the text exposition format."""
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4")
