"""Tool calls of an answer against the baseline's: dropped, added or other tools, arguments
that changed or break the declared schema, parallel calls, order, text in place of a call.

Arguments are compared parsed (``ToolCall.arguments``), so reordered keys and whitespace are
never a change; the JSON diff is ``jsondiff.json_diff``. A finding's path is the tool and the
argument as one JSON path, ``$.get_weather.units``, so ``rules:`` overrides and waivers at a
path work on tool arguments as they do on JSON outputs (``$.get_weather`` covers every
argument of the tool).

Like every comparison rule, the comparative events here say what a sample does against one
reference sample; :func:`tool_events` keeps what the sample does against *every* reference
sample, so something the baseline samples already vary in is no event.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from promptcompat.compat.contract_checks import (
    json_get,
    json_path,
    json_type,
    schema_enum,
    schema_errors,
    short_repr,
)
from promptcompat.compat.jsondiff import json_diff, raw_changes
from promptcompat.rules import Events
from promptcompat.suite.json_path import PathPart, parse_json_path
from promptcompat.suite.types import Tool, ToolCall, ToolOrder

Calls = tuple[ToolCall, ...]


def canonical_json(doc: Any) -> str:
    """Parsed JSON as one canonical string: sorted keys, no whitespace, ``50.0`` as ``50``
    (the same JSON number), so only what the document says counts."""
    return json.dumps(_integral(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _integral(doc: Any) -> Any:
    if isinstance(doc, float) and doc.is_integer():
        return int(doc)
    if isinstance(doc, dict):
        return {k: _integral(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_integral(v) for v in doc]
    return doc


def canonical_arguments(call: ToolCall) -> str:
    """The arguments as one canonical string (:func:`canonical_json`); the raw string when
    they do not parse."""
    if call.arguments is None:
        return "raw:" + call.raw_arguments
    return canonical_json(call.arguments)


def call_signature(call: ToolCall) -> str:
    """What a call does, without its id (ids differ on every call)."""
    return f"{call.name}({canonical_arguments(call)})"


def tool_path(name: str, parts: Sequence[PathPart] = ()) -> str:
    """``("get_weather", ["units"])`` -> ``$.get_weather.units``: a finding's path."""
    return json_path([name, *parts])


def describe_call(call: ToolCall) -> str:
    """A call as a reader scans it: ``get_weather({"city": "Paris"})``, shortened."""
    args = canonical_arguments(call).removeprefix("raw:")
    return f"{call.name}({args if len(args) <= 80 else args[:77] + '...'})"


def pretty_calls(calls: Calls) -> str:
    """Calls as lines for a text diff: name, then the arguments as indented JSON, so a diff
    of two answers shows the changed argument, not one changed escaped string."""
    lines: list[str] = []
    for call in calls:
        lines.append(f"[tool call] {call.name}")
        if call.arguments is None:
            lines.append(f"  (arguments are not JSON) {call.raw_arguments}")
        else:
            body = json.dumps(call.arguments, indent=2, sort_keys=True, ensure_ascii=False)
            lines.extend("  " + line for line in body.splitlines())
    return "\n".join(lines)


STRUCTURAL_KEY = "tool_calls"
"""The case's structural diff holds the two answers' calls under this key."""


def calls_summary(ref: Calls, calls: Calls) -> dict[str, Any]:
    """Two answers' calls as structure for the report and the review page: each call's name
    and parsed arguments, and per changed argument (``$.tool.argument``) the old and the new
    value, calls of one tool paired as the rules pair them."""
    changes: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(c.name for c in calls):
        theirs = [c for c in ref if c.name == name]
        mine = [c for c in calls if c.name == name]
        for old, new in _pairs(theirs, mine):
            if old.arguments is None or new.arguments is None:
                continue
            for report, parts, before, after in json_diff(old.arguments, new.arguments):
                changes[tool_path(name, parts)] = {
                    "change": report,
                    "old_value": before,
                    "new_value": after,
                }
    return {
        "baseline": [_shown(c) for c in ref],
        "candidate": [_shown(c) for c in calls],
        "argument_changes": changes,
    }


def _shown(call: ToolCall) -> dict[str, Any]:
    if call.arguments is None:
        return {"name": call.name, "raw_arguments": call.raw_arguments}
    return {"name": call.name, "arguments": call.arguments}


