"""Dependencies: the app's state, a store session, the caller and the role check, in one place.

Every route that needs a role declares ``ViewerDep``, ``ReviewerDep`` or ``AdminDep``; no route
checks a token or a role itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from api.metrics import Metrics
from api.schemas import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Cursor
from promptcompat.config import Settings
from promptcompat.errors import ForbiddenError, UnauthenticatedError
from promptcompat.runs import BackgroundStarter, QueueStarter, RunStarter
from promptcompat.runs.background import BackgroundRuns
from promptcompat.store.api_tokens import Principal, authenticate
from promptcompat.store.tables.review import Role
from promptcompat.suite import Suite, load_suite


@dataclass
class AppState:
    """What the app holds for its lifetime (``app.state.pc``)."""

    settings: Settings
    engine: Engine
    background: BackgroundRuns
    metrics: Metrics
    publisher: Any | None = None
    """The Celery publisher when ``api_executor`` is ``queue``."""

    def suite(self) -> Suite:
        """The prompt suite as it is on disk now."""
        return load_suite(self.settings.prompts_dir)

    def starter(self, settings: Settings | None = None) -> RunStarter:
        """How this app starts runs: on the Celery workers when ``api_executor`` is
        ``queue``, else on background threads. ``settings``: a request's own (its project)."""
        settings = settings or self.settings
        if self.publisher is not None:
            return QueueStarter(self.engine, settings, self.publisher)
        return BackgroundStarter(self.engine, settings, self.background)


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.pc
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """A store session; routes that write commit explicitly, anything else is rolled back."""
    with Session(state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token from `promptcompat token create --role viewer|reviewer|admin`.",
)


def get_principal(
    request: Request,
    state: StateDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller named by the bearer token; 401 without a live token."""
    token = credentials.credentials if credentials is not None else None
    principal = authenticate(
        session=session, token=token, pepper=state.settings.api_token_pepper.get_secret_value()
    )
    if principal is None:
        raise UnauthenticatedError(
            "a valid API token is required (Authorization: Bearer <token>)"
            if token
            else "missing API token (Authorization: Bearer <token>)"
        )
    request.state.principal = principal
    return principal


def require(role: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets through callers whose role includes ``role`` (403 otherwise)."""

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.may(role):
            raise ForbiddenError(f"the {principal.role} role may not do this; it needs {role}")
        return principal

    return check


def get_project(principal: Annotated[Principal, Depends(get_principal)]) -> str:
    """The caller's project. Authenticating bound the request's session to it
    (promptcompat/store/projects.py): every query sees only its rows, so another project's ids
    answer 404 on every route; routes that start work pass it on (runs are created in it)."""
    return principal.project


ProjectDep = Annotated[str, Depends(get_project)]
ViewerDep = Annotated[Principal, Depends(require("viewer"))]
ReviewerDep = Annotated[Principal, Depends(require("reviewer"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]

LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size (at most {MAX_PAGE_SIZE}).")
]
CursorQuery = Annotated[Cursor | None, Query(description="The `next_cursor` of the previous page.")]
DEFAULT_LIMIT = DEFAULT_PAGE_SIZE
