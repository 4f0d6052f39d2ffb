"""Request and response schemas. Inputs (``*Create``, ``*Decide``) forbid unknown fields, so a
typo or a server-owned field (``status``, ``reviewer``) is a 422; outputs (``*Public``) carry
no secrets: no token hash, no API key, no provider headers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from promptcompat.report.model import (
    ComparisonView,
    PromptMatrix,
    PromptSummary,
    RuleSummary,
    RunView,
)
from promptcompat.store.tables.review import Role

MAX_PAGE_SIZE = 500
"""Largest ``limit`` any list endpoint accepts."""
DEFAULT_PAGE_SIZE = 50

Verdict = Literal["COMPATIBLE", "CHANGED", "BREAKING", "ERROR"]
Mode = Literal[
    "FORWARD",
    "BACKWARD",
    "FULL",
    "FORWARD_TRANSITIVE",
    "BACKWARD_TRANSITIVE",
    "FULL_TRANSITIVE",
    "NONE",
]
ReviewState = Literal["pending", "accepted", "rejected"]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")]
"""A prompt, version or rule name."""
CasePattern = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-*?\[\]]{1,200}$")]
TargetSpec = Annotated[
    str,
    StringConstraints(
        pattern=r"^(openai|anthropic|openai-compatible):[^\s?]{1,200}(\?[^\s]{0,800})?$"
    ),
]
Reason = Annotated[str, StringConstraints(max_length=2000)]
HexId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
RunIdOrPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{4,32}$")]
Cursor = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,500}$")]
CaseRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,200}$")]
"""A case result id (32 hex digits) or a case id from the suite."""


def as_json(model: BaseModel) -> Response:
    """``model`` as the JSON answer, serialized once: for the hot read endpoints, which would
    otherwise be dumped, validated again against ``response_model`` and dumped again."""
    return Response(model.model_dump_json(), media_type="application/json")


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- runs --------------------------------------------------------------------------------


class RunCreate(_Input):
    """What to replay. Without targets each prompt's own pinned and candidate targets are used."""

    prompts: list[Name] = Field(default_factory=list, max_length=100)
    """Only these prompts (default: all)."""
    candidate_version: Name | None = None
    """Check this prompt version BACKWARD on the baseline target."""
    cases: list[CasePattern] = Field(default_factory=list, max_length=200)
    """Only cases whose id matches one of these shell patterns (default: all)."""
    baseline: TargetSpec | None = None
    """Baseline target (default: each prompt's pinned target)."""
    candidate: TargetSpec | None = None
    """Candidate target (default: each prompt's candidates)."""
    samples: int = Field(default=1, ge=1, le=20)
    """Samples per case and target."""
    mode: Mode | None = None
    """Override every chosen prompt's compatibility mode for this run."""


class Progress(BaseModel):
    total: int
    done: int
    from_cache: int
    errors: int
    provider_requests: int
    fraction: float = Field(ge=0, le=1)


class RunPublic(BaseModel):
    id: str
    status: str
    executor: str
    created_at: datetime
    finished_at: datetime | None
    request: dict[str, Any]
    comparisons: int
    progress: Progress
    error: str | None
    links: dict[str, str]


class RunsPublic(BaseModel):
    items: list[RunPublic]
    next_cursor: str | None


# --- reports -----------------------------------------------------------------------------
# The report's parts are the report's own models (``promptcompat.report.model``).


class ReviewCounts(BaseModel):
    pending: int
    accepted: int
    rejected: int


class ReportSummary(BaseModel):
    """The run's report without its case list: verdict, per-comparison counts and usage."""

    format: str
    run: RunView
    verdict: str
    exit_code: int
    comparisons: list[ComparisonView]
    review: ReviewCounts
    prompts: dict[str, PromptSummary] = Field(
        default_factory=dict,
        description="Per prompt: which checks could see a change (coverage), its implicit "
        "contract, and the contract checks its baseline already fails.",
    )
    extra: dict[str, Any] = Field(
        description="Further report sections (accuracy, noise floor, fail_on...)."
    )


class MatrixPublic(BaseModel):
    """Per prompt: versions (rows) x targets (columns), and per cell which directions hold."""

    run_id: str
    matrix: dict[str, PromptMatrix]


class FindingsByRule(BaseModel):
    run_id: str
    rules: dict[str, RuleSummary]


class SidePublic(BaseModel):
    version: str
    target: str


class DecisionPublic(BaseModel):
    decision: Literal["accepted", "rejected"]
    reviewer: str
    reason: str
    decided_at: datetime


class CaseResultPublic(BaseModel):
    id: str
    run_id: str
    comparison: int
    prompt: str
    direction: str
    case_id: str
    baseline: SidePublic
    candidate: SidePublic
    verdict: str
    pending: bool
    """CHANGED or BREAKING and not decided yet."""
    review: DecisionPublic | None
    findings: list[dict[str, Any]]


class CaseQuery(BaseModel):
    """Which comparison a case id means; a case result id needs none of these."""

    prompt: Name | None = Field(default=None, description="The case's prompt.")
    version: Name | None = Field(
        default=None, description="A prompt version on either side of the comparison."
    )
    target: TargetSpec | None = Field(
        default=None,
        description="A target label on either side, e.g. `openai:gpt-4o?temperature=0`.",
    )


class CaseResultsPublic(BaseModel):
    items: list[CaseResultPublic]
    next_cursor: str | None


