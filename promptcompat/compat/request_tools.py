"""BACKWARD request-side rules for tools and structured outputs: what a new prompt version
changes in the contract with its callers' code, read from the two versions alone.

Callers' executors run the tools a version declares, and callers read the structured output
it requests. A new version breaks them when it removes a tool they handle, requires a tool
parameter their executors do not expect, or narrows the response schema (a property removed,
a type narrowed, a new required field, fewer enum values): data valid under the old schema
is no longer valid under the new one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from promptcompat.compat.contract_checks import json_path
from promptcompat.rules import Finding, rule
from promptcompat.suite.json_path import PathPart
from promptcompat.suite.types import PromptVersion

_JSON_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")


def tool_request_findings(
    before: PromptVersion,
    after: PromptVersion,
    *,
    baseline_version: str,
    candidate_version: str,
    samples: int = 1,
) -> list[Finding]:
    """``request.tool_*`` and ``request.response_schema_narrowed`` between two versions.

    Properties of the versions, not of sampling: every sample has them (as
    ``request.variable_added``)."""
    found: list[tuple[str, str, str | None]] = []
    old_tools = {t.name: t for t in before.tools}
    new_tools = {t.name: t for t in after.tools}
    for name in old_tools.keys() - new_tools.keys():
        found.append(
            (
                "request.tool_removed",
                f"{candidate_version} no longer declares tool {name!r}, which callers of "
                f"{baseline_version} handle",
                name,
            )
        )
    for name in new_tools.keys() - old_tools.keys():
        found.append(
            (
                "request.tool_added",
                f"{candidate_version} declares tool {name!r}; callers' executors of "
                f"{baseline_version} may have no handler for it",
                name,
            )
        )
    for name in sorted(old_tools.keys() & new_tools.keys()):
        for parts, prop in _new_required(old_tools[name].parameters, new_tools[name].parameters):
            found.append(
                (
                    "request.tool_parameter_required",
                    f"{candidate_version}: tool {name!r} requires parameter "
                    f"{json_path([*parts, prop])}, which it did not require in "
                    f"{baseline_version}",
                    json_path([name, *parts, prop]),
                )
            )
    old_fmt, new_fmt = before.response_format, after.response_format
    if old_fmt is not None and new_fmt is not None and old_fmt.schema and new_fmt.schema:
        for where, what in narrowed(old_fmt.schema, new_fmt.schema):
            found.append(
                (
                    "request.response_schema_narrowed",
                    f"{candidate_version}'s response schema {what} (against {baseline_version})",
                    where,
                )
            )
    findings = []
    for rule_id, message, found_at in sorted(found, key=lambda f: (f[0], f[2] or "")):
        r = rule(rule_id)
        findings.append(
            Finding(r.id, r.severity, message, path=found_at, hits=samples, samples=samples)
        )
    return findings


def narrowed(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON path, what narrowed) where ``new`` accepts less than ``old``."""
    return sorted(set(_narrowed(old, new, ())))


def _narrowed(old: Any, new: Any, parts: tuple[PathPart, ...]) -> Iterator[tuple[str, str]]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    at = json_path(parts)
    old_types, new_types = _types(old), _types(new)
    if old_types and new_types and not old_types <= new_types:
        lost = ", ".join(sorted(old_types - new_types))
        yield at, f"narrowed the type at {at} (no longer {lost})"
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if isinstance(new_enum, list) and (
        not isinstance(old_enum, list) or any(v not in new_enum for v in old_enum)
    ):
        yield at, f"allows fewer values at {at} (enum {new_enum!r})"
    old_props = old.get("properties") if isinstance(old.get("properties"), dict) else {}
    new_props = new.get("properties") if isinstance(new.get("properties"), dict) else {}
    assert isinstance(old_props, dict) and isinstance(new_props, dict)
    for name in old_props:
        if name not in new_props:
            where = json_path([*parts, name])
            yield where, f"removed property {where}"
        else:
            yield from _narrowed(old_props[name], new_props[name], (*parts, name))
    old_req = set(old.get("required") or ())
    for name in new.get("required") or ():
        if name not in old_req:
            where = json_path([*parts, name])
            yield where, f"requires a new field {where}"
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        yield from _narrowed(old["items"], new["items"], (*parts, 0))


def _new_required(old: Any, new: Any) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    """Parameters ``new`` requires that ``old`` did not (top level and nested objects)."""

    def walk(
        a: Any, b: Any, parts: tuple[PathPart, ...]
    ) -> Iterator[tuple[tuple[PathPart, ...], str]]:
        if not isinstance(a, dict) or not isinstance(b, dict):
            return
        had = set(a.get("required") or ())
        for name in b.get("required") or ():
            if name not in had:
                yield parts, name
        a_props, b_props = a.get("properties"), b.get("properties")
        if isinstance(a_props, dict) and isinstance(b_props, dict):
            for name in a_props.keys() & b_props.keys():
                yield from walk(a_props[name], b_props[name], (*parts, name))

    return walk(old, new, ())


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        types = {declared}
    elif isinstance(declared, list):
        types = {t for t in declared if isinstance(t, str)}
    else:
        return set()
    if "number" in types:
        types.add("integer")  # an integer is a number: number -> integer narrows, not reverse
    return types & set(_JSON_TYPES)
