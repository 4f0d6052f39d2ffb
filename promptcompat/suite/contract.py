"""The output contract a prompt declares: what its consumers rely on."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Format = Literal["text", "json", "code"]
ReferenceMatch = Literal["auto", "exact", "normalised", "numeric", "contains", "one_of"]
Occurrence = Literal["first", "last"]


class ReferenceSpec(BaseModel):
    """How a case's ``reference`` is compared with an output (``promptcompat.compat.reference``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: ReferenceMatch = "auto"
    """auto (the heuristics in docs/rules.md), exact, normalised, numeric, contains, one_of."""
    path: str | None = Field(default=None, pattern=r"^\$")
    """For JSON outputs: compare the value at this JSON path (``$.label``, ``$.items[0]``)
    instead of the whole output."""
    tolerance: float = Field(default=0.0, ge=0)
    """numeric: absolute tolerance."""
    rel_tolerance: float = Field(default=0.0, ge=0)
    """numeric: relative tolerance (of the larger magnitude), as ``math.isclose``."""
    extract: str | None = None
    """A regex (Python syntax) that picks the answer out of the output (or the value at
    ``path``) before matching: its first group, else the whole match. ``\\[(Yes|No)\\]``
    compares the marker, not a "no" somewhere in the reasoning. No match: not matched."""
    occurrence: Occurrence = "last"
    """Which match of ``extract`` is the answer: the ``last`` (a conclusion) or the ``first``."""

    @field_validator("extract")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"extract is not a valid regex: {exc}") from None
        return value


class Contract(BaseModel):
    """Declared in ``prompt.yaml`` under ``contract:``; unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    format: Format = "text"
    """json: the output must parse as JSON; code with a Python language: as Python."""
    language: str | None = None
    """For ``format: code``: the language (``python`` is parsed and checked)."""
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    """JSON Schema the parsed output must satisfy (``format: json``)."""
    must_match: list[str] = Field(default_factory=list)
    """Regexes (Python syntax, searched) that every output must match."""
    must_not_match: list[str] = Field(default_factory=list)
    """Regexes that no output may match."""
    max_output_tokens: int | None = Field(default=None, ge=1)
    reference: ReferenceSpec = Field(default_factory=ReferenceSpec)
    """How cases' reference answers are matched."""
