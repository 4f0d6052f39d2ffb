"""The FastAPI app: the JSON API under ``/api/v1`` and the review pages under ``/ui``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse

from api import problems
from api.deps import AppState
from api.limits import BodyLimitMiddleware
from api.metrics import Metrics, MetricsMiddleware
from api.pages import router as pages_router
from api.routes import admin, catalog, health, reports, review, runs, store
from api.routes import releases as releases_routes
from promptcompat import store as core_store
from promptcompat.config import Settings, get_settings
from promptcompat.runs.background import BackgroundRuns

API_PREFIX = "/api/v1"
SHUTDOWN_GRACE_SECONDS = 10.0
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app over the store of ``settings`` (default: the environment's settings)."""
    settings = settings or get_settings()
    engine = core_store.open_engine(settings.resolved_database_url())
    metrics = Metrics()
    background = BackgroundRuns(engine=engine, settings=settings)
    metrics.track_active(lambda: len(background.active()))
    state = AppState(
        settings=settings,
        engine=engine,
        background=background,
        metrics=metrics,
        publisher=_publisher(settings),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        background.shutdown(SHUTDOWN_GRACE_SECONDS)
        engine.dispose()

    docs = settings.environment != "prod"
    app = FastAPI(
        title="promptcompat",
        summary="Does this prompt still work on that model? Runs, reports, diffs and reviews.",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs" if docs else None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.pc = state
    problems.install(app)
    for module in (runs, reports, review, store, catalog, admin, health):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(releases_routes.router, prefix=API_PREFIX)  # model-release watcher
    app.include_router(pages_router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/runs", status_code=303)

    if settings.api_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics, prefix=API_PREFIX)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _publisher(settings: Settings) -> Any | None:
    if settings.api_executor != "queue":
        return None
    from worker.app import make_app
    from worker.publisher import CeleryPublisher

    return CeleryPublisher(make_app(settings), settings)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The schema, with every operation's error answers documented as problem details."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = problems.Problem.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    components.update(components["Problem"].pop("$defs", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            parameters = operation.get("parameters", [])
            errors = problems.openapi_responses(
                secured=bool(operation.get("security")),
                path_params=any(p.get("in") == "path" for p in parameters),
                body="requestBody" in operation,
                writes=method in ("post", "put", "patch", "delete"),
            )
            if path.endswith("/ready"):
                errors["503"] = {
                    "description": "The database is unreachable or not migrated.",
                    "content": {problems.PROBLEM_JSON: {"schema": _PROBLEM_REF}},
                }
            operation.setdefault("responses", {}).update(errors)
    app.openapi_schema = schema
    return schema
