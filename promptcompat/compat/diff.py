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
from functools import cached_property, partial
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
from promptcompat.compat.fact_extract import Facts
from promptcompat.compat.facts import extract_facts, fact_events, key_fact_events
from promptcompat.compat.format_requirements import Instructions, wrapped_value
from promptcompat.compat.jsondiff import DiffItem, RawKey, json_diff, raw_changes
from promptcompat.compat.reference import describe as describe_reference
from promptcompat.compat.reference import matches as reference_matches
from promptcompat.compat.structured import structured_events
from promptcompat.compat.tool_calls import STRUCTURAL_KEY as TOOL_CALLS_KEY
from promptcompat.compat.tool_calls import (
    call_checks,
    call_signature,
    calls_summary,
    canonical_json,
    pretty_calls,
    tool_events,
)
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
from promptcompat.rules.noise import ABSOLUTE_RULES, Severity
from promptcompat.suite.contract import Contract
from promptcompat.suite.json_path import PathPart
from promptcompat.suite.turns import Turn
from promptcompat.suite.types import ResponseFormat, Tool, ToolCall, ToolOrder
from promptcompat.suite.user_checks import UserCheck

_DIFF_MAX_CHARS = 200_000
_LABEL_MAX_WORDS = 4
"""A label from a closed set is a few words; a longer value on a labelled line is prose."""
_QUOTED_OPTION_MAX = 32
"""Characters a capitalised option the instructions quote may have ("Dining")."""
_ITEM_NAMES = frozenset({"title", "name", "id", "sku", "product", "item", "slug", "url"})
"""Keys that name what a list item is: where one changed, the item is another one."""
_SEVERITY_ORDER: dict[Severity, int] = {"ERR": 0, "WARN": 1, "INFO": 2}
_OUTPUT_FAMILIES = ("json.", "contract.", "drift.", "tool.", "structured.", "facts.")
_PARAM_REJECTED = re.compile(
    r"param_rejected: (?:parameter (?P<param>\S+?):? rejected: )?(?P<message>.*)", re.S
)
_FREE_TEXT_MIN_WORDS = 5
"""A JSON string with fewer space-separated words is a value (a name, a label), compared by
the structural diff; from this many on it is free text the fact diff reads."""
_SPACED_STRING = re.compile(r' [^" ]* [^" ]* [^" ]* ')
"""Four spaces with no quote between them: what a JSON string of five words holds (or a gap
between two literals that looks like one). Where none is found, no field is free text and
the document is not walked (a search costs ~10 µs on a 2 KB document, a walk ~90 µs)."""


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


# A word the instructions list as an option sits among separators or quotes ("low, medium or
# high", "P1|P2", "`SAFE`", "(yes/no)", "P1 = any safety hazard"); a name in the data
# ("Marcus: I can pull the numbers") is no option.
_LIST_BEFORE = r"(?:[,|/(\[{\"'\u201c`*-]|\bor|\band)\s*"
_LIST_AFTER = r"\s*(?:[,|/)\]}\"'\u201d`.;*=\u2013\u2014]|\s-\s|\s+or\b|\s+and\b|\Z)"


def _in_a_list(label: str, text: str) -> bool:
    word = re.escape(label)
    return re.search(rf"{_LIST_BEFORE}{word}(?!\w)|(?<!\w){word}{_LIST_AFTER}", text) is not None


def _renamed_items(
    changes: dict[RawKey, tuple[Any, Any]],
) -> dict[tuple[PathPart, ...], set[tuple[PathPart, ...]]]:
    """List items ($[0]) whose naming field changed, each with the paths of those fields
    ($[0].title): once per diff, not per changed field."""
    named: dict[tuple[PathPart, ...], set[tuple[PathPart, ...]]] = {}
    for kind, path in changes:
        if (
            kind == "value"
            and len(path) >= 2
            and isinstance(path[-2], int)
            and str(path[-1]).casefold() in _ITEM_NAMES
        ):
            named.setdefault(path[:-1], set()).add(path)
    return named


