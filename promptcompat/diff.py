"""Candidate vs baseline for one case: structural diff, contract checks, drift, budgets, verdict.

Every check runs per candidate sample against all baseline samples ("does this sample do
something no baseline sample does?"), and per baseline sample against the other baseline
samples, so each finding carries a candidate rate and the baseline's own rate; the rule
catalog's :func:`~promptcompat.rules.rate_finding` turns the two rates into a severity.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from deepdiff import DeepDiff

from promptcompat.checks import (
    PathPart,
    budget_events,
    contract_events,
    json_equal,
    json_get,
    json_path,
    json_type,
    schema_enum,
    short_repr,
)
from promptcompat.contract import Contract
from promptcompat.detectors import Kind, Output, drift_events, is_enum_like, output_kind
from promptcompat.rules import Events, Finding, Severity, Verdict, aggregate, suppress, verdict_for

_DIFF_MAX_CHARS = 200_000
_SEVERITY_ORDER: dict[Severity, int] = {"ERR": 0, "WARN": 1, "INFO": 2}
_OUTPUT_FAMILIES = ("json.", "contract.", "drift.")


@dataclass(frozen=True)
class Sample:
    """One stored output."""

    text: str | None
    error: str | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None


@dataclass
class CaseDiff:
    verdict: Verdict
    findings: list[Finding]
    text_diff: str
    structural_diff: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
            "text_diff": self.text_diff,
            "structural_diff": self.structural_diff,
        }


def compare_case(
    *,
    baseline: Sequence[Sample],
    candidate: Sequence[Sample],
    contract: Contract,
    reference: Any | None = None,
) -> CaseDiff:
    findings: list[Finding] = []
    errored = any(s.text is None for s in (*baseline, *candidate))
    if errored:
        findings.append(_call_error(baseline, candidate))
    base = [s for s in baseline if s.text is not None]
    cand = [s for s in candidate if s.text is not None]
    text_diff = ""
    structural: dict[str, Any] = {}
    if base and cand:
        case = _Case(contract, reference, base)
        findings.extend(case.compare(cand))
        text_diff = unified_diff(_text(base[0]), _text(cand[0]))
        structural = case.structural_summary(_text(base[0]), _text(cand[0]))
    findings.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], f.rule, f.path or ""))
    return CaseDiff(verdict_for(findings, errored=errored), findings, text_diff, structural)


def unified_diff(old: str, new: str) -> str:
    if old == new:
        return ""
    note = ""
    if len(old) > _DIFF_MAX_CHARS or len(new) > _DIFF_MAX_CHARS:
        # difflib is quadratic in the worst case; a 10 MB answer must not stall a run.
        old, new = old[:_DIFF_MAX_CHARS], new[:_DIFF_MAX_CHARS]
        note = f"... (diff of the first {_DIFF_MAX_CHARS} characters only)\n"
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile="baseline", tofile="candidate", lineterm=""
    )
    return "\n".join(lines) + "\n" + note


def _text(sample: Sample) -> str:
    assert sample.text is not None
    return sample.text


def _call_error(baseline: Sequence[Sample], candidate: Sequence[Sample]) -> Finding:
    failed = {
        side: [s for s in samples if s.text is None]
        for side, samples in (("candidate", candidate), ("baseline", baseline))
    }
    message = "; ".join(
        f"{len(f)} {side} call(s) failed: {'; '.join(sorted({s.error or 'unknown' for s in f}))}"
        for side, f in failed.items()
        if f
    )
    hits, base_hits = len(failed["candidate"]), len(failed["baseline"])
    return Finding(
        "call.error", "ERR", message, None, hits, len(candidate), base_hits, len(baseline)
    )


# --- structural diff -----------------------------------------------------------------------

DiffItem = tuple[str, tuple[PathPart, ...], Any, Any]
"""(deepdiff report type, path, old value, new value)."""
_RawKey = tuple[str, tuple[PathPart, ...]]
"""(change kind: removed/added/type/value/array, path)."""


def json_diff(a: Any, b: Any, *, strict: bool = True) -> list[DiffItem]:
    """deepdiff's report for ``DeepDiff(a, b, ignore_order=False, verbose_level=2)``, fast.

    DeepDiff costs ~3 ms per 2 KB document, mostly walking what is equal. So equal subtrees
    are skipped with ``==`` (C speed; ``strict`` adds the walk that tells ``true`` from
    ``1``, which Python conflates), added/removed keys and changed leaves are reported
    directly under deepdiff's report keys, and deepdiff runs only on lists whose items must be
    aligned (other lengths, not a plain append or truncation). Numbers of equal value
    (``1`` vs ``1.0``) are equal in JSON and not reported. tests/diff checks the result
    against DeepDiff itself.
    """
    items: list[DiffItem] = []
    lists: list[tuple[tuple[PathPart, ...], list[Any], list[Any]]] = []
    _walk(a, b, strict, (), items, lists)
    for path, la, lb in lists:
        # threshold 0: report per key even when two dicts share few keys (a renamed field in
        # a two-field object must read as removed + added, not as a replaced object)
        tree = DeepDiff(
            la, lb, ignore_order=False, verbose_level=2, view="tree", threshold_to_diff_deeper=0
        )
        for report, levels in tree.items():
            for level in levels:
                sub = (*path, *level.path(output_format="list"))
                old = None if report.endswith("_added") else level.t1
                new = None if report.endswith("_removed") else level.t2
                items.append((report, sub, old, new))
    return items


def _walk(
    a: Any,
    b: Any,
    strict: bool,
    path: tuple[PathPart, ...],
    items: list[DiffItem],
    lists: list[tuple[tuple[PathPart, ...], list[Any], list[Any]]],
) -> None:
    if a == b and (not strict or json_equal(a, b, strict=True)):
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key, va in a.items():
            if key in b:
                _walk(va, b[key], strict, (*path, key), items, lists)
            else:
                items.append(("dictionary_item_removed", (*path, key), va, None))
        items.extend(
            ("dictionary_item_added", (*path, key), None, vb)
            for key, vb in b.items()
            if key not in a
        )
    elif isinstance(a, list) and isinstance(b, list):
        n = min(len(a), len(b))
        if len(a) == len(b):
            for i in range(n):
                _walk(a[i], b[i], strict, (*path, i), items, lists)
        elif a[:n] == b[:n] and (not strict or json_equal(a[:n], b[:n], strict=True)):
            items.extend(("iterable_item_added", (*path, i), None, b[i]) for i in range(n, len(b)))
            items.extend(
                ("iterable_item_removed", (*path, i), a[i], None) for i in range(n, len(a))
            )
        else:
            lists.append((path, a, b))
    elif not json_equal(a, b):
        report = "type_changes" if type(a) is not type(b) else "values_changed"
        items.append((report, path, a, b))


def _raw_changes(a: Any, b: Any, items: list[DiffItem]) -> dict[_RawKey, tuple[Any, Any]]:
    changes: dict[_RawKey, tuple[Any, Any]] = {}
    for report, path, old, new in items:
        if report == "dictionary_item_removed":
            changes["removed", path] = (old, None)
        elif report == "dictionary_item_added":
            changes["added", path] = (None, new)
        elif report in ("iterable_item_added", "iterable_item_removed"):
            parent = path[:-1]
            changes["array", parent] = (
                len(json_get(a, parent) or ()),
                len(json_get(b, parent) or ()),
            )
        elif report in ("values_changed", "type_changes"):
            if json_equal(old, new):
                continue  # 1 -> 1.0: a reformatting, not a change
            numeric = all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new)
            )
            if report == "values_changed" or numeric or old is None or new is None:
                changes["value", path] = (old, new)
            else:
                changes["type", path] = (old, new)
    return changes


class _Case:
    """Per-case caches: each distinct text is analysed once, each text pair diffed once."""

    def __init__(self, contract: Contract, reference: Any | None, base: list[Sample]) -> None:
        self.contract = contract
        self.reference = reference
        self.base = base
        self._outputs: dict[str, Output] = {}
        self._diffs: dict[tuple[str, str], list[DiffItem]] = {}
        self._schema_cache: dict[str, list[tuple[str, str, str]]] = {}

    @cached_property
    def kind(self) -> Kind:
        return output_kind(self.contract.format, [self.output(s) for s in self.base])

    def output(self, sample: Sample | str) -> Output:
        text = sample if isinstance(sample, str) else _text(sample)
        out = self._outputs.get(text)
        if out is None:
            out = self._outputs[text] = Output(text)
        return out

    def diff_items(self, ref: Output, out: Output) -> list[DiffItem]:
        key = (ref.text, out.text)
        items = self._diffs.get(key)
        if items is None:
            if ref.json is None or out.json is None:
                items = []
            else:
                strict = any("true" in t or "false" in t for t in key)
                items = json_diff(ref.json[0], out.json[0], strict=strict)
            self._diffs[key] = items
        return items

    def compare(self, cand: list[Sample]) -> list[Finding]:
        base_texts = {_text(s) for s in self.base}
        # The same outputs in the same proportions: nothing about the output changed, only
        # metadata can differ. (Baseline texts in other proportions can shift a rate.)
        base_count, cand_count = Counter(map(_text, self.base)), Counter(map(_text, cand))
        same = base_count.keys() == cand_count.keys() and all(
            n * len(self.base) == base_count[t] * len(cand) for t, n in cand_count.items()
        )
        check: Callable[[list[Sample], Sample], Events] = budget_events if same else self.events
        cand_events = [check(self.base, s) for s in cand]
        base_events: list[Events] = []
        # Baseline rates, only when needed: with one baseline sample, only the absolute
        # (contract) checks can fire on it.
        if (len(self.base) > 1 and any(cand_events)) or any(
            key[0].startswith("contract.") for events in cand_events for key in events
        ):
            base_events = [check(self._others(j), s) for j, s in enumerate(self.base)]
        findings = aggregate(cand_events, base_events, len(cand), len(self.base))
        if self.contract.must_match and not any(f.rule == "contract.must_match" for f in findings):
            # The contract's patterns declare the allowed answers: a label they accept is a
            # changed answer (like a schema enum value), not an unknown one.
            findings = [
                replace(f, severity="WARN", message=f"{f.message} (allowed by must_match)")
                if f.rule == "drift.label_changed" and f.severity == "ERR"
                else f
                for f in findings
            ]
        if not same and not any(f.rule.startswith(_OUTPUT_FAMILIES) for f in findings):
            others = [{_text(r) for r in self._others(j)} for j in range(len(self.base))]
            changed = aggregate(
                [_text_changed(base_texts, s) for s in cand],
                [_text_changed(o, s) for o, s in zip(others, self.base, strict=True)]
                if len(self.base) > 1
                else [],
                len(cand),
                len(self.base),
            )
            findings.extend(changed)
        return findings

    def _others(self, j: int) -> list[Sample]:
        return [r for k, r in enumerate(self.base) if k != j]

    def events(self, refs: list[Sample], sample: Sample) -> Events:
        """Everything ``sample`` does that no sample in ``refs`` does, plus contract checks."""
        out = self.output(sample)
        ref_outs = [self.output(r) for r in refs]
        events: Events = {}
        if self.kind == "json" and ref_outs:
            events.update(self.structural_events(ref_outs, out))
        events.update(drift_events(ref_outs, out, self.kind))
        events.update(
            contract_events(
                out,
                contract=self.contract,
                output_tokens=sample.output_tokens,
                reference=self.reference,
                schema_cache=self._schema_cache,
            )
        )
        events.update(budget_events(refs, sample))
        return suppress(events)

    def structural_events(self, refs: list[Output], out: Output) -> Events:
        parsed = [r for r in refs if r.json is not None]
        if not parsed:
            return {}
        if out.json is None:
            hint = " (it looks truncated)" if out.text.rstrip()[-1:] not in ("}", "]", "") else ""
            return {("json.unparseable", None, ""): f"output no longer parses as JSON{hint}"}
        common: dict[_RawKey, tuple[Any, Any]] | None = None
        for ref in parsed:
            assert ref.json is not None
            changes = _raw_changes(ref.json[0], out.json[0], self.diff_items(ref, out))
            common = (
                changes if common is None else {k: v for k, v in common.items() if k in changes}
            )
            if not common:
                return {}
        assert common is not None
        return self._classify(common, [r.json[0] for r in parsed if r.json is not None])

    def _classify(self, changes: dict[_RawKey, tuple[Any, Any]], ref_docs: list[Any]) -> Events:
        events: Events = {}
        added = {path: new for (kind, path), (_, new) in changes.items() if kind == "added"}
        removed = {path: old for (kind, path), (old, _) in changes.items() if kind == "removed"}
        schema = self.contract.json_schema
        for (kind, path), (old, new) in changes.items():
            jp = json_path(path)
            if kind == "removed":
                twins = [
                    p[-1]
                    for p, v in added.items()
                    if p[:-1] == path[:-1] and json_equal(v, old, strict=True)
                ]
                hint = f" (renamed to {twins[0]!r}?)" if len(twins) == 1 else ""
                events["json.field_removed", jp, ""] = f"field {jp} removed{hint}"
            elif kind == "added":
                twins = [
                    p[-1]
                    for p, v in removed.items()
                    if p[:-1] == path[:-1] and json_equal(v, new, strict=True)
                ]
                hint = f" (renamed from {twins[0]!r}?)" if len(twins) == 1 else ""
                events["json.field_added", jp, ""] = f"field {jp} added{hint}"
            elif kind == "type":
                events["json.type_changed", jp, ""] = (
                    f"{jp} changed type {json_type(old)} -> {json_type(new)} "
                    f"({short_repr(old)} -> {short_repr(new)})"
                )
            elif kind == "array":
                events["json.array_length", jp, ""] = f"{jp} has {new} items; baseline {old}"
            elif isinstance(new, str) and isinstance(old, str):
                enum_note = self._new_enum_value(path, new, ref_docs, schema)
                if enum_note is not None:
                    events["json.enum_value_new", jp, ""] = (
                        f"{jp} has new value {new!r} {enum_note}"
                    )
                else:
                    events["json.value_changed", jp, ""] = (
                        f"{jp} changed {short_repr(old)} -> {short_repr(new)}"
                    )
            else:
                events["json.value_changed", jp, ""] = (
                    f"{jp} changed {short_repr(old)} -> {short_repr(new)}"
                )
        return events

    @staticmethod
    def _new_enum_value(
        path: tuple[PathPart, ...], new: str, ref_docs: list[Any], schema: dict[str, Any] | None
    ) -> str | None:
        """Why ``new`` is a new enum value, or None when it is an ordinary value change."""
        if schema is not None:
            described, allowed = schema_enum(schema, path)
            if described:
                if allowed and new not in allowed:
                    return f"(schema enum: {', '.join(sorted(map(repr, allowed)))})"
                return None
        values = [json_get(doc, path) for doc in ref_docs]
        if all(is_enum_like(v) for v in values):
            return f"(baseline only gave {', '.join(sorted({repr(v) for v in values}))})"
        return None

    def structural_summary(self, base_text: str, cand_text: str) -> dict[str, Any]:
        if base_text == cand_text or self.kind != "json":
            return {}
        ref, out = self.output(base_text), self.output(cand_text)
        summary: dict[str, Any] = {}
        for report, path, old, new in self.diff_items(ref, out):
            jp = json_path(path)
            detail: Any
            if report == "type_changes":
                detail = {"old_type": json_type(old), "new_type": json_type(new)}
                detail |= {"old_value": old, "new_value": new}
            elif report == "values_changed":
                detail = {"old_value": old, "new_value": new}
            else:
                detail = new if report.endswith("_added") else old
            summary.setdefault(report, {})[jp] = detail
        return summary


def _text_changed(base_texts: set[str], sample: Sample) -> Events:
    if _text(sample) in base_texts:
        return {}
    return {("text.changed", None, ""): "the output text differs (no other rule fired)"}
