"""What a run was asked to do, as stored with it: ``Run.spec``, a typed model.

The column is JSON (no migration): :class:`RunSpecJSON` serialises a :class:`RunSpec` on its way
in and parses it on its way out, so every reader uses attributes. Every field has a default,
so the spec of a run stored by an older version (a key missing) still parses; keys this
version does not know are ignored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Dialect
from sqlalchemy.types import TypeDecorator

Direction = Literal["FORWARD", "BACKWARD", "AA"]
ExecutionMode = Literal["inline", "background", "queue"]
"""How a run's calls were executed: ``inline`` in the process that started it, before it
returned (the CLI, ``check``, ``watch --once``); ``background`` on a thread of that process
(the API's embedded executor); ``queue`` by Celery workers. Recorded by the run's starter
(``promptcompat.runs.starters``), the one way every entry point starts a run."""


class _Spec(BaseModel):
    # Stored data: a key a later version added is ignored by this one, never an error.
    model_config = ConfigDict(extra="ignore", frozen=True)


class RunRequest(_Spec):
    """What to replay; the fields mirror ``promptcompat run``'s options."""

    prompts: tuple[str, ...] = ()
    baseline: str | None = None
    candidate: str | None = None
    candidate_version: str | None = None
    samples: int = 1
    labels: dict[str, str] = Field(default_factory=dict)
    aa: bool = False
    """A/A: each prompt's deployed version against fresh samples of itself (noise floor)."""

    def digest(self) -> str:
        """Hash of the request: what tells a retried submission from a different one."""
        # The same bytes as when this was a dataclass hashed through ``asdict``: the stored
        # hashes of earlier runs keep matching their retried submissions.
        blob = json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


class SideSpec(_Spec):
    """One side of a stored comparison (``replay.plan.Side`` with its target as a label)."""

    version: str
    target: str
    resample: bool = False
    accepted_only: bool = False


class ComparisonSpec(_Spec):
    """A stored comparison (``replay.plan.Comparison.to_spec``)."""

    prompt: str
    direction: Direction
    baseline: SideSpec
    candidate: SideSpec

    def to_json(self) -> dict[str, Any]:
        """As stored and reported: a side's flags only when set."""
        return self.model_dump(mode="json", exclude_defaults=True)


class RetirementWarning(_Spec):
    """A pinned target retiring soon (or retired), recorded so the run's report warns of it."""

    prompt: str
    target: str
    retires: str
    days_left: int
    successor: str
    message: str


class RunSpec(_Spec):
    """What was asked: the request, its comparisons and what the workers need to execute and
    evaluate it exactly as planned."""

    request: RunRequest = Field(default_factory=RunRequest)
    comparisons: tuple[ComparisonSpec, ...] = ()
    modes: dict[str, str] = Field(default_factory=dict)
    """Each compared prompt's compatibility mode when the run was planned."""
    redact: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Each prompt's own ``redact:`` regexes (workers read them); prompts without any left out."""
    deprecations: tuple[RetirementWarning, ...] = ()
    queue: str | None = None
    """The Celery queue a queued run's tasks go to (``reconcile`` works per queue); None: the
    default queue, or not queued."""
    version_hashes: dict[str, dict[str, str]] = Field(default_factory=dict)
    """``{prompt: {version: content hash}}`` each version was planned with: a draft may change
    while a run waits for its workers. Empty for runs planned before migration 0008."""
    execution: ExecutionMode | None = None
    """How the run was started; None for a run stored before it was recorded."""

    def to_json(self) -> dict[str, Any]:
        """The stored JSON, in the shape earlier versions wrote: optional entries only when
        set, a side's flags only when true."""
        data: dict[str, Any] = {
            "request": self.request.model_dump(mode="json"),
            "comparisons": [c.to_json() for c in self.comparisons],
            "modes": dict(self.modes),
            "redact": {p: dict(patterns) for p, patterns in self.redact.items()},
            "version_hashes": {p: dict(v) for p, v in self.version_hashes.items()},
        }
        if self.deprecations:
            data["deprecations"] = [d.model_dump(mode="json") for d in self.deprecations]
        if self.queue is not None:
            data["queue"] = self.queue
        if self.execution is not None:
            data["execution"] = self.execution
        return data


class RunSpecJSON(TypeDecorator[RunSpec]):
    """A JSON column holding a :class:`RunSpec`: serialised on the way in, parsed on the way
    out (the boundary: nothing else sees the dict)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: RunSpec | None, dialect: Dialect) -> Any:
        return (value if value is not None else RunSpec()).to_json()

    def process_result_value(self, value: Any, dialect: Dialect) -> RunSpec:
        return RunSpec.model_validate(value or {})
