"""Reference answers: does an output match its case's ``reference``?

The contract's ``reference:`` block (:class:`~promptcompat.suite.contract.ReferenceSpec`) picks the
match: ``exact``, ``normalised``, ``numeric`` (with tolerances), ``contains``, ``one_of``, or
the default ``auto`` heuristics; ``path`` points into a JSON output. docs/rules.md describes
each. Matching runs per sample on both sides, which gives the accuracy per target and the
``contract.reference_mismatch`` finding when a case that matched no longer does.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from promptcompat.compat.drift import Output
from promptcompat.suite.contract import ReferenceSpec
from promptcompat.suite.json_path import parse_json_path

_PUNCT_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_MISSING = object()
_BRACKETED = re.compile(r"\[[^\W\d][\w\-]{0,40}\]")


def normalise(value: Any) -> str:
    """Case-folded, whitespace collapsed, punctuation trimmed at both ends."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = _SPACES.sub(" ", text.replace("\u2019", "'").casefold())
    return _PUNCT_EDGES.sub("", text)


def _contains(haystack: str, needle: str) -> bool:
    return bool(needle) and (
        haystack == needle or re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    found = _NUMBER.findall(value)
    if not found:
        return None
    # A bare number is the answer; in prose, the last number usually is ("... so 42").
    text = found[0] if _NUMBER.fullmatch(value.strip()) else found[-1]
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _value(spec: ReferenceSpec, out: Output) -> Any:
    if spec.path is None:
        value: Any = out.text
    elif out.json is None:
        return _MISSING
    else:
        value = out.json[0]
        for part in parse_json_path(spec.path):
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return _MISSING
    if spec.extract is None:
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    found = list(_compiled(spec.extract).finditer(text))
    if not found:
        return _MISSING
    m = found[-1] if spec.occurrence == "last" else found[0]
    return m.group(1) if m.re.groups and m.group(1) is not None else m.group(0)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def matches(reference: Any, out: Output, spec: ReferenceSpec) -> bool:
    """Whether ``out`` matches ``reference`` the way ``spec`` says."""
    value = _value(spec, out)
    if value is _MISSING:
        return False
    match = spec.match
    if match == "auto":
        if spec.path is None and spec.extract is None:
            return _auto(reference, out)
        return _auto_value(reference, value)
    if match == "exact":
        if spec.path is not None:
            return _json_same(value, reference)  # a JSON value: type and value
        wanted = reference if isinstance(reference, str) else json.dumps(reference)
        return bool(value.strip() == wanted.strip())
    if match == "numeric":
        got, want = _number(value), _number(reference)
        if got is None or want is None:
            return False
        return math.isclose(got, want, rel_tol=spec.rel_tolerance, abs_tol=spec.tolerance)
    if match == "contains":
        return _contains(normalise(value), normalise(reference))
    if match == "one_of":
        options: Sequence[Any] = reference if isinstance(reference, list) else [reference]
        text = normalise(value)
        return any(text == normalise(option) for option in options)
    return normalise(value) == normalise(reference)  # normalised


def _json_same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _auto_value(reference: Any, value: Any) -> bool:
    if isinstance(value, str) or isinstance(reference, str):
        return normalise(value) == normalise(reference)
    return _json_same(value, reference)


def _auto(reference: Any, out: Output) -> bool:
    """Normalised equality, containment as whole words, or a JSON object's label/first value."""
    doc = out.json[0] if out.json is not None else None
    if isinstance(reference, dict):
        return isinstance(doc, dict) and all(doc.get(k) == v for k, v in reference.items())
    if isinstance(reference, list):
        return bool(doc == reference)
    if isinstance(reference, str) and _BRACKETED.fullmatch(reference.strip()):
        # "[Yes]": the answer is the output's last bracketed marker, not a "yes" (or a
        # "no") anywhere in its reasoning.
        markers = _BRACKETED.findall(out.text)
        return bool(markers) and normalise(markers[-1]) == normalise(reference)
    if isinstance(reference, bool):
        wanted = {"true", "yes"} if reference else {"false", "no"}
    else:
        wanted = {normalise(reference)} - {""}
    if isinstance(doc, dict) and doc:
        # Containment in the raw JSON text would match keys; look at the values instead.
        first = doc.get("label", next(iter(doc.values())))
        values = [first, *(v for v in doc.values() if isinstance(v, str))]
        return any(normalise(v) in wanted for v in values)
    text = normalise(out.text)
    return any(_contains(text, ref) for ref in wanted)


def describe(reference: Any, spec: ReferenceSpec) -> str:
    """``reference answer "billing" (one_of, at $.label)``: the answer and how it is matched."""
    shown = json.dumps(reference, default=str, ensure_ascii=False)
    if len(shown) > 120:
        shown = shown[:117] + "..."
    details: list[str] = [spec.match] if spec.match != "auto" else []
    if spec.path:
        details.append(f"at {spec.path}")
    if spec.extract:
        details.append(f"the {spec.occurrence} match of {spec.extract}")
    return f"reference answer {shown}" + (f" ({', '.join(details)})" if details else "")