def call_checks(calls: Calls, tools: Sequence[Tool]) -> Events:
    """Absolute checks of one answer's calls against the version's declared tools: a call to
    an undeclared tool, arguments that are not JSON or break the tool's schema. With no tools
    declared (unknown), only the JSON check runs."""
    events: Events = {}
    declared = {t.name: t for t in tools}
    for call in calls:
        tool = declared.get(call.name)
        if tools and tool is None:
            known = ", ".join(sorted(declared))
            events["tool.undeclared_tool", tool_path(call.name), ""] = (
                f"calls {call.name!r}, which the version does not declare (declared: {known})"
            )
            continue
        if call.arguments is None:
            events["tool.arguments_invalid", tool_path(call.name), "json"] = (
                f"{call.name}: the arguments are not JSON: {short_repr(call.raw_arguments, 80)}"
            )
            continue
        if tool is None or not tool.parameters:
            continue
        for path, keyword, message in schema_errors(tool.parameters, call.arguments):
            at = tool_path(call.name, _parts(path))
            events["tool.arguments_invalid", at, keyword] = (
                f"{call.name}: arguments violate the declared schema at {message}"
            )
    return events


def tool_events(
    refs: Sequence[Calls], calls: Calls, *, tools: Sequence[Tool], order: ToolOrder
) -> Events:
    """What ``calls`` does that it does against every reference answer's calls."""
    common: Events | None = None
    schemas = {t.name: t.parameters for t in tools}
    for ref in refs:
        found = _against(ref, calls, schemas, order)
        common = found if common is None else {k: v for k, v in common.items() if k in found}
        if not common:
            return {}
    return {k: v for k, v in (common or {}).items() if not _varies(refs, k)}


_VALUE_RULES = frozenset({"tool.argument_changed", "tool.argument_decision_changed"})


def _varies(refs: Sequence[Calls], key: tuple[str, str | None, str]) -> bool:
    """A value change at an argument whose value already differs among the reference
    answers: the argument is noise there, whatever value the sample gives."""
    rule_id, at, _ = key
    if rule_id not in _VALUE_RULES or at is None or len(refs) < 2:
        return False
    found = _parts(at)
    if not found:
        return False
    name, *parts = found
    seen = {
        tuple(
            sorted(
                json.dumps(json_get(c.arguments, parts), sort_keys=True)
                for c in ref
                if c.name == name and c.arguments is not None
            )
        )
        for ref in refs
    }
    return len(seen) > 1


def _against(ref: Calls, calls: Calls, schemas: Mapping[str, Any], order: ToolOrder) -> Events:
    events: Events = {}
    if not ref and not calls:
        return events
    if ref and not calls:
        # No path: the baseline answers may call their tools in different orders, and the
        # event must be the same against each of them.
        names = ", ".join(sorted(set(c.name for c in ref)))
        events["tool.text_instead_of_call", None, ""] = (
            f"answers in text instead of calling {names}"
        )
        return events
    if calls and not ref:
        names = ", ".join(dict.fromkeys(c.name for c in calls))
        events["tool.call_instead_of_text", tool_path(calls[0].name), ""] = (
            f"calls {names} instead of answering in text"
        )
        return events
    have, had = Counter(c.name for c in calls), Counter(c.name for c in ref)
    dropped = [n for n in had if n not in have]
    added = [n for n in have if n not in had]
    for gone, instead in zip(list(dropped), list(added), strict=False):
        events["tool.tool_changed", tool_path(gone), instead] = f"calls {instead} instead of {gone}"
        dropped.remove(gone)
        added.remove(instead)
    if order != "subset":
        for name in dropped:
            events["tool.call_dropped", tool_path(name), ""] = (
                f"{name} is no longer called (the baseline called it {had[name]} time(s))"
            )
    if order != "superset":
        for name in added:
            events["tool.call_added", tool_path(name), ""] = (
                f"calls {name}, which the baseline did not"
            )
    for name, n in have.items():
        m = had.get(name, 0)
        if not m or n == m or (order == "subset" and n < m) or (order == "superset" and n > m):
            continue
        events["tool.parallel_calls_changed", tool_path(name), ""] = (
            f"{name} is called {n} time(s) in the turn; the baseline called it {m} time(s)"
        )
    if order == "strict":
        order_names, ref_names = [c.name for c in calls], [c.name for c in ref]
        sigs, ref_sigs = list(map(call_signature, calls)), list(map(call_signature, ref))
        if (Counter(order_names) == Counter(ref_names) and order_names != ref_names) or (
            Counter(sigs) == Counter(ref_sigs) and sigs != ref_sigs
        ):
            events["tool.order_changed", None, ""] = (
                f"the same calls in another order: {', '.join(map(describe_call, calls))}; "
                f"baseline: {', '.join(map(describe_call, ref))}"
            )
    for name in have.keys() & had.keys():
        mine = [c for c in calls if c.name == name]
        theirs = [c for c in ref if c.name == name]
        for ref_call, call in _pairs(theirs, mine):
            events.update(_argument_events(name, ref_call, call, schemas.get(name)))
    return events


