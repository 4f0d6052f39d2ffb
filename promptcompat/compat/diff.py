"""Candidate vs baseline for one case: structural diff, contract checks, drift, budgets, verdict.

Every check runs per candidate sample against all baseline samples ("does this sample do
something no baseline sample does?"), and per baseline sample against the other baseline
samples, so each finding carries a candidate rate and the baseline's own rate; the rule
catalog's :func:`~promptcompat.rules.catalog.rate_finding` turns the two rates into a severity.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from promptcompat.compat.contract_checks import (
    contract_events,
    json_equal,
    json_get,
    json_path,
    json_type,
    metadata_events,
    schema_enum,
    short_repr,
    truncation_events,
)
from promptcompat.compat.coverage import declared_checks
from promptcompat.compat.drift import Kind, Output, drift_events, is_enum_like, output_kind
from promptcompat.compat.format_requirements import Instructions
from promptcompat.compat.jsondiff import DiffItem, RawKey, json_diff, raw_changes
from promptcompat.compat.reference import describe as describe_reference
from promptcompat.compat.reference import matches as reference_matches
from promptcompat.rules import (
    Events,
    Finding,
    Silenced,
    Verdict,
    aggregate,
    suppress,
    verdict_for,
)
from promptcompat.rules.coverage import CaseCoverage
from promptcompat.rules.noise import Severity
from promptcompat.suite.contract import Contract
from promptcompat.suite.json_path import PathPart
from promptcompat.suite.turns import Turn
from promptcompat.suite.types import ToolCall
from promptcompat.suite.user_checks import UserCheck

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
    target: str | None = None
    """The target label that was called (model rules compare samples of the same target)."""
    served_model: str | None = None
    fingerprint: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    """The tool calls of the answer, in the order the model made them."""
    refusal: str | None = None
    """The refusal field of a structured-output answer."""
    steps: tuple[Turn, ...] = ()
    """An agent loop's turns, step by step (the sample's own answer is the last one's)."""


@dataclass(frozen=True)
class ReferenceScore:
    """How many answered samples matched the case's reference answer, per side."""

    baseline_matched: int
    baseline_samples: int
    candidate_matched: int
    candidate_samples: int

    def to_dict(self) -> dict[str, list[int]]:
        return {
            "baseline": [self.baseline_matched, self.baseline_samples],
            "candidate": [self.candidate_matched, self.candidate_samples],
        }


