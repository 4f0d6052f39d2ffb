"""Answers to requests with tools or a response format: scripted tool calls and JSON outputs,
cleanly or with one tool drift applied (docs/simulator-protocol.md, "Tools and structured
output").

The clean model picks the declared tool whose name shares a word with the user's text (the
one ``tool_choice`` names, or the first when a call is ``required``), fills its arguments from
the text with the extraction task's field finders, and makes one call per value found for its
first string argument (several calls in parallel unless ``parallel_tool_calls`` is false).
Once a tool result follows the last call, it answers in text with the results. A response
format is answered with an instance of the schema filled the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from promptcompat.simulator.tasks import extract_field

TOOL_DRIFT_KINDS: tuple[str, ...] = (
    "tool_dropped",
    "tool_other",
    "tool_arg_renamed",
    "tool_arg_retyped",
    "tool_parallel_cut",
    "tool_as_text",
    "structured_off_schema",
    "structured_refusal",
)
STRUCTURED_REFUSAL = "I'm sorry, but I can't provide that information."
_WORD = re.compile(r"[a-z]+")
_CAPITALISED = re.compile(r"\b[A-Z][a-zà-ÿ]+(?:[ \t-][A-Z][a-zà-ÿ]+)*")
_VERBS = frozenset({"get", "set", "list", "fetch", "find", "lookup", "search", "check", "create"})
"""Name parts that say nothing of what a tool is about (``get_weather`` is about weather)."""
_NOT_VALUES = frozenset(
    {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "I"}
)


@dataclass(frozen=True)
class SimTool:
    name: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolAnswer:
    text: str
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    refusal: str | None = None


def applies(kind: str, tools: tuple[SimTool, ...], schema: dict[str, Any] | None) -> bool:
    if kind.startswith("structured_"):
        return schema is not None
    return bool(tools)


def new_model_tool_drift(
    family: str, canonical: str, tools: tuple[SimTool, ...], schema: dict[str, Any] | None
) -> str | None:
    """The "new" models' mix for requests with tools or a schema: half unchanged, half split
    across the tool drifts that apply (stable per request, as ``drifts.new_model_drift``)."""
    digest = hashlib.sha256((family + "|tools|" + canonical).encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 100
    if bucket < 50:
        return None
    kinds = [k for k in TOOL_DRIFT_KINDS if applies(k, tools, schema)]
    return kinds[(bucket - 50) * len(kinds) // 50] if kinds else None


def answer(
    *,
    tools: tuple[SimTool, ...],
    tool_choice: str | None,
    parallel: bool,
    schema: dict[str, Any] | None,
    user_text: str,
    tool_results: tuple[str, ...],
    kind: str | None,
) -> ToolAnswer | None:
    """The scripted answer; ``tool_results``: the results after the last assistant turn.
    None: no tool to call and no schema, so the model answers the task in text as usual."""
    if kind is not None and not applies(kind, tools, schema):
        kind = None
    if tool_results:
        return ToolAnswer(text="Based on the tool results: " + "; ".join(tool_results))
    tool = _chosen(tools, tool_choice, user_text) if tools else None
    if tool is not None:
        return _tool_answer(tools, tool, parallel, user_text, kind)
    if schema is not None:
        if kind == "structured_refusal":
            return ToolAnswer(text="", refusal=STRUCTURED_REFUSAL)
        instance = instance_of(schema, user_text)
        if kind == "structured_off_schema" and isinstance(instance, dict):
            instance = _off_schema(instance, schema)
        return ToolAnswer(text=json.dumps(instance, ensure_ascii=False))
    return None


def _chosen(tools: tuple[SimTool, ...], choice: str | None, text: str) -> SimTool | None:
    if choice == "none":
        return None
    named = next((t for t in tools if t.name == choice), None)
    if named is not None:
        return named
    words = set(_WORD.findall(text.lower()))
    for tool in tools:
        parts = [p for p in tool.name.lower().split("_") if p not in _VERBS]
        if any(part in words or part + "s" in words for part in parts):
            return tool
    return tools[0] if choice == "required" else None


def _tool_answer(
    tools: tuple[SimTool, ...], tool: SimTool, parallel: bool, text: str, kind: str | None
) -> ToolAnswer:
    calls = _calls(tool, text, parallel)
    if kind == "tool_as_text":
        return ToolAnswer(text=f"I would use {tool.name} for that, but here is my best answer.")
    if kind == "tool_dropped":
        calls = calls[:-1]
        return ToolAnswer(text="" if calls else "Done.", calls=tuple(calls))
    if kind == "tool_parallel_cut":
        calls = calls[:1]
    elif kind == "tool_other":
        other = next((t for t in tools if t.name != tool.name), None)
        if other is not None:
            calls = _calls(other, text, parallel)
    elif kind == "tool_arg_renamed":
        calls = [(name, _renamed(args)) for name, args in calls]
    elif kind == "tool_arg_retyped":
        calls = [(name, _retyped(args)) for name, args in calls]
    return ToolAnswer(text="", calls=tuple(calls))


def _calls(tool: SimTool, text: str, parallel: bool) -> list[tuple[str, dict[str, Any]]]:
    properties = _properties(tool.parameters)
    first_string = next((p for p, s in properties.items() if s.get("type") == "string"), None)
    base = instance_of(tool.parameters, text)
    if not isinstance(base, dict):
        base = {}
    if first_string is None or "enum" in properties[first_string]:
        return [(tool.name, base)]
    values = _values(first_string, text)
    if not parallel:
        values = values[:1]
    return [(tool.name, {**base, first_string: value}) for value in values] or [(tool.name, base)]


def _values(prop: str, text: str) -> list[str]:
    """The values found for a string argument: its field finder's, else capitalised words."""
    found = extract_field(prop, text)
    if isinstance(found, str):
        others = [v for v in _capitalised(text) if v != found and _same_kind(v, found)]
        return [found, *others][:3]
    return _capitalised(text)[:3]


