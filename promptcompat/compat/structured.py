"""Structured outputs: an answer against the ``response_format`` its version requests.

Absolute checks, like the contract's: each answer is checked on its own, on both sides, and
the rates say whether the candidate fails more often than the baseline
(``rules.noise``). A consumer of a structured output runs ``json.loads`` on the text and
validates it, so JSON inside prose or a markdown fence is a fallback to prose here, even
where the zero-config detectors would find the JSON.
"""

from __future__ import annotations

import json

from promptcompat.compat.contract_checks import schema_errors
from promptcompat.compat.drift import Output
from promptcompat.rules import Events
from promptcompat.suite.types import ResponseFormat

_PREVIEW = 80


def structured_events(out: Output, refusal: str | None, fmt: ResponseFormat) -> Events:
    """Where one answer fails the requested structured output: the refusal field set, prose
    where JSON was asked for, or JSON that breaks the requested schema."""
    if refusal is not None and refusal.strip():
        return {
            ("structured.refusal", None, ""): (
                f"the model refused in the refusal field: {_preview(refusal)!r}"
            )
        }
    text = out.text.strip()
    try:
        doc = json.loads(text)
    except ValueError:
        if not text:
            message = f"{fmt.kind} was requested; the answer is empty"
        elif out.json is not None:
            how = "inside a markdown fence" if out.json[1] == "fenced" else "wrapped in prose"
            message = f"{fmt.kind} was requested; the JSON is {how}: {_preview(text)!r}"
        else:
            message = f"{fmt.kind} was requested; the answer is prose: {_preview(text)!r}"
        return {("structured.prose_fallback", None, ""): message}
    events: Events = {}
    if fmt.kind == "json_schema" and fmt.schema is not None:
        for path, keyword, message in schema_errors(fmt.schema, doc):
            events["structured.schema_violation", path, keyword] = (
                f"response_format {fmt.name!r} not satisfied at {message}"
            )
    return events


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 3] + "..."
