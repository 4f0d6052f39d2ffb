"""Every error answer is one shape: problem details (RFC 9457), ``application/problem+json``.

The exception tree of ``promptcompat.errors`` maps to statuses here and only here; request
validation errors and Starlette's own HTTP errors (unknown route, wrong method) take the same
shape, and anything unexpected becomes a 500 that names nothing internal.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from promptcompat import errors
from promptcompat.report.results import AmbiguousCaseError
from promptcompat.runs import IdempotencyConflictError

log = logging.getLogger("api")
PROBLEM_JSON = "application/problem+json"
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

STATUS_BY_ERROR: tuple[tuple[type[errors.PromptCompatError], int], ...] = (
    (errors.UnauthenticatedError, 401),
    (errors.ForbiddenError, 403),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (IdempotencyConflictError, 409),
    (errors.SuiteError, 409),  # the server's suite does not allow it (e.g. an edited version)
    (errors.LimitError, 422),
    (errors.ConfigError, 422),
    (errors.TemplateError, 422),
    (errors.ProviderError, 502),
    (errors.StoreError, 503),
    (errors.PromptCompatError, 400),
)
"""First match wins: subclasses before their bases."""


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where: body, query, path or header, then names.")
    msg: str
    type: str


class CaseMatch(BaseModel):
    """A case result an ambiguous case id names."""

    case_result_id: str = Field(description="Names this case result alone.")
    prompt: str
    direction: str
    baseline_version: str
    baseline_target: str
    candidate_version: str
    candidate_target: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="The HTTP status phrase.")
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="What went wrong, for a person.")
    instance: str | None = Field(default=None, description="The request path.")
    where: str | None = Field(default=None, description="The field, case or target at fault.")
    errors: list[FieldError] | None = Field(
        default=None, description="Per-field errors of a request that failed validation."
    )
    matches: list[CaseMatch] | None = Field(
        default=None,
        description="A case id in several comparisons of a run (409): the case results it "
        "names; ask again by one's `case_result_id`, or narrow by prompt, version or target.",
    )


def status_for(exc: errors.PromptCompatError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return 400  # pragma: no cover - PromptCompatError is last in the table


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    where: str | None = None,
    field_errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    matches: list[CaseMatch] | None = None,
) -> JSONResponse:
    phrase = HTTPStatus(status).phrase
    slug = phrase.lower().replace(" ", "-").replace("'", "")
    body = Problem(
        type=f"urn:promptcompat:problem:{slug}",
        title=phrase,
        status=status,
        detail=detail,
        instance=instance,
        where=where,
        errors=field_errors,
        matches=matches,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def _promptcompat_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.PromptCompatError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": 'Bearer realm="promptcompat"'} if status == 401 else None
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, errors.StoreUnavailableError):
        # The database is restarting or down: the client learns when to retry; which server
        # and why stay in the log above.
        return problem_response(
            status,
            "the store is temporarily unavailable; retry after the Retry-After delay",
            instance=request.url.path,
            headers={"Retry-After": str(exc.retry_after)},
        )
    return problem_response(
        status, exc.message, instance=request.url.path, where=exc.where, headers=headers
    )


async def _ambiguous_case(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AmbiguousCaseError)
    return problem_response(
        status_for(exc),
        exc.message,
        instance=request.url.path,
        where=exc.where,
        matches=[CaseMatch.model_validate(asdict(m)) for m in exc.matches],
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The offending input is left out: it may be a secret or huge.
    field_errors = [
        FieldError(
            loc=[p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            msg=str(e.get("msg", "")),
            type=str(e.get("type", "")),
        )
        for e in exc.errors()
    ]
    first = field_errors[0] if field_errors else None
    detail = f"{'.'.join(map(str, first.loc))}: {first.msg}" if first else "the request is invalid"
    return problem_response(
        422, detail, instance=request.url.path, field_errors=field_errors or None
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    return problem_response(exc.status_code, detail, instance=request.url.path, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path. Starlette's 405 names the methods of the
    first route whose path matched, but ``GET /runs`` and ``POST /runs`` are two routes: each
    method is tried against the whole routing table instead."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]
    return ", ".join(allowed)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "internal error; the server log has the details")


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem-details answer."""
    app.add_exception_handler(errors.PromptCompatError, _promptcompat_error)
    app.add_exception_handler(AmbiguousCaseError, _ambiguous_case)  # with the matches
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def openapi_responses(
    *, secured: bool, path_params: bool, body: bool, writes: bool = False
) -> dict[str, Any]:
    """The error answers an operation documents, all of them problem details (``writes``: the
    operation changes state, so the object's state may refuse it)."""
    codes = {422: "The request is invalid."}
    if secured:
        codes[401] = "No valid API token."
        codes[403] = "The token's role does not allow this."
    if path_params:
        codes[404] = "No such object."
    if body or writes:
        codes[409] = "The object's state does not allow this."
    if body:
        codes[400] = "The request body cannot be read (not UTF-8 JSON)."
        codes[413] = "The request body is too large."
    ref = {"$ref": "#/components/schemas/Problem"}
    return {
        str(code): {"description": text, "content": {PROBLEM_JSON: {"schema": ref}}}
        for code, text in sorted(codes.items())
    }