def _same_kind(value: str, found: str) -> bool:
    return value.count(" ") == found.count(" ")


def _capitalised(text: str) -> list[str]:
    """Names in the text: capitalised words that do not start a sentence, no day names."""
    out: list[str] = []
    for match in _CAPITALISED.finditer(text):
        value = match[0]
        before = text[: match.start()].rstrip()
        if not before or before[-1] in ".?!:\n" or value.split()[0] in _NOT_VALUES:
            continue
        if value not in out:
            out.append(value)
    return out


def _properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = schema.get("properties")
    return (
        {k: v for k, v in props.items() if isinstance(v, dict)} if isinstance(props, dict) else {}
    )


def instance_of(schema: dict[str, Any], text: str, name: str = "") -> Any:
    """A value of ``schema`` with what ``text`` says (deterministic, always schema-valid for
    the simple schemas examples use: objects, strings, numbers, booleans, enums, arrays)."""
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    nullable = isinstance(kind, list) and "null" in kind
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or (kind is None and "properties" in schema):
        return {prop: instance_of(sub, text, prop) for prop, sub in _properties(schema).items()}
    if kind == "array":
        items = schema.get("items")
        return [instance_of(items, text, name)] if isinstance(items, dict) else []
    if kind in ("integer", "number"):
        found = extract_field(name, text) if name else None
        if isinstance(found, int):
            return found
        number = re.search(r"\d+", text)
        return int(number[0]) if number else 1
    if kind == "boolean":
        return True
    found = extract_field(name, text) if name else None
    if isinstance(found, str):
        return found
    if nullable:
        return None  # the text does not say: null, as the schema allows
    values = _capitalised(text)
    return values[0] if values else "unknown"


def _renamed(args: dict[str, Any]) -> dict[str, Any]:
    if not args:
        return args
    first = next(iter(args))
    return {(f"{first}_name" if k == first else k): v for k, v in args.items()}


def _retyped(args: dict[str, Any]) -> dict[str, Any]:
    """A number becomes its string; else the first string becomes a one-element list."""
    number = next((k for k, v in args.items() if isinstance(v, int | float)), None)
    if number is not None:
        return {**args, number: str(args[number])}
    text = next((k for k, v in args.items() if isinstance(v, str)), None)
    return {**args, text: [args[text]]} if text is not None else args


def _off_schema(instance: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A required property missing and one the schema does not declare."""
    required = [r for r in schema.get("required", []) if r in instance]
    out = dict(instance)
    if required:
        del out[required[-1]]
    out["notes"] = "added by the model"
    return out
