"""Contract checks and budgets, evaluated on one output at a time.

Contract checks are absolute (the output against what ``prompt.yaml`` declares); the caller
runs them on baseline samples too, so a contract the baseline already broke is told apart
from a new break. Budgets compare one sample's metadata with the reference samples'.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from promptcompat.compat.drift import Output, strip_fence
from promptcompat.errors import SuiteError
from promptcompat.rules import Events
from promptcompat.suite.contract import Contract

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

from promptcompat.suite.json_path import PathPart

_MESSAGE_LIMIT = 160
_PYTHON = ("python", "python3", "py")


class SampleMeta(Protocol):
    """The response metadata budgets and model rules look at (``diff.Sample`` has it)."""

    @property
    def output_tokens(self) -> int | None: ...
    @property
    def cost_usd(self) -> float | None: ...
    @property
    def latency_ms(self) -> float | None: ...
    @property
    def target(self) -> str | None: ...
    @property
    def served_model(self) -> str | None: ...
    @property
    def fingerprint(self) -> str | None: ...
    @property
    def finish_reason(self) -> str | None: ...


def json_path(parts: Sequence[PathPart]) -> str:
    """``["a", 0, "b c"]`` -> ``$.a[0]["b c"]``."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part.isidentifier():
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


def json_get(doc: Any, path: Sequence[PathPart]) -> Any:
    """The value at ``path``, or None when the path does not exist."""
    for part in path:
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return None
    return doc


