"""Which checks could see a change: coverage per case and per prompt, and baselines that fail
their own contract.

A verdict of COMPATIBLE means "nothing that was watching saw a change". For a free-text
prompt with no contract, no references and no user checks only the zero-config drift
detectors were watching, and a changed fact passes. Each case result records what watched it
(:class:`CaseCoverage`, in ``structural_diff[COVERAGE_KEY]``) and which contract checks every
baseline sample already failed (``structural_diff[BASELINE_FAILURES_KEY]``); the report sums
them per prompt (:func:`prompt_summaries`) into one coverage line and one line per contract
check the baseline fails ("the baseline fails contract.must_match ... on 13 of 13 cases: the
contract or the baseline needs attention").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from promptcompat.checks import checks_python
from promptcompat.contract import Contract

COVERAGE_KEY = "coverage"
"""Where a case result keeps what watched it, inside ``structural_diff``."""
BASELINE_FAILURES_KEY = "baseline_contract_failures"
"""Where a case result keeps the contract checks every baseline sample failed."""

Family = Literal["contract", "structure", "drift", "references", "user_checks", "implicit"]
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


@dataclass(frozen=True)
class CaseCoverage:
    """What could see a change in one case."""

    contract: tuple[str, ...]
    """The declared contract's checks (``format: json``, ``schema``, ``must_match``...)."""
    structure: bool
    """The outputs were compared as parsed JSON (field by field)."""
    reference: bool
    """The case has a reference answer."""
    user_checks: int
    """Check functions of the prompt's ``checks.py``."""
    implicit: tuple[str, ...]
    """What the rendered instructions ask of the format (the implicit contract)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract": list(self.contract),
            "structure": self.structure,
            "reference": self.reference,
            "user_checks": self.user_checks,
            "implicit_contract": list(self.implicit),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseCoverage:
        return cls(
            contract=tuple(data.get("contract", ())),
            structure=bool(data.get("structure", False)),
            reference=bool(data.get("reference", False)),
            user_checks=int(data.get("user_checks", 0)),
            implicit=tuple(data.get("implicit_contract", ())),
        )


def declared_checks(contract: Contract) -> tuple[str, ...]:
    """The checks a declared contract makes, in words (empty: nothing declared)."""
    parts: list[str] = []
    if contract.format == "json":
        parts.append("format: json")
    elif contract.format == "code":
        language = contract.language or "python"
        parts.append(f"format: code ({language}{', parsed' if checks_python(contract) else ''})")
    if contract.json_schema is not None:
        parts.append("schema")
    if contract.must_match:
        parts.append(f"must_match ({len(contract.must_match)})")
    if contract.must_not_match:
        parts.append(f"must_not_match ({len(contract.must_not_match)})")
    if contract.max_output_tokens is not None:
        parts.append("max_output_tokens")
    return tuple(parts)


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


def prompt_summaries(rows: Iterable[_Row]) -> dict[str, dict[str, Any]]:
    """Per prompt of a run: its coverage (line and families), its implicit contract, and the
    contract checks its baseline fails. A/A comparisons are measurements and not counted."""
    cases: dict[str, dict[str, CaseCoverage]] = defaultdict(dict)
    failures: dict[str, dict[tuple[str, str, str | None, str], dict[str, Any]]] = defaultdict(dict)
    baselines: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        if row.direction == "AA":
            continue
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
    out: dict[str, dict[str, Any]] = {}
    for prompt in sorted(set(cases) | set(baselines)):
        coverage = _coverage(list(cases[prompt].values()))
        fails = []
        for entry in failures[prompt].values():
            of = len(baselines[prompt][entry["baseline"]])
            n = len(entry.pop("case_ids"))
            entry |= {"cases": n, "of": of, "line": _failure_line(entry, n, of)}
            fails.append(entry)
        fails.sort(key=lambda e: (-e["cases"], e["rule"], e["path"] or "", e["check"]))
        implicit = list(dict.fromkeys(part for c in cases[prompt].values() for part in c.implicit))
        out[prompt] = {
            "coverage": coverage,
            "implicit_contract": implicit,
            "baseline_fails_contract": fails,
        }
    return out


def _coverage(cases: Sequence[CaseCoverage]) -> dict[str, Any]:
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
        f: {"watched": counts[f] > 0, "cases": counts[f], "of": total, "detail": details[f]}
        for f in FAMILIES
    }
    return {
        "cases": total,
        "families": families,
        "watched": list(watched),
        "inert": list(inert),
        "line": _coverage_line(counts, details, total),
    }


def _coverage_line(
    counts: Mapping[Family, int], details: Mapping[Family, list[str]], total: int
) -> str:
    if not total:
        # Case results stored before coverage was recorded (or only A/A comparisons).
        return "not recorded for this run"
    checked = [f for f in ("contract", "structure", "references", "user_checks") if counts[f]]
    if not checked:
        what = "free-text prompt without contract or references: only zero-config detectors"
        if counts["implicit"]:
            what += " and the implicit contract (" + "; ".join(details["implicit"]) + ")"
        return f"{what} watched it; a changed fact or number passes unseen"
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
    line = "watched by " + "; ".join(parts)
    return line + (f". Inert: {', '.join(inert)}" if inert else "")


def _failure_line(entry: Mapping[str, Any], cases: int, of: int) -> str:
    check = f" `{entry['check']}`" if entry["check"] else ""
    at = f" at {entry['path']}" if entry["path"] else ""
    return (
        f"the baseline ({entry['baseline']}) fails contract {entry['rule']}{check}{at} on "
        f"{cases} of {of} cases: the contract or the baseline needs attention"
    )
