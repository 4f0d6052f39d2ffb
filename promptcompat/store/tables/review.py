"""Tables of the review workflow: API tokens, reviewers' decisions and the audit log.

Kept apart from ``models.py`` (the replay store) because nothing in a run depends on them;
migration ``0003`` creates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel, col

from promptcompat.store.tables.core import CaseResult, new_id, utcnow

Role = Literal["viewer", "reviewer", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "reviewer", "admin")
"""Each role may do everything the roles before it may."""

DecisionKind = Literal["accepted", "rejected"]


class ApiToken(SQLModel, table=True):
    """An API token; only its keyed hash is stored, the plaintext is shown once."""

    __tablename__ = "api_token"

    id: str = Field(default_factory=new_id, primary_key=True)
    name: str
    """Who or what holds the token (a person, ``ci``); recorded as the actor of its actions."""
    role: str
    token_hash: str = Field(unique=True, index=True)
    """HMAC-SHA256 of the token under the configured pepper."""
    prefix: str
    """The token's first characters, enough to recognise it in a list, useless to use it."""
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = "cli"
    revoked_at: datetime | None = None
    project: str = Field(default="default", index=True)
    """The project whose runs, snapshots and reviews the token sees (and nothing else)."""


class ReviewDecision(SQLModel, table=True):
    """The current decision on one case result (the audit log keeps every decision)."""

    __tablename__ = "review_decision"

    # No foreign key: deleting a run must not be blocked by, nor erase, its review history.
    case_result_id: str = Field(primary_key=True)
    run_id: str = Field(index=True)
    decision: str
    reviewer: str
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    decided_at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """One recorded action: a decision, a run submitted or cancelled, a token created."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(index=True)
    action: str = Field(index=True)
    """``case.accept``, ``case.reject``, ``run.create``, ``run.cancel``, ``token.create``..."""
    run_id: str | None = Field(default=None, index=True)
    subject: str | None = Field(default=None, index=True)
    """The object acted on: a case result id, a run id, a token id."""
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    project: str = Field(default="default", index=True)
    """The project the action happened in (a token sees its own project's log only)."""


# Pages of a run's case results are read in report order; this index serves them without
# sorting the whole run (a 10,000-case run's page of 100 reads 101 rows).
CASE_RESULT_ORDER = Index(
    "ix_case_result_run_order",
    col(CaseResult.run_id),
    col(CaseResult.comparison),
    col(CaseResult.seq),
    col(CaseResult.id),
)
