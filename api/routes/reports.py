"""Reports: a run's summary, its matrix, findings by rule, case results and one case's diff."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic_core import to_json

from api.deps import DEFAULT_LIMIT, CursorQuery, LimitQuery, SessionDep, ViewerDep
from api.problems import PROBLEM_JSON
from api.routes.runs import RunIdPath
from api.schemas import (
    CaseDiffPublic,
    CaseQuery,
    CaseRef,
    CaseResultsPublic,
    FindingsByRule,
    MatrixPublic,
    Name,
    ReportSummary,
    ReviewCounts,
    ReviewState,
    Verdict,
    as_json,
)
from promptcompat.report import results

router = APIRouter(prefix="/runs/{run_id}", tags=["reports"])
CasePath = Annotated[
    CaseRef,
    Path(
        description="A case id from the suite (narrowed by `prompt`, `version`, `target` when "
        "it is in several comparisons), or a case result id from the case list."
    ),
]
CaseQueryDep = Annotated[CaseQuery, Query()]


def resolve_case(
    _: ViewerDep, session: SessionDep, run_id: RunIdPath, case: CasePath, where: CaseQueryDep
) -> str:
    """The case result id the path names (404 for none, 409 listing them for several).

    It needs a token first: an anonymous caller learns nothing of which cases exist."""
    return results.resolve_case(
        session=session,
        run_id=run_id,
        case=case,
        prompt=where.prompt,
        version=where.version,
        target=where.target,
    )


CaseResultDep = Annotated[str, Depends(resolve_case)]
AMBIGUOUS_CASE: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The case id is in several comparisons: `matches` lists them.",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}
_SUMMARY_KEYS = ("format", "run", "verdict", "exit_code", "comparisons")


@router.get("/report", response_model=ReportSummary)
def report_summary(run_id: RunIdPath, _: ViewerDep, session: SessionDep) -> Response:
    """Get a run's report summary: verdict, counts per comparison, usage, review state."""
    report = results.run_report(session=session, run_id=run_id)
    counts = results.review_counts(session=session, run_id=report.run.id, report=report)
    summary = ReportSummary(
        format=report.format,
        run=report.run,
        verdict=report.verdict,
        exit_code=report.exit_code,
        comparisons=report.comparisons,
        review=ReviewCounts(**counts),
        prompts=report.prompts,
        extra={
            k: v
            for k, v in report.to_json(cases=False).items()
            if k not in (*_SUMMARY_KEYS, "matrix", "findings_by_rule", "prompts")
        },
    )
    return as_json(summary)


@router.get("/matrix", response_model=MatrixPublic)
def matrix(run_id: RunIdPath, _: ViewerDep, session: SessionDep) -> Response:
    """Get a run's compatibility matrix: per prompt, versions x targets, directions that hold."""
    report = results.run_report(session=session, run_id=run_id)
    return as_json(MatrixPublic(run_id=report.run.id, matrix=report.matrix))


@router.get("/findings", response_model=FindingsByRule)
def findings_by_rule(run_id: RunIdPath, _: ViewerDep, session: SessionDep) -> FindingsByRule:
    """Get a run's findings grouped by rule, with the cases each rule fired in."""
    report = results.run_report(session=session, run_id=run_id)
    return FindingsByRule(run_id=report.run.id, rules=report.findings_by_rule)


@router.get("/cases", response_model=CaseResultsPublic)
def list_cases(
    run_id: RunIdPath,
    _: ViewerDep,
    session: SessionDep,
    verdict: Annotated[Verdict | None, Query(description="Only this verdict.")] = None,
    rule: Annotated[Name | None, Query(description="Only cases where this rule fired.")] = None,
    prompt: Annotated[Name | None, Query(description="Only this prompt.")] = None,
    version: Annotated[
        Name | None, Query(description="Only comparisons with this version on either side.")
    ] = None,
    review: Annotated[ReviewState | None, Query(description="Only in this review state.")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    """List a run's case results in report order, filtered, a page at a time."""
    page = results.case_page(
        session=session,
        run_id=run_id,
        limit=limit,
        cursor=cursor,
        verdict=verdict,
        rule=rule,
        prompt=prompt,
        version=version,
        review=review,
    )
    # The hottest read: rows built by ``results`` in exactly the shape of ``CaseResultsPublic``
    # (the schema tests hold them to it), serialized without validating them a second time.
    body = to_json({"items": page.items, "next_cursor": page.next_cursor})
    return Response(body, media_type="application/json")


@router.get("/cases/{case}", response_model=CaseDiffPublic, responses=AMBIGUOUS_CASE)
def get_case(
    run_id: RunIdPath, case_result_id: CaseResultDep, _: ViewerDep, session: SessionDep
) -> CaseDiffPublic:
    """Get one case in full: requests, every sample of both sides, diffs, findings, decision."""
    return CaseDiffPublic.model_validate(
        results.case_detail(session=session, run_id=run_id, case_result_id=case_result_id)
    )
