"""The review pages: server-rendered Jinja2, no JavaScript, same core calls as the JSON API.

A browser signs in by pasting its API token once; the token then travels in an HttpOnly,
SameSite=Strict cookie, and every form carries a CSRF field bound to the token. No form counts
unless the browser says our own page sent it (``same_origin_only``): the sign-in form has no
token to bind a field to, and SameSite does not stop another site's form from setting the
cookie (login CSRF). Outputs are only ever escaped into the page, never rendered as templates.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import SessionDep, StateDep
from api.highlight import pairs
from api.routes.review import review_act
from api.schemas import MAX_PAGE_SIZE
from promptcompat import store
from promptcompat.errors import (
    ForbiddenError,
    PromptCompatError,
    StoreUnavailableError,
    UnauthenticatedError,
)
from promptcompat.report import results
from promptcompat.snapshots import decisions as review
from promptcompat.snapshots import marks
from promptcompat.store.api_tokens import Principal, authenticate
from promptcompat.store.tables.core import TERMINAL_STATUSES
from promptcompat.store.tables.judging import VerdictMark

from .problems import status_for

log = logging.getLogger("api.pages")
COOKIE = "promptcompat_token"
_HERE = Path(__file__).parent
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin_only(request: Request) -> None:
    """Refuse a state-changing request that another site made the browser send.

    Go's ``net/http.CrossOriginProtection`` (1.25), the OWASP Fetch Metadata defence: a browser
    says in ``Sec-Fetch-Site`` where a request comes from (every major one since 2023); only
    ``same-origin`` (our page) or ``none`` (the user's own navigation) may change state. Older
    browsers send ``Origin`` with every cross-origin POST: its host must be ours. A request with
    neither is not a browser's (curl, a script); it rides on no victim's cookie. No token and
    no state, so it covers the sign-in form, which has no session a token could be bound to.
    """
    if request.method in _SAFE_METHODS:
        return
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site in ("same-origin", "none"):
            return
        raise ForbiddenError(f"a form sent from another site ({site}) is not accepted here")
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        raise ForbiddenError(f"a form sent from another site ({origin}) is not accepted here")


router = APIRouter(prefix="/ui", include_in_schema=False, dependencies=[Depends(same_origin_only)])
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
PAGE_SIZE = 100


def _pepper(state: Any) -> str:
    return str(state.settings.api_token_pepper.get_secret_value())


def csrf_token(principal: Principal, pepper: str) -> str:
    """A form field only a page served to this token's holder can know."""
    return hmac.new(
        pepper.encode(), f"csrf|{principal.token_id}".encode(), hashlib.sha256
    ).hexdigest()


def _viewer(request: Request, state: Any, session: Any) -> Principal | None:
    return authenticate(session=session, token=request.cookies.get(COOKIE), pepper=_pepper(state))


def _render(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/ui/login?next={quote(target)}", status_code=303)


def _error(request: Request, exc: PromptCompatError, principal: Principal | None) -> HTMLResponse:
    message = str(exc)
    if isinstance(exc, StoreUnavailableError):
        # As the API says it (api/problems.py): which server and why stay in the log.
        log.warning("%s %s: %s", request.method, request.url.path, exc)
        message = "the store is temporarily unavailable; retry in a few seconds"
    response = _render(
        request,
        "error.html",
        {"principal": principal, "status": status_for(exc), "message": message},
        status=status_for(exc),
    )
    if isinstance(exc, StoreUnavailableError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.get("/static/review.css")
def stylesheet() -> Response:
    css = (_HERE / "templates" / "review.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/ui/runs") -> HTMLResponse:
    return _render(request, "login.html", {"principal": None, "next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse, response_model=None)
def login(
    request: Request,
    state: StateDep,
    session: SessionDep,
    token: Annotated[str, Form(max_length=300)],
    next: Annotated[str, Form(max_length=500)] = "/ui/runs",
) -> Response:
    principal = authenticate(session=session, token=token.strip(), pepper=_pepper(state))
    if principal is None:
        return _render(
            request,
            "login.html",
            {"principal": None, "next": _safe_next(next), "error": "That token is not valid."},
            status=401,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=state.settings.environment == "prod",
        path="/ui",
        max_age=8 * 3600,
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui")
    return response


def _safe_next(value: str) -> str:
    # Only our own pages: no open redirect to another site (//evil.example, /\evil...).
    if value.startswith("/ui/") and not value.startswith(("//", "/\\")) and "\\" not in value:
        return value
    return "/ui/runs"


@router.get("", response_model=None)
@router.get("/", response_model=None)
def index() -> RedirectResponse:
    return RedirectResponse("/ui/runs", status_code=303)


@router.get("/runs", response_class=HTMLResponse, response_model=None)
def runs_page(
    request: Request,
    state: StateDep,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    principal = _viewer(request, state, session)
    if principal is None:
        return _to_login(request)
    try:
        page = results.list_runs(session=session, limit=50, cursor=cursor)
    except PromptCompatError as exc:
        return _error(request, exc, principal)
    return _render(request, "runs.html", {"principal": principal, "page": page})


@router.get("/runs/{run_id}", response_class=HTMLResponse, response_model=None)
def run_page(
    request: Request,
    run_id: str,
    state: StateDep,
    session: SessionDep,
    verdict: Annotated[str | None, Query(max_length=20)] = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    review_state: Annotated[str | None, Query(alias="review", max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    principal = _viewer(request, state, session)
    if principal is None:
        return _to_login(request)
    filters = {"verdict": verdict or None, "rule": rule or None, "review": review_state or None}
    try:
        run = store.get_run(session=session, run_id=run_id)
        report = results.run_report(session=session, run_id=run.id)
        cases = results.case_page(
            session=session,
            run_id=run.id,
            limit=min(PAGE_SIZE, MAX_PAGE_SIZE),
            cursor=cursor,
            **filters,
        )
        counts = results.review_counts(session=session, run_id=run.id)
    except PromptCompatError as exc:
        return _error(request, exc, principal)
    return _render(
        request,
        "run.html",
        {
            "principal": principal,
            "run": run,
            "report": report,
            "cases": cases,
            "counts": counts,
            "filters": filters,
            "running": run.status not in (*TERMINAL_STATUSES, "cancelled"),
        },
    )


@router.get(
    "/runs/{run_id}/cases/{case_result_id}", response_class=HTMLResponse, response_model=None
)
def case_page(
    request: Request,
    run_id: str,
    case_result_id: str,
    state: StateDep,
    session: SessionDep,
    message: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    principal = _viewer(request, state, session)
    if principal is None:
        return _to_login(request)
    try:
        detail = results.case_detail(session=session, run_id=run_id, case_result_id=case_result_id)
        mark = marks.mark_of(session=session, case_result_id=detail["id"])
    except PromptCompatError as exc:
        return _error(request, exc, principal)
    return _case(request, principal, detail, _pepper(state), message=message, mark=mark)


def _case(
    request: Request,
    principal: Principal,
    detail: dict[str, Any],
    pepper: str,
    *,
    message: str | None = None,
    status: int = 200,
    mark: VerdictMark | None = None,
) -> HTMLResponse:
    can_decide = principal.may("reviewer") and (
        detail["pending"] or (detail["review"] or {}).get("decision") == "rejected"
    )
    return _render(
        request,
        "case.html",
        {
            "principal": principal,
            "case": detail,
            "pairs": pairs(detail["samples"]),
            "can_decide": can_decide,
            "csrf": csrf_token(principal, pepper),
            "message": message,
            "mark": mark,
            "label": marks.label_of(mark.right_verdict) if mark is not None else None,
            "right_verdicts": [v for v in marks.RIGHT_VERDICTS if v != detail["verdict"]],
            "can_mark": principal.may("reviewer") and detail["verdict"] != "ERROR",
            "judge": detail["structural_diff"].get("judge"),
            "key_facts": _key_facts(detail["structural_diff"]),
        },
        status=status,
    )


_KEY_FACT_ANSWER = {"equivalent": "conveyed", "different": "missing", "undecided": "undecided"}
"""The judge's verdict on a key fact (``compat.judge``: a key fact is the pair's baseline)."""


def _key_facts(structural_diff: dict[str, Any]) -> list[dict[str, Any]]:
    """The key facts the fact diff left undecided, each with the judge's answer (None: no
    judge asked), from the case's coverage and ``judge_facts``."""
    coverage = structural_diff.get("coverage") or {}
    answers = structural_diff.get("judge_facts") or {}
    out: list[dict[str, Any]] = []
    for statement in coverage.get("undecided_facts") or ():
        found = answers.get(statement)
        out.append(
            {
                "statement": statement,
                "judge": found,
                "answer": _KEY_FACT_ANSWER.get(found.get("verdict", ""), "undecided")
                if found
                else None,
            }
        )
    return out


@router.post("/runs/{run_id}/cases/{case_result_id}/decision", response_model=None)
def decide(
    request: Request,
    run_id: str,
    case_result_id: str,
    state: StateDep,
    session: SessionDep,
    action: Annotated[str, Form(pattern=r"^(accept|reject)$")],
    csrf: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    decide_one = review.accept if action == "accept" else review.reject
    done = "accepted" if action == "accept" else "rejected"
    return _review_form(
        request,
        state,
        session,
        decide_one,
        run_id=run_id,
        case_result_id=case_result_id,
        csrf=csrf,
        reason=reason,
        may_not="accept or reject",
        message=done,
        counted=done,
    )


@router.post("/runs/{run_id}/cases/{case_result_id}/verdict", response_model=None)
def mark_verdict(
    request: Request,
    run_id: str,
    case_result_id: str,
    state: StateDep,
    session: SessionDep,
    right_verdict: Annotated[str, Form(pattern=r"^(COMPATIBLE|CHANGED|BREAKING)$")],
    csrf: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _review_form(
        request,
        state,
        session,
        partial(marks.mark_wrong, right_verdict=right_verdict),  # type: ignore[arg-type]  # the Form pattern
        run_id=run_id,
        case_result_id=case_result_id,
        csrf=csrf,
        reason=reason,
        may_not="mark verdicts",
        message="verdict+marked",
    )


def _review_form(
    request: Request,
    state: StateDep,
    session: SessionDep,
    act: Callable[..., object],
    *,
    run_id: str,
    case_result_id: str,
    csrf: str,
    reason: str,
    may_not: str,
    message: str,
    counted: str | None = None,
) -> Response:
    """A review form's post: the signed-in reviewer's ``act`` on the case (the form's CSRF
    token checked), then back to the case page with ``message``; ``counted`` is the
    decisions metric's label, when the act is a decision."""
    principal = _viewer(request, state, session)
    if principal is None:
        return _error(request, UnauthenticatedError("sign in again"), None)
    try:
        if not hmac.compare_digest(csrf, csrf_token(principal, _pepper(state))):
            raise ForbiddenError("the form is stale or not ours; reload the page")
        if not principal.may("reviewer"):
            raise ForbiddenError(f"the {principal.role} role may not {may_not}")
        # The redirect names the run by its full id; review_act's own lookup of it is then
        # the session's (no second query).
        run = store.get_run(session=session, run_id=run_id)
        review_act(
            act,
            session=session,
            run_id=run.id,
            case_result_id=case_result_id,
            reviewer=principal.name,
            reason=reason.strip(),
        )
    except PromptCompatError as exc:
        session.rollback()
        return _error(request, exc, principal)
    if counted is not None:
        state.metrics.decisions.labels(counted).inc()
    return RedirectResponse(
        f"/ui/runs/{run.id}/cases/{case_result_id}?message={message}", status_code=303
    )