@dataclass
class CaseDiff:
    verdict: Verdict
    findings: list[Finding]
    text_diff: str
    structural_diff: dict[str, Any] = field(default_factory=dict)
    reference: ReferenceScore | None = None
    """Set when the case has a reference answer."""
    coverage: CaseCoverage | None = None
    """What could see a change in this case (``promptcompat.compat.coverage``)."""
    baseline_failures: list[dict[str, Any]] = field(default_factory=list)
    """Contract checks every baseline sample fails: ``{rule, path, check, message}``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
            "text_diff": self.text_diff,
            "structural_diff": self.structural_diff,
            "reference": self.reference.to_dict() if self.reference else None,
            "coverage": self.coverage.to_dict() if self.coverage else None,
            "baseline_failures": self.baseline_failures,
        }


def compare_case(
    *,
    baseline: Sequence[Sample],
    candidate: Sequence[Sample],
    contract: Contract,
    reference: Any | None = None,
    case: Any | None = None,
    checks: Sequence[UserCheck] = (),
    silenced: Silenced | None = None,
    instructions: str | None = None,
) -> CaseDiff:
    """Candidate samples against baseline samples of one case.

    Args:
        instructions: The case's rendered instructions (system and user messages of the
            baseline's request). What they ask of the format is the case's implicit contract
            (``format_requirements``); None when unknown (every format the baseline samples
            share then counts as asked).
        reference: The case's reference answer (None: none).
        case: The :class:`~promptcompat.suite.load.Case`, passed to the user ``checks``.
        checks: The prompt's check functions (``checks.py``).
        silenced: What the prompt's policy waives or demotes (``RulePolicy.silences``):
            such a finding absorbs no symptom (``rules.suppress``).
    """
    findings: list[Finding] = []
    errored = any(s.text is None for s in (*baseline, *candidate))
    if errored:
        findings.append(_call_error(baseline, candidate))
    base = [s for s in baseline if s.text is not None]
    cand = [s for s in candidate if s.text is not None]
    text_diff = ""
    structural: dict[str, Any] = {}
    analysis = _Case(
        contract,
        reference,
        base,
        case=case,
        checks=checks,
        silenced=silenced,
        instructions=Instructions(instructions) if instructions is not None else None,
    )
    if base and cand:
        findings.extend(analysis.compare(cand))
        text_diff = unified_diff(_text(base[0]), _text(cand[0]))
        structural = analysis.structural_summary(_text(base[0]), _text(cand[0]))
    score = None
    if reference is not None:
        score = ReferenceScore(
            sum(analysis.reference_ok(_text(s)) for s in base),
            len(base),
            sum(analysis.reference_ok(_text(s)) for s in cand),
            len(cand),
        )
    findings.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], f.rule, f.path or ""))
    coverage = CaseCoverage(
        contract=declared_checks(contract),
        structure=analysis.kind == "json" if base else contract.format == "json",
        reference=reference is not None,
        user_checks=len(checks),
        implicit=tuple(analysis.instructions.requirements.describe())
        if analysis.instructions is not None
        else (),
    )
    return CaseDiff(
        verdict_for(findings, errored=errored),
        findings,
        text_diff,
        structural,
        score,
        coverage,
        analysis.baseline_failures(),
    )


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


class _Case:
    """Per-case caches: each distinct text is analysed once, each text pair diffed once."""

    def __init__(
        self,
        contract: Contract,
        reference: Any | None,
        base: list[Sample],
        *,
        case: Any | None,
        checks: Sequence[UserCheck],
        silenced: Silenced | None = None,
        instructions: Instructions | None = None,
    ) -> None:
        self.contract = contract
        self.instructions = instructions
        self.silenced = silenced
        self.reference = reference
        self.base = base
        self.case = case
        self.checks = checks
        self._outputs: dict[str, Output] = {}
        self._diffs: dict[tuple[str, str], list[DiffItem]] = {}
        self._schema_cache: dict[str, list[tuple[str, str, str]]] = {}
        self._reference_cache: dict[str, bool] = {}
        self._check_cache: dict[str, Events] = {}

    def reference_ok(self, text: str) -> bool:
        ok = self._reference_cache.get(text)
        if ok is None:
            spec = self.contract.reference
            ok = self._reference_cache[text] = reference_matches(
                self.reference, self.output(text), spec
            )
        return ok

    def baseline_failures(self) -> list[dict[str, Any]]:
        """The contract checks (and user checks) every baseline sample fails."""
        if not self.base or not (declared_checks(self.contract) or self.checks):
            return []
        common: dict[tuple[str, str | None, str], str] | None = None
        for sample in self.base:
            out = self.output(sample)
            events = contract_events(
                out,
                contract=self.contract,
                output_tokens=sample.output_tokens,
                schema_cache=self._schema_cache,
            )
            if self.checks:
                events.update(self.user_check_events(out.text))
            common = (
                dict(events) if common is None else {k: v for k, v in common.items() if k in events}
            )
            if not common:
                return []
        assert common is not None
        return [
            {"rule": rule, "path": path, "check": check, "message": message}
            for (rule, path, check), message in sorted(common.items(), key=str)
        ]

    def user_check_events(self, text: str) -> Events:
        events = self._check_cache.get(text)
        if events is None:
            events = {}
            for check in self.checks:
                failure = check.run(text, self.case)
                if failure is not None:
                    events["contract.user_check", check.name, ""] = (
                        f"{check.name} failed: {failure}"
                    )
            self._check_cache[text] = events
        return events

    @cached_property
    def json_is_a_habit(self) -> bool:
        """The baseline answered in JSON, but neither the contract nor the instructions ask
        for it: losing it is a changed habit (``drift.format_changed``), not a break."""
        return (
            self.instructions is not None
            and self.contract.format != "json"
            and not self.instructions.requirements.json_only
        )

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
        check: Callable[[list[Sample], Sample], Events] = metadata_events if same else self.events
        cand_events = [check(self.base, s) for s in cand]
        base_events: list[Events] = []
        # Baseline rates, only when needed: with one baseline sample, only the absolute
        # (contract) checks can fire on it.
        if (len(self.base) > 1 and any(cand_events)) or any(
            key[0].startswith("contract.") for events in cand_events for key in events
        ):
            base_events = [check(self._others(j), s) for j, s in enumerate(self.base)]
        findings = self._covered_by_contract(
            aggregate(cand_events, base_events, len(cand), len(self.base)), cand
        )
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

    def _covered_by_contract(self, findings: list[Finding], cand: list[Sample]) -> list[Finding]:
        """Where the contract covers an aspect, the zero-config detector for it adds no
        BREAKING of its own: the contract's rule says whether the format holds.

        `must_match` patterns are the declared format, so a lost marker or habit is INFO.
        (With `format: code` in Python a fence makes the code invalid: the fence stays the
        one finding, the cause, and ``rules.suppress`` folds `contract.code_invalid` into
        it, so no second BREAKING is added either.) A changed label is a changed *decision*
        (ERR) when it is a choice among options the instructions list (`[Yes]`/`[No]`,
        "positive, negative or neutral"); a label the instructions do not list, or one the
        `must_match` patterns accept without instructions to say more, is a changed answer
        (WARN), like another number.
        """
        covered: dict[str, str] = {}
        if self.contract.must_match:
            covered["drift.format_marker_lost"] = "must_match"
            covered["drift.format_changed"] = "must_match"
        out = []
        for f in findings:
            how = covered.get(f.rule)
            if how is not None and f.severity != "INFO":
                f = replace(
                    f, severity="INFO", message=f"{f.message} (covered by the contract's {how})"
                )
            elif f.rule == "drift.label_changed" and f.severity == "ERR":
                f = self._label_severity(f, findings, cand)
            out.append(f)
        return out

    def _label_severity(self, f: Finding, findings: list[Finding], cand: list[Sample]) -> Finding:
        if self.instructions is not None:
            text = self.instructions.text.casefold()

            def listed(samples: Sequence[Sample]) -> bool:
                labels = {
                    label
                    for s in samples
                    for label in (self.output(s).label, self.output(s).decision)
                    if label is not None
                }
                return bool(labels) and all(
                    re.search(rf"(?<!\w){re.escape(label.casefold())}(?!\w)", text)
                    for label in labels
                )

            if not listed(self.base):
                return replace(
                    f,
                    severity="WARN",
                    message=f"{f.message} (the instructions list no options: a changed answer)",
                )
            how = "another option" if listed(cand) else "not one of the options"
            return replace(f, message=f"{f.message} ({how} the instructions list)")
        if self.contract.must_match and not any(g.rule == "contract.must_match" for g in findings):
            # The contract's patterns declare the allowed answers: a label they accept is a
            # changed answer (like a schema enum value), not an unknown one.
            return replace(f, severity="WARN", message=f"{f.message} (allowed by must_match)")
        return f

    def _others(self, j: int) -> list[Sample]:
        return [r for k, r in enumerate(self.base) if k != j]

    def events(self, refs: list[Sample], sample: Sample) -> Events:
        """Everything ``sample`` does that no sample in ``refs`` does, plus contract checks."""
        out = self.output(sample)
        ref_outs = [self.output(r) for r in refs]
        events: Events = {}
        if self.kind == "json" and ref_outs:
            events.update(self.structural_events(ref_outs, out))
        events.update(
            drift_events(
                ref_outs,
                out,
                self.kind,
                self.instructions,
                json_declared=self.contract.format == "json",
            )
        )
        events.update(
            contract_events(
                out,
                contract=self.contract,
                output_tokens=sample.output_tokens,
                schema_cache=self._schema_cache,
            )
        )
        if self.reference is not None and not self.reference_ok(out.text):
            events["contract.reference_mismatch", None, ""] = (
                f"{describe_reference(self.reference, self.contract.reference)} is not matched"
            )
        if self.checks:
            events.update(self.user_check_events(out.text))
        events.update(truncation_events(refs, sample))
        events.update(metadata_events(refs, sample))
        return suppress(events, silenced=self.silenced)

    def structural_events(self, refs: list[Output], out: Output) -> Events:
        parsed = [r for r in refs if r.json is not None]
        if not parsed:
            return {}
        if out.json is None:
            hint = " (it looks truncated)" if out.text.rstrip()[-1:] not in ("}", "]", "") else ""
            if self.json_is_a_habit:
                return {
                    ("drift.format_changed", None, "json"): "every baseline sample was JSON; this "
                    "output holds none (the instructions do not ask for JSON)"
                }
            return {("json.unparseable", None, ""): f"output no longer parses as JSON{hint}"}
        common: dict[RawKey, tuple[Any, Any]] | None = None
        for ref in parsed:
            assert ref.json is not None
            changes = raw_changes(ref.json[0], out.json[0], self.diff_items(ref, out))
            common = (
                changes if common is None else {k: v for k, v in common.items() if k in changes}
            )
            if not common:
                return {}
        assert common is not None
        return self._classify(common, [r.json[0] for r in parsed if r.json is not None])

    def _classify(self, changes: dict[RawKey, tuple[Any, Any]], ref_docs: list[Any]) -> Events:
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
            elif isinstance(new, bool) and isinstance(old, bool):
                events["json.decision_changed", jp, ""] = (
                    f"{jp} flipped {json.dumps(old)} -> {json.dumps(new)} (a yes/no decision)"
                )
            elif isinstance(new, str) and isinstance(old, str):
                enum_note = self._new_enum_value(path, new, ref_docs, schema)
                option_note = self._other_option(path, old, new, ref_docs, schema)
                if option_note is not None:
                    events["json.decision_changed", jp, ""] = (
                        f"{jp} changed {old!r} -> {new!r} {option_note}"
                    )
                elif enum_note is not None:
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

    def _other_option(
        self,
        path: tuple[PathPart, ...],
        old: str,
        new: str,
        ref_docs: list[Any],
        schema: dict[str, Any] | None,
    ) -> str | None:
        """Why ``old`` -> ``new`` is a choice between allowed options (a decision), or None.

        The schema's `enum` at the path, else the options the instructions spell out
        (``"low" | "medium" | "high"``): both values among them is another decision, not
        free text changing.
        """
        if schema is not None:
            described, allowed = schema_enum(schema, path)
            if described and allowed:
                return "(both in the schema's enum)" if {old, new} <= allowed else None
        values = [json_get(doc, path) for doc in ref_docs]
        if self.instructions is not None and all(is_enum_like(v) for v in [*values, new]):
            text = self.instructions.text
            listed = all(
                re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", text) for v in {*values, new}
            )
            if listed:
                return "(both options the instructions list)"
        return None

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
