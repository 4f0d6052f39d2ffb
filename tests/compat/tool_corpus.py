"""The tool-call and structured-output corpus (tests/compat/tools/pairs.jsonl): its record
schema, and each pair run through the real comparison code (compare_case, the request side,
the rule policy). ``python tests/compat/tool_corpus.py`` prints the figures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.compat.request_tools import tool_request_findings
from promptcompat.rules import Finding, verdict_for
from promptcompat.suite import PromptVersion, ResponseFormat, Tool, ToolCall
from promptcompat.suite.contract import Contract
from promptcompat.suite.policy import PathOverride, RulePolicy
from promptcompat.suite.types import ToolOrder

PAIRS_FILE = Path(__file__).resolve().parent / "tools" / "pairs.jsonl"
Verdict = Literal["COMPATIBLE", "CHANGED", "BREAKING", "ERROR"]
Aspect = Literal[
    "format_noise",
    "noise",
    "argument",
    "text_vs_call",
    "tool_choice",
    "parallel",
    "order",
    "structured",
    "param_rejected",
    "request",
]
Tag = Literal["format_noise", "reordering", "known_miss"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RawCall(_Model):
    id: str
    name: str
    arguments: str
    """The raw arguments string, as the model wrote it."""


class RawSample(_Model):
    text: str | None = None
    tool_calls: list[RawCall] = []
    refusal: str | None = None
    finish_reason: str | None = None
    error: str | None = None


class RawTool(_Model):
    name: str
    description: str
    parameters: dict[str, Any]


class RawFormat(_Model):
    kind: Literal["json_schema", "json_object"]
    name: str
    strict: bool
    schema_: dict[str, Any] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def __init__(self, **data: Any) -> None:
        if "schema" in data:
            data["schema_"] = data.pop("schema")
        super().__init__(**data)


class Before(_Model):
    """The baseline version's request where it differs from the candidate's."""

    tools: list[RawTool] | None = None
    response_format: RawFormat | None = None


class Expected(_Model):
    verdict: Verdict
    rules: list[str]
    reason: str


class Pair(_Model):
    id: str
    aspect: Aspect
    tags: list[Tag]
    instructions: str
    tools: list[RawTool]
    response_format: RawFormat | None
    tool_order: ToolOrder
    policy: dict[str, Any] | None
    before: Before | None
    baseline: list[RawSample]
    candidate: list[RawSample]
    expected: Expected


@cache
def load() -> list[Pair]:
    lines = PAIRS_FILE.read_text(encoding="utf-8").splitlines()
    return [Pair.model_validate(json.loads(line)) for line in lines if line.strip()]


def _tool(raw: RawTool) -> Tool:
    return Tool(raw.name, raw.description, raw.parameters)


def _format(raw: RawFormat | None) -> ResponseFormat | None:
    if raw is None:
        return None
    return ResponseFormat(raw.kind, raw.name, raw.schema_, raw.strict)


def _call(raw: RawCall) -> ToolCall:
    # What the providers store: the arguments parsed when they parse, else None.
    try:
        parsed: Any = json.loads(raw.arguments)
    except ValueError:
        parsed = None
    return ToolCall(raw.id, raw.name, parsed, raw.arguments)


def _sample(raw: RawSample) -> Sample:
    if raw.error is not None:
        return Sample(text=None, error=raw.error)
    return Sample(
        text=raw.text or "",
        finish_reason=raw.finish_reason,
        tool_calls=tuple(map(_call, raw.tool_calls)),
        refusal=raw.refusal,
    )


def _version(name: str, tools: list[RawTool], fmt: RawFormat | None) -> PromptVersion:
    return PromptVersion(
        prompt="corpus",
        version=name,
        messages=(),
        variables=(),
        content_hash=name,
        path=Path(f"{name}.yaml"),
        tools=tuple(map(_tool, tools)),
        response_format=_format(fmt),
    )


def _policy(raw: dict[str, Any]) -> RulePolicy:
    rules: dict[str, Any] = raw.get("rules", {})
    return RulePolicy(
        {k: v for k, v in rules.items() if " at " not in k},
        (),
        tuple(
            PathOverride(*key.split(" at ", 1), severity)
            for key, severity in rules.items()
            if " at " in key
        ),
    )


@dataclass(frozen=True)
class Outcome:
    pair: Pair
    verdict: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    @property
    def rules_ok(self) -> bool:
        return set(self.pair.expected.rules) <= self.rules


def run(pair: Pair) -> Outcome:
    baseline = [_sample(s) for s in pair.baseline]
    candidate = [_sample(s) for s in pair.candidate]
    diff = compare_case(
        baseline=baseline,
        candidate=candidate,
        contract=Contract(),
        instructions=pair.instructions,
        tools=tuple(map(_tool, pair.tools)),
        response_format=_format(pair.response_format),
        tool_order=pair.tool_order,
    )
    findings = list(diff.findings)
    if pair.before is not None:
        before = _version(
            "v1",
            pair.before.tools if pair.before.tools is not None else pair.tools,
            pair.before.response_format
            if pair.before.response_format is not None
            else pair.response_format,
        )
        after = _version("v2", pair.tools, pair.response_format)
        findings += tool_request_findings(
            before, after, baseline_version="v1", candidate_version="v2", samples=len(candidate)
        )
    if pair.policy is not None:
        findings = _policy(pair.policy).apply(findings, today=date(2026, 3, 10))
    return Outcome(pair, verdict_for(findings, errored=diff.verdict == "ERROR"), findings)


@dataclass(frozen=True)
class Figures:
    pairs: int
    precision: float
    recall: float
    tp: int
    fp: int
    fn: int
    verdicts_agree: int
    rules_agree: int


def figures(outcomes: list[Outcome]) -> Figures:
    tp = sum(o.verdict == "BREAKING" and o.pair.expected.verdict == "BREAKING" for o in outcomes)
    fp = sum(o.verdict == "BREAKING" and o.pair.expected.verdict != "BREAKING" for o in outcomes)
    fn = sum(o.verdict != "BREAKING" and o.pair.expected.verdict == "BREAKING" for o in outcomes)
    return Figures(
        len(outcomes),
        tp / (tp + fp) if tp + fp else 1.0,
        tp / (tp + fn) if tp + fn else 1.0,
        tp,
        fp,
        fn,
        sum(o.verdict == o.pair.expected.verdict for o in outcomes),
        sum(o.rules_ok for o in outcomes),
    )


if __name__ == "__main__":
    outcomes = [run(p) for p in load()]
    f = figures(outcomes)
    print(
        f"{f.pairs} pairs: BREAKING precision {f.precision:.3f} recall {f.recall:.3f} "
        f"(tp {f.tp}, fp {f.fp}, fn {f.fn}); verdict agrees {f.verdicts_agree}/{f.pairs}, "
        f"expected rules found {f.rules_agree}/{f.pairs}"
    )
    for o in outcomes:
        if o.verdict != o.pair.expected.verdict or not o.rules_ok:
            print(
                f"  {o.pair.id}: expected {o.pair.expected.verdict} {o.pair.expected.rules}, "
                f"got {o.verdict} {sorted((x.rule, x.severity) for x in o.findings)}"
            )
