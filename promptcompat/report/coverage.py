"""Coverage per prompt of a run: which check families watched it, which were inert, and the
contract checks its baseline fails (summed from each case's :class:`CaseCoverage`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from promptcompat.report.model import (
    BaselineContractFailure,
    CoverageFamily,
    FactsCoverage,
    Family,
    PromptCoverage,
    PromptSummary,
)
from promptcompat.rules.coverage import CaseCoverage
from promptcompat.store.tables.core import BASELINE_FAILURES_KEY, COVERAGE_KEY

FAMILIES: tuple[Family, ...] = (
    "contract",
    "structure",
    "drift",
    "references",
    "user_checks",
    "implicit",
)


_NAMES: dict[Family, str] = {
    "contract": "contract",
    "structure": "structure (parsed JSON)",
    "drift": "zero-config drift detectors",
    "references": "reference answers",
    "user_checks": "user checks",
    "implicit": "implicit contract from the instructions",
}


_JUDGED_KEYS = frozenset({"judge", "judge_fields"})
"""``compat.judge.JUDGE_KEY`` and ``JUDGE_FIELDS_KEY``: the case was read by the judge."""
_JUDGED_FACTS_KEY = "judge_facts"
"""``compat.judge.JUDGE_FACTS_KEY``: the judge's answers on a case's undecided key facts."""


class _Row(Protocol):
    @property
    def prompt(self) -> str: ...
    @property
    def case_id(self) -> str: ...
    @property
    def baseline_version(self) -> str: ...
    @property
    def baseline_target(self) -> str: ...
    @property
    def direction(self) -> str: ...
    @property
    def structural_diff(self) -> dict[str, Any]: ...


def prompt_summaries(rows: Iterable[_Row]) -> dict[str, PromptSummary]:
    """Per prompt of a run: its coverage (line and families), its implicit contract, and the
    contract checks its baseline fails. A/A comparisons are measurements and not counted."""
    cases: dict[str, dict[str, CaseCoverage]] = defaultdict(dict)
    failures: dict[str, dict[tuple[str, str, str | None, str], dict[str, Any]]] = defaultdict(dict)
    baselines: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    judged: dict[str, set[str]] = defaultdict(set)
    judged_facts: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.direction == "AA":
            continue
        if _JUDGED_KEYS & row.structural_diff.keys():
            judged[row.prompt].add(row.case_id)
        judged_facts[row.prompt] += len(row.structural_diff.get(_JUDGED_FACTS_KEY) or {})
        raw = row.structural_diff.get(COVERAGE_KEY)
        if isinstance(raw, dict):
            cases[row.prompt].setdefault(row.case_id, CaseCoverage.from_dict(raw))
        side = f"{row.baseline_version} @ {row.baseline_target}"
        baselines[row.prompt][side].add(row.case_id)
        for failure in row.structural_diff.get(BASELINE_FAILURES_KEY, ()):
            key = (side, failure["rule"], failure.get("path"), failure.get("check", ""))
            entry = failures[row.prompt].setdefault(
                key,
                {
                    "baseline": side,
                    "rule": failure["rule"],
                    "path": failure.get("path"),
                    "check": failure.get("check", ""),
                    "message": failure.get("message", ""),
                    "case_ids": set(),
                },
            )
            entry["case_ids"].add(row.case_id)
    out: dict[str, PromptSummary] = {}
    for prompt in sorted(set(cases) | set(baselines)):
        coverage = _coverage(list(cases[prompt].values()))
        fails = []
        for entry in failures[prompt].values():
            of = len(baselines[prompt][entry["baseline"]])
            n = len(entry.pop("case_ids"))
            line = _failure_line(entry, n, of)
            fails.append(BaselineContractFailure(**entry, cases=n, of=of, line=line))
        fails.sort(key=lambda e: (-e.cases, e.rule, e.path or "", e.check))
        implicit = list(dict.fromkeys(part for c in cases[prompt].values() for part in c.implicit))
        if judged[prompt] or judged_facts[prompt]:
            # The judge (compat/judge.py) read what no deterministic rule decided.
            n, k = len(judged[prompt]), judged_facts[prompt]
            read = [f"{n} changed case{'s' if n != 1 else ''}"] if n else []
            read += [f"{k} undecided key fact{'s' if k != 1 else ''}"] if k else []
            line = f"{coverage.line}. The judge read {' and '.join(read)}"
            coverage = coverage.model_copy(update={"judged": n, "judged_facts": k, "line": line})
        out[prompt] = PromptSummary(
            coverage=coverage, implicit_contract=implicit, baseline_fails_contract=fails
        )
    return out


def _coverage(cases: Sequence[CaseCoverage]) -> PromptCoverage:
    total = len(cases)
    counts: dict[Family, int] = {
        "contract": sum(bool(c.contract) for c in cases),
        "structure": sum(c.structure for c in cases),
        "drift": total,
        "references": sum(c.reference for c in cases),
        "user_checks": sum(c.user_checks > 0 for c in cases),
        "implicit": sum(bool(c.implicit) for c in cases),
    }
    details: dict[Family, list[str]] = {
        "contract": list(dict.fromkeys(p for c in cases for p in c.contract)),
        "structure": [],
        "drift": [],
        "references": [],
        "user_checks": [],
        "implicit": list(dict.fromkeys(p for c in cases for p in c.implicit)),
    }
    watched = [f for f in FAMILIES if counts[f]]
    inert = [f for f in FAMILIES if not counts[f]]
    families = {
        f: CoverageFamily(watched=counts[f] > 0, cases=counts[f], of=total, detail=details[f])
        for f in FAMILIES
    }
    facts = _facts_summary(cases)
    return PromptCoverage(
        cases=total,
        families=families,
        watched=watched,
        inert=inert,
        facts=facts,
        line=_coverage_line(
            counts, details, total, facts, list(dict.fromkeys(p for c in cases for p in c.request))
        ),
    )


def _facts_summary(cases: Sequence[CaseCoverage]) -> FactsCoverage:
    """What the fact diff (``compat.facts``) read: cases checked, cases not checked because an
    output is not English (per language), and the key facts it left undecided (for a judge)."""
    not_checked: dict[str, int] = defaultdict(int)
    for c in cases:
        if c.facts.startswith("not checked"):
            for lang in c.facts.removeprefix("not checked (").rstrip(")").split(", "):
                not_checked[lang] += 1
    return FactsCoverage(
        checked=sum(c.facts == "checked" for c in cases),
        not_checked=dict(sorted(not_checked.items())),
        not_checked_cases=sum(c.facts.startswith("not checked") for c in cases),
        undecided_facts=sum(len(c.undecided_facts) for c in cases),
    )


def _facts_line(facts: FactsCoverage, total: int) -> str:
    parts = []
    if facts.checked:
        on = "" if facts.checked == total else f" on {facts.checked} of {total} cases"
        parts.append(f"the fact diff compared numbers, dates, names and negations{on}")
    if facts.not_checked_cases:
        langs = ", ".join(facts.not_checked)
        parts.append(
            f"facts not checked on {facts.not_checked_cases} of {total} cases "
            f"(not English: {langs})"
        )
    if facts.undecided_facts:
        parts.append(f"{facts.undecided_facts} key fact(s) undecided (for a judge)")
    return "; ".join(parts)


def _coverage_line(
    counts: Mapping[Family, int],
    details: Mapping[Family, list[str]],
    total: int,
    facts: FactsCoverage | None = None,
    request: Sequence[str] = (),
) -> str:
    if not total:
        # Case results stored before coverage was recorded (or only A/A comparisons).
        return "not recorded for this run"
    checked = [f for f in ("contract", "structure", "references", "user_checks") if counts[f]]
    if not checked and not request:
        what = "free-text prompt without contract or references: only zero-config detectors"
        if counts["implicit"]:
            what += " and the implicit contract (" + "; ".join(details["implicit"]) + ")"
        facts_line = _facts_line(facts, total) if facts else ""
        if facts and facts.checked:
            return (
                f"{what} watched it; {facts_line} (a change of meaning without one passes unseen)"
            )
        return f"{what} watched it; a changed fact or number passes unseen" + (
            f"; {facts_line}" if facts_line else ""
        )
    parts = []
    for family in FAMILIES:
        n = counts[family]
        if not n:
            continue
        text = _NAMES[family]
        if details[family]:
            text += " (" + ", ".join(details[family]) + ")"
        if n < total:
            text += f" on {n} of {total} cases"
        parts.append(text)
    inert = [_NAMES[f] for f in FAMILIES if not counts[f]]
    # Tool calls and structured outputs: checked against what the request declares.
    line = "watched by " + "; ".join([*request, *parts])
    facts_line = _facts_line(facts, total) if facts else ""
    if facts_line:
        line += f"; {facts_line}"
    return line + (f". Inert: {', '.join(inert)}" if inert else "")


def _failure_line(entry: Mapping[str, Any], cases: int, of: int) -> str:
    check = f" `{entry['check']}`" if entry["check"] else ""
    at = f" at {entry['path']}" if entry["path"] else ""
    return (
        f"the baseline ({entry['baseline']}) fails contract {entry['rule']}{check}{at} on "
        f"{cases} of {of} cases: the contract or the baseline needs attention"
    )
