"""A call result on its way into the store, as a plain row.

The replay engine makes one of these per finished call. Building the ``Call`` table model
instead cost about 0.3 ms a call (pydantic validation plus SQLAlchemy instrumentation) only
for ``store.save_calls`` to dump it back to a dict; this row has the same columns and
defaults (``Call`` without its ``id``) and dumps to the same dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from promptcompat.store.tables.core import utcnow


@dataclass(slots=True)
class CallRow:
    """The columns of ``models.Call`` (the database assigns ``id``)."""

    cache_key: str
    prompt: str
    version: str
    case_id: str
    target: str
    sample: int
    request: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"
    snapshot_hash: str | None = None
    error_reason: str | None = None
    error_message: str | None = None
    served_model: str | None = None
    fingerprint: str | None = None
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    attempts: int = 0
    created_at: datetime = field(default_factory=utcnow)

    def to_row(self) -> dict[str, Any]:
        """What ``Call(...).model_dump(exclude={"id"})`` gives for the same values."""
        return {name: getattr(self, name) for name in CALL_COLUMNS}


CALL_COLUMNS = tuple(f.name for f in fields(CallRow))