def _reordered(changes: dict[RawKey, tuple[Any, Any]]) -> dict[tuple[PathPart, ...], int]:
    """Arrays whose changed items are the same values in other places (`["quality",
    "size_fit"]` -> `["size_fit", "quality"]`), each with the number of items that moved: one
    change of order, not a value (or a listed option) changed at every index."""
    moved: dict[tuple[PathPart, ...], tuple[list[str], list[str]]] = {}
    for (kind, path), (old, new) in changes.items():
        if kind == "value" and path and isinstance(path[-1], int):
            olds, news = moved.setdefault(path[:-1], ([], []))
            olds.append(json.dumps(old, sort_keys=True))
            news.append(json.dumps(new, sort_keys=True))
    return {
        parent: len(olds)
        for parent, (olds, news) in moved.items()
        if len(olds) >= 2 and sorted(olds) == sorted(news) and ("array", parent) not in changes
    }


def _other_item(
    path: tuple[PathPart, ...], renamed: dict[tuple[PathPart, ...], set[tuple[PathPart, ...]]]
) -> bool:
    """``path`` is a field of a list item ($[0].type) whose naming field ($[0].title)
    changed too: the list holds another item there."""
    index = max((i for i, part in enumerate(path) if isinstance(part, int)), default=None)
    if index is None or index == len(path) - 1:
        return False
    return bool(renamed.get(path[: index + 1], set()) - {path})


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
    tools: Sequence[Tool] = (),
    response_format: ResponseFormat | None = None,
    tool_order: ToolOrder = "unordered",
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
        tools: The tools the candidate version declares: calls are checked against their
            schemas (``tool.arguments_invalid``) and names (``tool.undeclared_tool``).
        response_format: The structured output the candidate version requests.
        tool_order: How the calls must line up with the baseline's (the prompt's
            ``tool_order``).
    """
    findings: list[Finding] = []
    # A parameter the candidate model rejects is a finding that names it (BREAKING), not an
    # anonymous failed call (ERROR): the request no longer works on that model.
    rejected = [s for s in candidate if s.text is None and _rejection(s.error) is not None]
    findings.extend(_param_rejected(rejected, len(candidate)))
    failed_baseline = [s for s in baseline if s.text is None]
    failed_candidate = [s for s in candidate if s.text is None and s not in rejected]
    errored = bool(failed_baseline or failed_candidate)
    if errored:
        findings.append(_call_error(failed_baseline, baseline, failed_candidate, candidate))
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
        tools=tuple(tools),
        response_format=response_format,
        tool_order=tool_order,
        tooling=bool(tools) or any(s.tool_calls for s in (*base, *cand)),
    )
    if base and cand:
        findings.extend(analysis.compare(cand))
        text_diff = unified_diff(shown(base[0]), shown(cand[0]))
        structural = analysis.structural_summary(_text(base[0]), _text(cand[0]))
        if analysis.tooling and answer_key(base[0]) != answer_key(cand[0]):
            structural = {**structural, TOOL_CALLS_KEY: _calls_shown(base[0], cand[0])}
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
        facts=analysis.facts_coverage(cand) if base and cand else "",
        undecided_facts=tuple(analysis.undecided_facts),
        request=_request_checks(tools, response_format),
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


def _calls_shown(base: Sample, cand: Sample) -> dict[str, Any]:
    """The two answers' calls as structure; for agent loops that part before their last
    step, the calls of the step where they part (``step``, from 1)."""
    at = first_divergence([base.steps], cand.steps) if base.steps and cand.steps else None
    before_last = at is not None and (at < len(base.steps) - 1 or at < len(cand.steps) - 1)
    if at is not None and before_last and at < len(base.steps) and at < len(cand.steps):
        summary = calls_summary(base.steps[at].tool_calls, cand.steps[at].tool_calls)
        return {**summary, "step": at + 1}
    return calls_summary(base.tool_calls, cand.tool_calls)


def _request_checks(
    tools: Sequence[Tool], response_format: ResponseFormat | None
) -> tuple[str, ...]:
    """The coverage's part of the request: the tools calls were checked against, the
    structured output answers were."""
    found = []
    if tools:
        found.append(f"tool calls ({', '.join(t.name for t in tools)})")
    if response_format is not None:
        found.append(f"structured output (response_format {response_format.name!r})")
    return tuple(found)


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


def shown(sample: Sample) -> str:
    """An answer as the text diff shows it: its text, then its tool calls as structure (the
    tool's name, the arguments as indented JSON) and the refusal field. An agent loop that
    took tool steps shows its whole trajectory, step by step (its answer is the last step),
    so the diff of two loops shows where they part."""
    if len(sample.steps) > 1:
        return "\n".join(
            f"[step {number}]\n{_shown_turn(turn.text, turn.tool_calls, turn.refusal)}"
            for number, turn in enumerate(sample.steps, start=1)
        )
    return _shown_turn(_text(sample), sample.tool_calls, sample.refusal)


def _shown_turn(text: str, calls: tuple[ToolCall, ...], refusal: str | None) -> str:
    parts = [text] if text else []
    if calls:
        parts.append(pretty_calls(calls))
    if refusal is not None:
        parts.append(f"[refusal] {refusal}")
    return "\n".join(parts)


def _turn_sample(turn: Turn) -> Sample:
    return Sample(text=turn.text, tool_calls=turn.tool_calls, refusal=turn.refusal)


def first_divergence(
    refs: Sequence[tuple[Turn, ...]], steps: tuple[Turn, ...], *, ordered: bool = True
) -> int | None:
    """The first step (0-based) of the agent loop ``steps`` that no reference loop took at
    that point (another text, other calls or arguments, ids aside; or no reference loop got
    that far); None when every step matches some reference loop's."""
    for index, turn in enumerate(steps):
        theirs = {
            answer_key(_turn_sample(r[index]), ordered=ordered) for r in refs if len(r) > index
        }
        if answer_key(_turn_sample(turn), ordered=ordered) not in theirs:
            return index
    return None


def answer_key(sample: Sample, *, ordered: bool = True, structured: bool = False) -> str:
    """What an answer says, for telling equal answers apart: the text (``structured``: as
    parsed JSON when it parses, so key order and whitespace do not count), the calls
    without their ids and with arguments parsed, in their order unless not ``ordered``,
    the refusal."""
    if structured and sample.text:
        try:
            doc = json.loads(sample.text)
        except ValueError:
            pass
        else:
            sample = replace(sample, text=canonical_json(doc))
    if len(sample.steps) > 1:
        # An agent loop: the same answer reached through other tool calls is another answer.
        earlier = "\x01".join(
            answer_key(_turn_sample(t), ordered=ordered) for t in sample.steps[:-1]
        )
        final = answer_key(replace(sample, steps=()), ordered=ordered, structured=structured)
        return f"{final}\x00steps\x00{earlier}"
    if not sample.tool_calls and sample.refusal is None:
        return _text(sample)
    signatures = list(map(call_signature, sample.tool_calls))
    calls = "\x00".join(signatures if ordered else sorted(signatures))
    return f"{_text(sample)}\x00{calls}\x00{sample.refusal}"


def _rejection(error: str | None) -> tuple[str | None, str] | None:
    """(parameter, the model's message) of a ``param_rejected`` failure, else None."""
    if error is None or not error.startswith("param_rejected:"):
        return None
    m = _PARAM_REJECTED.match(error)
    if m is None:  # pragma: no cover - the pattern matches every such prefix
        return None
    return m["param"], m["message"].strip()


def _param_rejected(rejected: Sequence[Sample], samples: int) -> list[Finding]:
    by_param: dict[tuple[str | None, str], int] = {}
    for s in rejected:
        found = _rejection(s.error)
        assert found is not None
        by_param[found] = by_param.get(found, 0) + 1
    findings = []
    for (param, message), hits in by_param.items():
        what = f"parameter {param!r}" if param else "a request parameter"
        model = next((s.target for s in rejected if s.target), None)
        who = f"{model} rejects" if model else "the candidate model rejects"
        findings.append(
            Finding(
                "request.param_rejected",
                "ERR",
                f"{who} {what}: {message}",
                param,
                hits,
                samples,
                0,
                0,
            )
        )
    return findings


def _call_error(
    failed_baseline: Sequence[Sample],
    baseline: Sequence[Sample],
    failed_candidate: Sequence[Sample],
    candidate: Sequence[Sample],
) -> Finding:
    failed = {"candidate": failed_candidate, "baseline": failed_baseline}
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
        tools: tuple[Tool, ...] = (),
        response_format: ResponseFormat | None = None,
        tool_order: ToolOrder = "unordered",
        tooling: bool = False,
    ) -> None:
        self.tooling = tooling
        """Tool calls are compared: the version declares tools, or an answer made calls."""
        self.tools = tools
        self.response_format = response_format
        self.tool_order: ToolOrder = tool_order
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
        self._facts: dict[str, Facts] = {}
        self._free_text: dict[str, list[tuple[tuple[PathPart, ...], str]]] = {}
        self.key_facts: tuple[str, ...] = tuple(getattr(case, "facts", ()) or ())
        self.undecided_facts: list[str] = []
        """Key facts the fact diff could not decide on some candidate sample (for the judge)."""

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
            if sample.tool_calls:
                continue  # a turn that calls a tool gives no answer the contract describes
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
        answers = [self.output(s) for s in self.base if not s.tool_calls]
        return output_kind(self.contract.format, answers)

    def output(self, sample: Sample | str) -> Output:
        text = sample if isinstance(sample, str) else _text(sample)
        out = self._outputs.get(text)
        if out is None:
            task = self.instructions.text if self.instructions is not None else None
            out = self._outputs[text] = Output(text, task)
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
        keyed = partial(
            answer_key,
            ordered=self.tool_order == "strict",
            structured=self.response_format is not None,
        )
        base_texts = {keyed(s) for s in self.base}
        # The same outputs in the same proportions: nothing about the output changed, only
        # metadata can differ. (Baseline texts in other proportions can shift a rate.)
        base_count, cand_count = Counter(map(keyed, self.base)), Counter(map(keyed, cand))
        same = base_count.keys() == cand_count.keys() and all(
            n * len(self.base) == base_count[t] * len(cand) for t, n in cand_count.items()
        )
        check: Callable[[list[Sample], Sample], Events] = metadata_events if same else self.events
        cand_events = [check(self.base, s) for s in cand]
        base_events: list[Events] = []
        # Baseline rates, only when needed: with one baseline sample, only the absolute
        # (contract) checks can fire on it.
        if (len(self.base) > 1 and any(cand_events)) or any(
            key[0].startswith("contract.")
            or key[0] in ABSOLUTE_RULES
            or key[0] == "facts.key_fact_missing"
            for events in cand_events
            for key in events
        ):
            base_events = [check(self._others(j), s) for j, s in enumerate(self.base)]
        findings = self._covered_by_contract(
            aggregate(cand_events, base_events, len(cand), len(self.base)), cand
        )
        if not same and not any(f.rule.startswith(_OUTPUT_FAMILIES) for f in findings):
            others = [{keyed(r) for r in self._others(j)} for j in range(len(self.base))]
            changed = aggregate(
                [_text_changed(base_texts, keyed(s)) for s in cand],
                [_text_changed(o, keyed(s)) for o, s in zip(others, self.base, strict=True)]
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

        `must_match` patterns are the declared format, so a lost marker or habit, or talk
        around an answer asked for alone, is INFO.
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
            covered["drift.answer_wrapped"] = "must_match"
        out = []
        for f in findings:
            how = covered.get(f.rule)
            if how is not None and f.severity != "INFO":
                f = replace(
                    f, severity="INFO", message=f"{f.message} (covered by the contract's {how})"
                )
            elif f.rule == "drift.label_changed" and f.severity == "ERR":
                f = self._label_severity(f, findings, cand)
            elif f.rule == "json.field_removed" and self._optional(f.path):
                f = replace(
                    f, severity="WARN", message=f"{f.message} (the instructions call it optional)"
                )
            out.append(f)
        return out

    def _optional(self, path: str | None) -> bool:
        """The instructions describe the field at ``path`` as optional ("repeat: "none" |
        "daily" (optional, default "none")", "color?: string"): leaving it out is allowed."""
        if self.instructions is None or not path or self.contract.json_schema is not None:
            return False
        name = re.escape(path.rsplit(".", 1)[-1].strip("[]'\""))
        return (
            re.search(
                rf"(?<![\w-])[\"'`]?{name}[\"'`]?(?:\?\s*:|[^\n.;,]{{0,60}}?\boptional\b)",
                self.instructions.text,
                re.I,
            )
            is not None
        )

    def _label_severity(self, f: Finding, findings: list[Finding], cand: list[Sample]) -> Finding:
        if self.instructions is not None:
            text = self.instructions.text.casefold()

            req = self.instructions.requirements
            yes_no = self.instructions.yes_no_question

            def listed(samples: Sequence[Sample]) -> bool:
                # The user's yes/no question lists its two answers itself.
                if yes_no and all(self.output(s).yes_no is not None for s in samples):
                    return True
                labels = {
                    label
                    for s in samples
                    for label in (
                        self.output(s).label,
                        self.output(s).decision,
                        req.pick(self.output(s).text),
                        *(wrapped_value(self.output(s).text, w) for w in req.wrappers),
                    )
                    # "" is a wrapper holding more than a short answer; a sentence on a line
                    # of its own ("Reason: ...") is no label either
                    if label and len(label.split()) <= _LABEL_MAX_WORDS
                }
                return bool(labels) and all(_in_a_list(label.casefold(), text) for label in labels)

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
        """Everything ``sample`` does that no sample in ``refs`` does, plus contract checks.

        Tool calls are compared as calls (``tool_calls``); the text rules look only at
        answers without calls, against the reference answers without calls (a turn that
        calls a tool has no answer text to compare; the tool rules say what changed)."""
        events: Events = {}
        if self.tooling:
            events.update(self.trajectory_events(refs, sample))
            events.update(
                tool_events(
                    [r.tool_calls for r in refs],
                    sample.tool_calls,
                    tools=self.tools,
                    order=self.tool_order,
                )
            )
            events.update(call_checks(sample.tool_calls, self.tools))
            text_refs = [r for r in refs if not r.tool_calls]
            if sample.tool_calls or (refs and not text_refs):
                events.update(truncation_events(refs, sample))
                events.update(metadata_events(refs, sample))
                return suppress(events, silenced=self.silenced)
            refs = text_refs
        out = self.output(sample)
        ref_outs = [self.output(r) for r in refs]
        if self.response_format is not None:
            events.update(structured_events(out, sample.refusal, self.response_format))
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
        events.update(self.fact_diff_events(ref_outs, out))
        events.update(truncation_events(refs, sample))
        events.update(metadata_events(refs, sample))
        return suppress(events, silenced=self.silenced)

    def trajectory_events(self, refs: list[Sample], sample: Sample) -> Events:
        """An agent loop that parts from every reference loop before the last step: the tool
        rules on the calls of the first step where it parts (a loop answers from what its
        calls brought back, so later steps differ because of this one). The messages and
        tags name the step. Where the loops part only at their answers, the answers are
        compared as any answer is."""
        ref_steps = [r.steps for r in refs if r.steps]
        if not sample.steps or not ref_steps:
            return {}
        at = first_divergence(ref_steps, sample.steps, ordered=self.tool_order == "strict")
        if at is None:
            return {}
        if at == len(sample.steps) - 1 and all(at == len(r) - 1 for r in ref_steps):
            return {}
        theirs = [r[at].tool_calls for r in ref_steps if len(r) > at]
        if not theirs:
            return {}
        calls = sample.steps[at].tool_calls
        found = tool_events(theirs, calls, tools=self.tools, order=self.tool_order)
        found.update(call_checks(calls, self.tools))
        step = at + 1
        return {
            (rule_id, path, f"step{step}:{tag}"): f"step {step} of the agent loop: {message}"
            for (rule_id, path, tag), message in found.items()
        }

    def free_text(self, out: Output) -> list[tuple[tuple[PathPart, ...], str]]:
        """The free-text fields of a JSON output (none when it is not JSON), once per text."""
        fields = self._free_text.get(out.text)
        if fields is None:
            fields = self._free_text[out.text] = (
                _free_text_fields(out.json[0])
                if out.json is not None and _SPACED_STRING.search(out.text)
                else []
            )
        return fields

    def facts_of(self, text: str) -> Facts:
        facts = self._facts.get(text)
        if facts is None:
            facts = self._facts[text] = extract_facts(text)
        return facts

    @cached_property
    def request_facts(self) -> Facts | None:
        return self.facts_of(self.instructions.text) if self.instructions is not None else None

    def _foreign(self, out: Output) -> str | None:
        """The language of ``out`` when it is not English (the fact diff reads English only)."""
        ranked = out.languages
        if not ranked:
            return None
        top = max(ranked, key=lambda k: ranked[k])
        return None if top == "en" else top

    def fact_diff_events(self, refs: list[Output], out: Output) -> Events:
        """The fact diff (``compat.facts``) on free text: the whole output, or each free-text
        field of a JSON output; and the case's key facts. English only (else no events)."""
        events: Events = {}
        free_text = self.kind == "text" or (self.kind == "json" and bool(self.free_text(out)))
        if not free_text and not self.key_facts:
            return events  # nothing to read: no language model, no extraction (bench/diff.py)
        if self._foreign(out) is not None or any(self._foreign(r) for r in refs):
            # Not read: the key facts are left to the judge, never reported missing.
            self.undecided_facts.extend(f for f in self.key_facts if f not in self.undecided_facts)
            return events
        if refs and self.kind == "text":
            events.update(
                fact_events(
                    [self.facts_of(r.text) for r in refs],
                    self.facts_of(out.text),
                    self.request_facts,
                )
            )
        elif refs and self.kind == "json" and out.json is not None:
            for path, text in self.free_text(out):
                ref_texts = [_string_at(r, path) for r in refs]
                if any(t is None for t in ref_texts):
                    continue
                events.update(
                    fact_events(
                        [self.facts_of(t) for t in ref_texts if t is not None],
                        self.facts_of(text),
                        self.request_facts,
                        path=json_path(path),
                    )
                )
        if self.key_facts:
            found, undecided = key_fact_events(self.key_facts, self.facts_of(out.text))
            events.update(found)
            self.undecided_facts.extend(f for f in undecided if f not in self.undecided_facts)
        return events

    def facts_coverage(self, cand: list[Sample]) -> str:
        """The fact diff's part of the coverage line: "checked", "not checked (<language>)",
        or "" when no output is free text."""
        outs = [self.output(s) for s in (*self.base, *cand)]
        if self.kind == "code" or (
            self.kind == "json" and not any(self.free_text(o) for o in outs)
        ):
            return ""
        foreign = sorted({lang for o in outs if (lang := self._foreign(o)) is not None})
        return f"not checked ({', '.join(foreign)})" if foreign else "checked"

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
        renamed = _renamed_items(changes)
        reordered = _reordered(changes)
        for parent, n in reordered.items():
            jp = json_path(parent)
            events["json.value_changed", jp, ""] = f"{jp} holds the same {n} items in another order"
        for (kind, path), (old, new) in changes.items():
            jp = json_path(path)
            if kind == "value" and path[:-1] in reordered:
                continue
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
            elif isinstance(new, bool) and isinstance(old, bool) and not _other_item(path, renamed):
                events["json.decision_changed", jp, ""] = (
                    f"{jp} flipped {json.dumps(old)} -> {json.dumps(new)} (a yes/no decision)"
                )
            elif isinstance(new, str) and isinstance(old, str):
                if _other_item(path, renamed):
                    # The list item itself is another one (another title in the same place):
                    # its type or category is that item's, not a decision that moved.
                    events["json.value_changed", jp, ""] = (
                        f"{jp} changed {short_repr(old)} -> {short_repr(new)} (another item)"
                    )
                    continue
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
        if self.instructions is None or not all(isinstance(v, str) for v in values):
            return None
        text = self.instructions.text

        def listed(value: str) -> bool:
            if is_enum_like(value):
                return re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text) is not None
            # a capitalised option the instructions quote: "category" (one of "Groceries",
            # "Dining", ...)
            return len(value) <= _QUOTED_OPTION_MAX and (
                re.search(rf"[\"\u201c]{re.escape(value)}[\"\u201d]", text) is not None
            )

        if all(listed(v) for v in {*values, new}):
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
        if path and isinstance(path[-1], int):
            # An item of a list ("topics": ["leaking", ...]) is one of many the model names,
            # not a field's one value from a closed set: another word there is a changed
            # value, unless a schema's enum (above) or the instructions' options say so.
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


def _free_text_fields(doc: Any) -> list[tuple[tuple[PathPart, ...], str]]:
    """The string values of a JSON document long enough to be free text, with their paths."""
    found: list[tuple[tuple[PathPart, ...], str]] = []
    stack: list[tuple[tuple[PathPart, ...], Any]] = [((), doc)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if len([w for w in value.split(" ") if w]) >= _FREE_TEXT_MIN_WORDS:
                found.append((path, value))
        elif isinstance(value, dict):
            stack.extend(((*path, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value))
    found.sort(key=lambda f: str(f[0]))
    return found


def _string_at(out: Output, path: tuple[PathPart, ...]) -> str | None:
    if out.json is None:
        return None
    value = json_get(out.json[0], path)
    return value if isinstance(value, str) else None


def _text_changed(base_texts: set[str], key: str) -> Events:
    if key in base_texts:
        return {}
    return {("text.changed", None, ""): "the output text differs (no other rule fired)"}