def json_equal(a: Any, b: Any, *, strict: bool = False) -> bool:
    """JSON equality: 1 == 1.0, but true != 1 (Python's == conflates them).

    Not ``strict``: only the top level is type-checked (callers use it on leaves).
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if strict and isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(json_equal(v, b[k], strict=True) for k, v in a.items())
        )
    if strict and isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(json_equal(x, y, strict=True) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and a == b


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer"}


def json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), "number")


def short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


# --- JSON Schema --------------------------------------------------------------------------

_validators: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """Checked and compiled once per schema object (contracts are frozen, so identity works)."""
    # Imported here: only runs with schema contracts pay for jsonschema (30 ms).
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    cached = _validators.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise SuiteError(f"invalid JSON Schema in contract: {exc.message}") from exc
    validator = Draft202012Validator(schema)
    if len(_validators) > 256:
        _validators.clear()
    _validators[id(schema)] = (schema, validator)
    return validator


def schema_errors(schema: dict[str, Any], doc: Any) -> list[tuple[str, str, str]]:
    """(JSON path, validator keyword, message) per violation, pointed at the field at fault.

    ``required`` and ``additionalProperties`` errors sit on the parent object in jsonschema;
    they are moved to the missing/extra property so they line up with structural findings.
    """
    validator = validator_for(schema)
    found: dict[tuple[str, str], str] = {}
    for err in validator.iter_errors(doc):
        base = list(err.absolute_path)
        keyword = str(err.validator)
        instance = err.instance
        if keyword == "required" and isinstance(instance, dict):
            for prop in err.validator_value:
                if prop not in instance:
                    path = json_path([*base, prop])
                    found[path, keyword] = f"{path}: required property {prop!r} is missing"
            continue
        if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(
            instance, dict
        ):
            declared = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
            for prop in instance:
                if prop not in declared:
                    path = json_path([*base, prop])
                    found[path, keyword] = f"{path}: property {prop!r} is not allowed"
            continue
        path = json_path(base)
        found.setdefault((path, keyword), f"{path}: {_short(err.message)}")
    return [(path, keyword, message) for (path, keyword), message in found.items()]


def schema_enum(schema: dict[str, Any], parts: Sequence[PathPart]) -> tuple[bool, frozenset[Any]]:
    """Whether the schema describes ``parts``, and the enum/const values it allows there."""
    nodes = _resolve(schema, [schema])
    for part in parts:
        nxt: list[Any] = []
        for node in nodes:
            if isinstance(part, str):
                props = node.get("properties")
                if isinstance(props, dict) and part in props:
                    nxt.append(props[part])
                elif isinstance(node.get("additionalProperties"), dict):
                    nxt.append(node["additionalProperties"])
            else:
                prefix = node.get("prefixItems")
                if isinstance(prefix, list) and part < len(prefix):
                    nxt.append(prefix[part])
                elif isinstance(node.get("items"), dict):
                    nxt.append(node["items"])
        nodes = _resolve(schema, nxt)
        if not nodes:
            return False, frozenset()
    values: set[Any] = set()
    for node in nodes:
        enum = node.get("enum")
        if isinstance(enum, list):
            values.update(v for v in enum if isinstance(v, str | int | float | bool) or v is None)
        if "const" in node and not isinstance(node["const"], dict | list):
            values.add(node["const"])
    return True, frozenset(values)


def _resolve(root: dict[str, Any], nodes: list[Any], depth: int = 0) -> list[dict[str, Any]]:
    """Follow local ``$ref`` and flatten ``allOf``/``anyOf``/``oneOf`` branches."""
    out: list[dict[str, Any]] = []
    for node in nodes:
        if not isinstance(node, dict) or depth > 8:
            continue
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            target: Any = root
            for token in ref.lstrip("#").strip("/").split("/"):
                if not token:
                    continue
                token = token.replace("~1", "/").replace("~0", "~")
                target = target.get(token) if isinstance(target, dict) else None
            out.extend(_resolve(root, [target], depth + 1))
        out.append(node)
        for key in ("allOf", "anyOf", "oneOf"):
            branches = node.get(key)
            if isinstance(branches, list):
                out.extend(_resolve(root, branches, depth + 1))
    return out


# --- regexes and code -------------------------------------------------------------------


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise SuiteError(f"invalid regex {pattern!r} in contract: {exc}") from exc


def checks_python(contract: Contract) -> bool:
    """`format: code` in Python (or no language): the output must parse as Python."""
    return contract.format == "code" and (contract.language or "python").lower() in _PYTHON


def python_parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# --- the checks ----------------------------------------------------------------------------


def contract_events(
    out: Output,
    *,
    contract: Contract,
    output_tokens: int | None,
    schema_cache: dict[str, list[tuple[str, str, str]]],
) -> Events:
    """Every contract violation of one output that its text alone decides, plus the token
    budget (from the response's count). ``schema_cache`` is keyed by output text.

    Reference answers and user checks are in ``diff.py`` (they need the case), and so is
    their caching per text.
    """
    events: Events = {}
    if contract.format == "json" and out.json is None:
        hint = " (it looks truncated)" if out.text.rstrip()[-1:] not in ("}", "]", "") else ""
        events["contract.not_json", None, ""] = f"`format: json` but the output holds no JSON{hint}"
    if contract.json_schema is not None and out.json is not None:
        errors = schema_cache.get(out.text)
        if errors is None:
            errors = schema_cache[out.text] = schema_errors(contract.json_schema, out.json[0])
        for path, keyword, message in errors:
            events["contract.schema", path, keyword] = f"schema violation at {message}"
    for pattern in contract.must_match:
        if _compiled(pattern).search(out.text) is None:
            events["contract.must_match", None, pattern] = f"does not match `{pattern}`"
    for pattern in contract.must_not_match:
        m = _compiled(pattern).search(out.text)
        if m is not None:
            events["contract.must_not_match", None, pattern] = (
                f"matches forbidden `{pattern}` ({_short(m.group(0))!r})"
            )
    if contract.max_output_tokens is not None:
        tokens, how = output_tokens, ""
        if tokens is None:
            tokens, how = math.ceil(len(out.text) / 4), " (estimated as chars/4)"
        if tokens > contract.max_output_tokens:
            events["contract.max_output_tokens", None, ""] = (
                f"{tokens} output tokens{how} > max_output_tokens {contract.max_output_tokens}"
            )
    if checks_python(contract) and not python_parses(out.text):
        body = strip_fence(out.text)
        # The tag lets the fence detector claim this finding when the fence is the cause.
        cause = "fence" if body is not None and python_parses(body) else ""
        events["contract.code_invalid", None, cause] = "not valid Python (ast.parse fails)" + (
            " because of the markdown fence around it" if cause else ""
        )
    return events


# (rule, metadata field, factor, least absolute increase, label). The token floor keeps a
# 13 -> 29 token answer (a docstring added) from reading as a budget problem.
_BUDGETS: tuple[tuple[str, str, float, float, str], ...] = (
    ("budget.output_tokens", "output_tokens", 2.0, 50, "output tokens"),
    ("budget.cost", "cost_usd", 2.0, 0, "cost (USD)"),
    ("budget.latency", "latency_ms", 3.0, 0, "latency (ms)"),
)


def budget_events(refs: Sequence[SampleMeta], sample: SampleMeta) -> Events:
    """Budgets out of band; skipped when any side lacks the metadata."""
    events: Events = {}
    if not refs:
        return events
    for rule_id, attr, factor, floor, label in _BUDGETS:
        value = getattr(sample, attr)
        ref_values = [getattr(r, attr) for r in refs]
        if value is None or any(v is None for v in ref_values):
            continue
        top = max(ref_values)
        if top > 0 and value > factor * top and value - top >= floor:
            events[rule_id, None, ""] = (
                f"{label} {value:g} > {factor:g} x baseline max {top:g} ({value / top:.1f}x)"
            )
    return events


def model_events(refs: Sequence[SampleMeta], sample: SampleMeta) -> Events:
    """The same target answering from another model (an alias moved) or fingerprint.

    Only between samples of the same target: a FORWARD comparison changes the model on
    purpose. Skipped when any side lacks the metadata.
    """
    events: Events = {}
    if not refs or sample.target is None or any(r.target != sample.target for r in refs):
        return events
    served = {r.served_model for r in refs}
    if sample.served_model is not None and None not in served and sample.served_model not in served:
        known = ", ".join(sorted(s for s in served if s is not None))
        events["model.served_changed", None, ""] = (
            f"{sample.target} now serves {sample.served_model}; baseline: {known}"
        )
        return events
    prints = {r.fingerprint for r in refs}
    if sample.fingerprint is not None and None not in prints and sample.fingerprint not in prints:
        known = ", ".join(sorted(p for p in prints if p is not None))
        events["model.fingerprint_changed", None, ""] = (
            f"system fingerprint {sample.fingerprint}; baseline: {known}"
        )
    return events


TRUNCATED = frozenset({"length", "max_tokens", "MAX_TOKENS", "model_length"})
"""Finish reasons of an output cut at the token limit: OpenAI ``length``, Anthropic
``max_tokens``, Gemini ``MAX_TOKENS``, vLLM/llama.cpp ``length``/``model_length``."""


def truncation_events(refs: Sequence[SampleMeta], sample: SampleMeta) -> Events:
    """The sample was cut at the token limit where no reference sample was."""
    reason = sample.finish_reason
    if reason not in TRUNCATED or any(r.finish_reason in TRUNCATED for r in refs):
        return {}
    return {
        ("drift.truncated", None, ""): (
            f"the output was cut off at the token limit (finish_reason {reason}); "
            "no baseline sample was"
        )
    }


def metadata_events(refs: Sequence[SampleMeta], sample: SampleMeta) -> Events:
    """Budgets and model rules: what the response metadata alone tells."""
    events = budget_events(refs, sample)
    events.update(model_events(refs, sample))
    return events
