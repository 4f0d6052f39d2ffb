"""Running the labelled corpus through the real comparison code (compare_case, request side)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from corpus_build import build

from promptcompat.compat import request_findings
from promptcompat.compat.diff import Sample, compare_case
from promptcompat.compat.pii_rule import pii_findings
from promptcompat.rules import Finding, verdict_for
from promptcompat.suite import Case
from promptcompat.suite.contract import Contract
from promptcompat.suite.policy import PathOverride, RulePolicy, Waiver
from promptcompat.suite.user_checks import UserCheck, load_checks

HERE = Path(__file__).resolve().parent
_SAMPLE_KEYS = (
    "output_tokens",
    "cost_usd",
    "latency_ms",
    "target",
    "served_model",
    "fingerprint",
    "finish_reason",
)


@dataclass(frozen=True)
class Outcome:
    entry: dict[str, Any]
    verdict: str
    findings: list[Finding]

    @property
    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    @property
    def expected_verdict(self) -> str:
        return str(self.entry["expected"]["verdict"])


@cache
def load_corpus() -> list[dict[str, Any]]:
    return build()


@cache
def _checks() -> dict[str, UserCheck]:
    path = HERE / "corpus_checks.py"
    return {c.name: c for c in load_checks(path, where="tests/compat/corpus_checks.py")}


def _sample(raw: dict[str, Any]) -> Sample:
    if "error" in raw:
        return Sample(text=None, error=raw["error"])
    return Sample(text=raw["text"], **{k: raw[k] for k in _SAMPLE_KEYS if k in raw})


def run_entry(entry: dict[str, Any]) -> Outcome:
    case = Case(
        id=entry["id"].replace("/", "_"),
        vars=entry.get("vars", {}),
        reference=entry.get("reference"),
        facts=tuple(entry.get("facts", ())),
    )
    diff = compare_case(
        baseline=[_sample(s) for s in entry["baseline"]],
        candidate=[_sample(s) for s in entry["candidate"]],
        contract=Contract.model_validate(entry["contract"]),
        reference=entry.get("reference"),
        case=case,
        checks=[_checks()[name] for name in entry.get("checks", [])],
        instructions=entry.get("instructions"),
    )
    findings = list(diff.findings)
    findings += pii_findings(
        [_sample(s) for s in entry["baseline"]], [_sample(s) for s in entry["candidate"]]
    )
    if "variables" in entry:
        findings += request_findings(
            set(entry["variables"]["baseline"]),
            set(entry["variables"]["candidate"]),
            baseline_version="v1",
            candidate_version="v2",
        )
    if "policy" in entry:
        raw = entry["policy"]
        rules = raw.get("rules", {})
        policy = RulePolicy(
            {k: v for k, v in rules.items() if " at " not in k},
            tuple(
                Waiver(w["rule"], w["reason"], date.fromisoformat(w["expires"]), w.get("path"))
                for w in raw.get("waivers", [])
            ),
            tuple(
                PathOverride(*key.split(" at ", 1), severity)
                for key, severity in rules.items()
                if " at " in key
            ),
        )
        findings = policy.apply(
            findings, today=date.fromisoformat(entry["today"]), report_expired=True
        )
    return Outcome(entry, verdict_for(findings, errored=diff.verdict == "ERROR"), findings)


def precision_recall(outcomes: list[Outcome]) -> tuple[float, float, int, int, int]:
    """Of BREAKING: precision, recall, true positives, false positives, false negatives."""
    tp = sum(o.verdict == "BREAKING" and o.expected_verdict == "BREAKING" for o in outcomes)
    fp = sum(o.verdict == "BREAKING" and o.expected_verdict != "BREAKING" for o in outcomes)
    fn = sum(o.verdict != "BREAKING" and o.expected_verdict == "BREAKING" for o in outcomes)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn
