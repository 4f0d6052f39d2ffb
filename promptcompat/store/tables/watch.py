"""Tables of the model-release watcher: what each account listed, release events, the runs
they started, alias observations and webhook deliveries.

Kept apart from ``models.py`` (the replay store): nothing in a run depends on them. Migration
``0005`` creates them. Deduplication lives in unique constraints, not in reads: two beat
instances or overlapping polls may both see a new model, and only one insert of its event
succeeds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from promptcompat.store.tables.core import utcnow

EventKind = Literal["release", "alias_drift", "deprecation"]
DeliveryStatus = Literal["sending", "delivered", "failed"]


class WatchPoll(SQLModel, table=True):
    """One listing of one provider account: what came back, or why it failed."""

    __tablename__ = "watch_poll"

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    ok: bool = True
    models: int = 0
    """Model ids the listing returned (every page)."""
    new_models: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ModelSighting(SQLModel, table=True):
    """A model id an account listed, first and last time it was seen."""

    __tablename__ = "model_sighting"

    account: str = Field(primary_key=True)
    model_id: str = Field(primary_key=True)
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)


class ReleaseEvent(SQLModel, table=True):
    """Something that calls for replays: a new model, an alias serving another model, a
    retirement drawing near. ``(kind, account, model_id)`` is unique: the same release seen by
    two polls, or announced twice, is one event."""

    __tablename__ = "release_event"
    __table_args__ = (UniqueConstraint("kind", "account", "model_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    account: str
    """The provider account (``release``) or the alias or retiring target."""
    model_id: str
    """The new model id; for ``alias_drift`` ``old -> new`` served model and fingerprint."""
    source: str = "watcher"
    """``watcher``, ``cli``, ``api:<actor>``, ``beat``."""
    created_at: datetime = Field(default_factory=utcnow, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    planned_at: datetime | None = None
    """When its runs were started (None: a poll plans it, again after a crash)."""


class ReleaseRun(SQLModel, table=True):
    """A replay run an event started: one per affected prompt set (same pinned target)."""

    __tablename__ = "release_run"

    event_id: int = Field(foreign_key="release_event.id", primary_key=True)
    baseline: str = Field(primary_key=True)
    """The pinned target the prompts share (the run's baseline)."""
    candidate: str
    run_id: str | None = Field(default=None, index=True)
    prompts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """Why no run could be started (the suite does not plan, the store refused)."""
    notified_at: datetime | None = Field(default=None, index=True)


class AliasState(SQLModel, table=True):
    """What an alias target was last seen serving (from recorded calls or a probe)."""

    __tablename__ = "alias_state"

    target: str = Field(primary_key=True)
    served_model: str
    fingerprint: str = ""
    observed_at: datetime = Field(default_factory=utcnow)
    last_call_id: int = 0
    """Calls of the target up to this id were already compared."""


class WebhookDelivery(SQLModel, table=True):
    """One notification of one run to one URL, with every attempt (the delivery log)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("run_id", "url"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True)
    event_id: int | None = None
    url: str
    format: str = "json"
    """``json`` (the promptcompat payload) or ``slack`` (a Slack-compatible message)."""
    status: str = Field(default="sending", index=True)
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    log: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Per attempt: at, HTTP status or error, seconds waited before it."""
    claimed_until: float = 0.0
    """Epoch seconds: a sender that died mid-delivery lets another take over after this."""
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