def _pairs(ref: list[ToolCall], calls: list[ToolCall]) -> list[tuple[ToolCall, ToolCall]]:
    """Calls of one tool paired with the reference's closest calls (fewest differing
    arguments first): parallel calls in another order are not changed arguments."""
    costs = sorted((_distance(r, c), i, j) for i, r in enumerate(ref) for j, c in enumerate(calls))
    used_r: set[int] = set()
    used_c: set[int] = set()
    pairs: list[tuple[ToolCall, ToolCall]] = []
    for _, i, j in costs:
        if i in used_r or j in used_c:
            continue
        used_r.add(i)
        used_c.add(j)
        pairs.append((ref[i], calls[j]))
    return pairs


def _distance(a: ToolCall, b: ToolCall) -> int:
    if canonical_arguments(a) == canonical_arguments(b):
        return 0
    if a.arguments is None or b.arguments is None:
        return 1_000
    return 1 + len(json_diff(a.arguments, b.arguments))


def _argument_events(
    name: str, old: ToolCall, new: ToolCall, schema: dict[str, Any] | None
) -> Events:
    events: Events = {}
    if old.arguments is None or new.arguments is None:
        return events  # not JSON: tool.arguments_invalid says so, there is nothing to diff
    items = json_diff(old.arguments, new.arguments, strict=True)
    for (kind, parts), (before, after) in raw_changes(old.arguments, new.arguments, items).items():
        at = tool_path(name, parts)
        arg = json_path(parts)
        if kind == "removed":
            events["tool.argument_removed", at, ""] = (
                f"{name}: argument {arg} removed (was {short_repr(before)})"
            )
        elif kind == "added":
            events["tool.argument_added", at, ""] = (
                f"{name}: argument {arg} added ({short_repr(after)})"
            )
        elif kind == "type":
            events["tool.argument_retyped", at, ""] = (
                f"{name}: argument {arg} changed type {json_type(before)} -> {json_type(after)} "
                f"({short_repr(before)} -> {short_repr(after)})"
            )
        elif kind == "array" and after < before:
            # Items dropped from an array argument: an attendee, a recipient, a product the
            # action no longer covers.
            events["tool.argument_removed", at, ""] = (
                f"{name}: argument {arg} lost {before - after} of its {before} items"
            )
        elif kind == "array":
            events["tool.argument_changed", at, ""] = (
                f"{name}: argument {arg} has {after} items; the baseline {before}"
            )
        elif isinstance(before, bool) and isinstance(after, bool):
            events["tool.argument_decision_changed", at, ""] = (
                f"{name}: argument {arg} flipped {json.dumps(before)} -> {json.dumps(after)}"
            )
        elif schema is not None and _enum_choice(schema, parts, before, after):
            events["tool.argument_decision_changed", at, ""] = (
                f"{name}: argument {arg} changed {before!r} -> {after!r} "
                "(another value of its schema enum)"
            )
        else:
            events["tool.argument_changed", at, ""] = (
                f"{name}: argument {arg} changed {short_repr(before)} -> {short_repr(after)}"
            )
    return events


def _enum_choice(schema: dict[str, Any], parts: Sequence[PathPart], old: Any, new: Any) -> bool:
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return False  # null <-> an object: not a choice among enum values
    described, allowed = schema_enum(schema, parts)
    return described and bool(allowed) and old in allowed and new in allowed


def _parts(path: str) -> tuple[PathPart, ...]:
    """A JSON path of ``schema_errors`` back to its parts (it made it from them)."""
    try:
        return parse_json_path(path)
    except ValueError:
        return ()