class ToolCallPublic(BaseModel):
    """One tool call of an answer: its arguments as JSON (the raw string only when they are
    not JSON, then ``arguments`` is null)."""

    id: str
    name: str
    arguments: Any = None
    raw_arguments: str | None = None


class StepPublic(BaseModel):
    """One step of an agent loop: the turn the model answered at that step."""

    cache_key: str
    status: str
    text: str | None = None
    tool_calls: list[ToolCallPublic] = Field(default_factory=list)
    refusal: str | None = None
    shown: str | None = None


class SamplePublic(BaseModel):
    index: int
    cache_key: str
    status: str
    text: str | None
    """The answer's text (without its tool calls)."""
    error: str | None
    tool_calls: list[ToolCallPublic] = Field(default_factory=list)
    refusal: str | None = None
    """The refusal field of a structured-output answer."""
    shown: str | None = None
    """The answer as a reviewer reads it: text, each tool call with pretty arguments."""
    steps: list[StepPublic] | None = None
    """An agent loop's trajectory, step by step (the answer above is its last turn)."""
    snapshot_hash: str | None = None
    served_model: str | None = None
    fingerprint: str | None = None
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None


class SidesSamples(BaseModel):
    baseline: list[SamplePublic]
    candidate: list[SamplePublic]


class SidesRequest(BaseModel):
    baseline: dict[str, Any] | None
    candidate: dict[str, Any] | None


class CaseDiffPublic(CaseResultPublic):
    """One case in full."""

    request: SidesRequest
    samples: SidesSamples
    text_diff: str
    structural_diff: dict[str, Any]
    trajectory: dict[str, int | None] | None = None
    """Agent loops: ``first_divergence``, the first step where the two trajectories differ."""


# --- review ------------------------------------------------------------------------------


class DecisionCreate(_Input):
    reason: Reason = ""
    """Why; recorded with the decision and in the audit log."""


class BulkDecisionCreate(_Input):
    """Decide many pending cases of a run: those listed, those where ``rule`` fired, or all."""

    action: Literal["accept", "reject"]
    reason: Reason = ""
    rule: Name | None = None
    case_result_ids: list[HexId] | None = Field(default=None, max_length=MAX_PAGE_SIZE)


class BulkDecisionPublic(BaseModel):
    decided: int
    skipped: dict[str, str]
    """Case result id → why it stayed pending."""
    decisions: list[CaseDecisionPublic]


class CaseDecisionPublic(DecisionPublic):
    case_result_id: str
    run_id: str


class VerdictMarkCreate(_Input):
    """The case's verdict is wrong: this is the right one."""

    right_verdict: Literal["COMPATIBLE", "CHANGED", "BREAKING"]
    reason: Reason = ""
    """Why; recorded with the mark and in the audit log."""


class VerdictMarkPublic(BaseModel):
    case_result_id: str
    run_id: str
    prompt: str
    case_id: str
    verdict: str
    right_verdict: str
    label: Literal["equivalent", "different"]
    reviewer: str
    reason: str
    marked_at: datetime


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    run_id: str | None
    subject: str | None
    reason: str
    detail: dict[str, Any]


class AuditPublic(BaseModel):
    items: list[AuditEntryPublic]
    next_cursor: str | None


# --- snapshots, baselines, prompts, targets ----------------------------------------------


class SnapshotPublic(BaseModel):
    cache_key: str
    prompt: str
    version: str
    case_id: str
    target: str
    sample: int
    status: str
    snapshot_hash: str | None
    error_reason: str | None
    served_model: str | None
    fingerprint: str | None
    finish_reason: str | None
    input_tokens: int | None
    output_tokens: int | None
    latency_ms: float | None
    cost_usd: float | None
    attempts: int
    created_at: datetime


class SnapshotsPublic(BaseModel):
    items: list[SnapshotPublic]
    next_cursor: str | None


class SnapshotDetail(SnapshotPublic):
    request: dict[str, Any]
    """The request as sent: messages, model, sampling parameters, seed."""
    text: str | None
    """The answer's text (without its tool calls)."""
    error_message: str | None
    tool_calls: list[ToolCallPublic] = Field(default_factory=list)
    refusal: str | None = None


class BaselinePublic(BaseModel):
    prompt: str
    version: str
    version_hash: str
    """The content of the version it was accepted for (a draft may have had several)."""
    target: str
    case_id: str
    sample: int
    cache_key: str
    snapshot_hash: str
    accepted_at: datetime
    accepted_by: str


class BaselinesPublic(BaseModel):
    items: list[BaselinePublic]
    next_cursor: str | None


class PromptVersionPublic(BaseModel):
    version: str
    content_hash: str
    variables: list[str]
    released: bool
    replayed: bool


class PromptPublic(BaseModel):
    name: str
    description: str
    mode: str
    deployed: str
    pinned: str
    candidates: list[str]
    cases: int
    versions: list[PromptVersionPublic]


class TargetPublic(BaseModel):
    target: str
    provider: str
    declared_by: list[str]
    calls: int
    baselines: int


# --- tokens, health ----------------------------------------------------------------------


class TokenCreate(_Input):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@\- ]{0,99}$")]
    role: Role


class TokenPublic(BaseModel):
    id: str
    name: str
    role: str
    prefix: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str
    """The token itself: shown this once, never stored."""


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    database: str
    schema_revision: str
    executor: str


class Principal(BaseModel):
    name: str
    role: Role
    token_id: str
    project: str = "default"
    """The project whose runs, snapshots and reviews the token sees."""


BulkDecisionPublic.model_rebuild()
