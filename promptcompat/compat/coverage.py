"""The checks a declared contract makes, in words: the "contract" part of a case's coverage.

A verdict of COMPATIBLE means "nothing that was watching saw a change". Each case result
records what watched it (:class:`~promptcompat.rules.coverage.CaseCoverage`, in
``structural_diff[COVERAGE_KEY]``) and which contract checks every baseline sample already
failed (``structural_diff[BASELINE_FAILURES_KEY]``); the report sums them per prompt
(``promptcompat.report.coverage``).
"""

from __future__ import annotations

from promptcompat.compat.contract_checks import checks_python
from promptcompat.suite.contract import Contract


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
