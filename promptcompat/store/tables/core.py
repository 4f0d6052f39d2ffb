"""The store's tables (SQLModel). Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import uuid4

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import AutoString, Field, SQLModel

from promptcompat.store.tables.run_spec import RunSpec, RunSpecJSON
from promptcompat.suite.turns import OutputKind

RunStatus = Literal[
    "pending",
    "running",
    "finalizing",
    "completed",
    "completed_with_errors",
    "failed",
    "cancelled",
]
"""``pending`` → ``running`` → ``finalizing`` → one of the terminal statuses (store_runs.py)."""
LIVE_STATUSES: tuple[RunStatus, ...] = ("pending", "running", "finalizing")
"""Someone may still execute or evaluate the run."""
TERMINAL_STATUSES: tuple[RunStatus, ...] = (
    "completed",
    "completed_with_errors",
    "failed",
    "cancelled",
)
"""Nothing will change the run any more: retention may delete it, followers stop."""
COMPLETED_STATUSES: tuple[RunStatus, ...] = ("completed", "completed_with_errors")
"""Every call answered and every case evaluated: only such a run's report can pass."""
Executor = Literal["embedded", "queue"]
CallStatus = Literal["ok", "error"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid4().hex


class PromptVersionRecord(SQLModel, table=True):
    """Every content of a prompt version the store has replayed, under its hash.

    A draft (not in ``prompts.lock``) may change, so it may have several; once a version is
    replayed released, its content is the only one it may have (migration 0008)."""

    __tablename__ = "prompt_version"
    __table_args__ = (
        UniqueConstraint("prompt", "version", "content_hash", name="uq_prompt_version_content"),
    )

    id: int | None = Field(default=None, primary_key=True)
    prompt: str = Field(index=True)
    version: str
    content_hash: str
    variables: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    messages: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    first_seen: datetime = Field(default_factory=utcnow)
    released: bool = False
    """Replayed while recorded in ``prompts.lock``: a different content is an edit then."""


class Run(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    status: RunStatus = Field(default="pending", index=True, sa_type=AutoString)
    spec: RunSpec = Field(default_factory=RunSpec, sa_column=Column(RunSpecJSON, nullable=False))
    """What was asked: the request, its comparisons (prompt, direction, both sides) and what
    executing them needs; JSON in the database, a typed model here (``run_spec.py``)."""
    total_calls: int = 0
    done_calls: int = 0
    cached_calls: int = 0
    provider_calls: int = 0
    """HTTP requests actually sent to providers, retries included."""
    error_calls: int = 0
    error: str | None = None
    executor: str = "embedded"
    """``embedded`` (this process runs it) or ``queue`` (Celery workers do; reconcile watches)."""
    lease_until: float | None = None
    """While ``finalizing``: epoch seconds until which one process owns the evaluation. While
    an embedded run is ``pending``/``running``: until when its owner's heartbeat holds it."""
    owner_host: str | None = None
    """An embedded run: the host of the process executing it (queue runs have none)."""
    owner_pid: int | None = None
    """An embedded run: that process's id, to tell a run whose process is gone (migration 0009)."""
    owner_started: int | None = Field(default=None, sa_type=BigInteger)
    """That process's start time (clock ticks since boot, Linux), so a reused pid is not taken
    for the owner; None where the system does not say."""
    idempotency_key: str | None = Field(default=None, unique=True, index=True)
    """A client's key for one submission: the same key returns the same run."""
    request_hash: str | None = None
    """Hash of the submitted request, to tell a retried submission from a conflicting one."""
    project: str = Field(default="default", index=True)
    """The project the run belongs to: only its tokens see it (issue 8, migration 0006)."""


class Snapshot(SQLModel, table=True):
    """An output, content-addressed: identical outputs are stored once."""

    content_hash: str = Field(primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    size: int
    kind: OutputKind = Field(
        default="text", sa_type=AutoString, sa_column_kwargs={"server_default": "text"}
    )
    """``text``: the answer's text; ``turn``: the JSON document of an answer with tool calls
    or a refusal (``promptcompat/suite/turns.py``; migration 0011)."""
    created_at: datetime = Field(default_factory=utcnow)


class Call(SQLModel, table=True):
    """One provider call and its result; ``cache_key`` is its idempotency key."""

    id: int | None = Field(default=None, primary_key=True)
    cache_key: str = Field(unique=True, index=True)
    prompt: str = Field(index=True)
    version: str
    case_id: str
    target: str
    sample: int
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """The full request as sent: messages, model, sampling parameters, seed."""
    status: str = "ok"
    snapshot_hash: str | None = Field(default=None, foreign_key="snapshot.content_hash", index=True)
    error_reason: str | None = None
    error_message: str | None = None
    served_model: str | None = None
    fingerprint: str | None = None
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    """Of ``output_tokens``, those a reasoning model spent thinking (migration 0011)."""
    latency_ms: float | None = None
    cost_usd: float | None = None
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class RunCall(SQLModel, table=True):
    """Which calls a run used, and whether the run got them from the cache."""

    __tablename__ = "run_call"

    run_id: str = Field(foreign_key="run.id", primary_key=True)
    cache_key: str = Field(primary_key=True, index=True)
    cached: bool = False


class Baseline(SQLModel, table=True):
    """The accepted output for a (prompt version, target, case, sample): what "works" means,
    per project (each project accepts its own) and per content of the version (a draft that
    changes gets new baselines; the old content's stay its own)."""

    __table_args__ = (
        UniqueConstraint(
            "project",
            "prompt",
            "version",
            "version_hash",
            "target",
            "case_id",
            "sample",
            name="uq_baseline_project_case",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    project: str = Field(default="default", index=True)
    prompt: str = Field(index=True)
    version: str
    version_hash: str = ""
    """Content hash of the version the baseline was accepted for (``PromptVersion``)."""
    target: str
    case_id: str
    sample: int
    cache_key: str = Field(index=True)
    snapshot_hash: str = Field(foreign_key="snapshot.content_hash", index=True)
    accepted_at: datetime = Field(default_factory=utcnow)
    accepted_by: str = "first-run"


class CaseResult(SQLModel, table=True):
    """Verdict of one case in one comparison of a run."""

    __tablename__ = "case_result"

    # Made here, not by the database, so a run's results are written without a flush per case.
    id: str = Field(default_factory=new_id, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    comparison: int
    """Index into the run's ``spec.comparisons``."""
    prompt: str = Field(index=True)
    direction: str
    baseline_version: str
    baseline_target: str
    candidate_version: str
    candidate_target: str
    case_id: str
    seq: int = 0
    """Position of the case in its prompt's case list (report order)."""
    verdict: str = Field(index=True)
    text_diff: str = Field(default="", sa_column=Column(Text, nullable=False))
    structural_diff: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    baseline_keys: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    candidate_keys: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class FindingRecord(SQLModel, table=True):
    __tablename__ = "finding"

    id: int | None = Field(default=None, primary_key=True)
    case_result_id: str = Field(foreign_key="case_result.id", index=True)
    run_id: str = Field(index=True)
    rule: str = Field(index=True)
    severity: str
    path: str | None = None
    message: str = Field(sa_column=Column(Text, nullable=False))
    hits: int = 1
    samples: int = 1
    baseline_hits: int = 0
    baseline_samples: int = 0
    waived: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    """A waiver of the prompt's policy covered it (its severity is INFO, its message says
    until when and why)."""


class PlannedCallRecord(SQLModel, table=True):
    """A call a run planned, exactly as rendered, so a worker executes it without re-rendering."""

    __tablename__ = "planned_call"
    __table_args__ = (
        UniqueConstraint("run_id", "prompt", "version", "target", "case_id", "sample"),
        Index("ix_planned_call_run_shard", "run_id", "shard"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id")
    shard: int
    cache_key: str
    prompt: str
    version: str
    case_id: str
    target: str
    """The target's label (what the cache key and the report use)."""
    target_spec: str
    """The full target string, connection parameters (base_url, api_key_env) included."""
    sample: int
    seed: int | None = None
    messages: list[list[Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    render_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    options: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """Tools and structured output of the request (``RequestOptions.canonical()``; migration
    0011); None for a plain request."""
    loop: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """An agent loop's fixtures, step limit and case source (``AgentLoop.canonical()``)."""


class RunShard(SQLModel, table=True):
    """One shard of a run: what reconcile needs to know to re-publish lost work."""

    __tablename__ = "run_shard"

    run_id: str = Field(foreign_key="run.id", primary_key=True)
    shard: int = Field(primary_key=True)
    calls: int = 0
    published_at: float | None = None
    started_at: float | None = None
    failures: int = 0
    """Deliveries that crashed (worker lost, unexpected error); bounded by shard_max_failures."""


class CallClaim(SQLModel, table=True):
    """A lease on one cache key: whoever holds it live is the only one calling the provider."""

    __tablename__ = "call_claim"

    cache_key: str = Field(primary_key=True)
    owner: str
    host: str
    pid: int
    lease_until: float = Field(index=True)
    claimed_at: float


REFERENCE_KEY = "reference_accuracy"
"""Where a case result keeps its reference score, inside ``structural_diff``:
``{"baseline": [matched, samples], "candidate": [matched, samples]}``."""


COVERAGE_KEY = "coverage"
"""Where a case result keeps what watched it, inside ``structural_diff``."""


BASELINE_FAILURES_KEY = "baseline_contract_failures"
"""Where a case result keeps the contract checks every baseline sample failed."""
