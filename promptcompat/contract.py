"""The output contract a prompt declares: what its consumers rely on."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Format = Literal["text", "json", "code"]


class Contract(BaseModel):
    """Declared in ``prompt.yaml`` under ``contract:``; unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    format: Format = "text"
    language: str | None = None
    """For ``format: code``: the language (``python`` is parsed and checked)."""
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    """JSON Schema the parsed output must satisfy (``format: json``)."""
    must_match: list[str] = Field(default_factory=list)
    """Regexes (Python syntax, searched) that every output must match."""
    must_not_match: list[str] = Field(default_factory=list)
    """Regexes that no output may match."""
    max_output_tokens: int | None = Field(default=None, ge=1)
