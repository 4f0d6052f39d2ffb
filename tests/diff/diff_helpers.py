"""Shared helpers for the diff tests: build samples and run compare_case tersely."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from promptcompat.compat.diff import CaseDiff, Sample, compare_case
from promptcompat.rules import Finding
from promptcompat.suite.contract import Contract

# Outputs shaped like the simulator's (docs/simulator-protocol.md).
EXTRACTION = {
    "name": "Jane Doe",
    "email": "jane.doe@example.com",
    "phone": "+1 555 123 4567",
    "company": "Acme Corp",
    "age": 34,
    "city": "Berlin",
}
CLASSIFICATION = {"label": "billing", "confidence": 0.9}
LABELS = ["billing", "technical", "account", "shipping", "other"]
CLASSIFICATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["label", "confidence"],
    "properties": {"label": {"enum": LABELS}, "confidence": {"type": "number"}},
}
EXTRACTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "email", "phone", "company", "age", "city"],
    "properties": {
        "name": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
        "phone": {"type": ["string", "null"]},
        "company": {"type": ["string", "null"]},
        "age": {"type": ["integer", "null"]},
        "city": {"type": ["string", "null"]},
    },
}
PRIME_ANSWER = (
    "To check whether 7 is prime, look for divisors between 2 and 6. "
    "None of them divides 7 evenly, so 7 is a prime number. [Yes]"
)
PRIME_PARAPHRASE = (
    "We test the numbers from 2 to 6 as possible divisors of 7. "
    "No number in that range divides it, which makes 7 prime. [Yes]"
)
PRIME_SPANISH = (
    "Para comprobar si 7 es primo, buscamos divisores entre 2 y 6. "
    "Ninguno de ellos divide a 7 exactamente, así que 7 es un número primo. [Yes]"
)
REFUSAL = "I'm sorry, but I can't help with that request."
CODE = (
    "def is_prime(n):\n"
    "    if n < 2:\n        return False\n"
    "    return all(n % d for d in range(2, int(n ** 0.5) + 1))\n"
)
CODE_DOCSTRING = (
    "def is_prime(n):\n"
    '    """Return True when n is a prime number."""\n'
    "    if n < 2:\n        return False\n"
    "    return all(n % d for d in range(2, int(n ** 0.5) + 1))\n"
)


def dumps(value: Any, **kwargs: Any) -> str:
    return json.dumps(value, **kwargs)


def with_changes(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(doc)
    out.update(changes)
    return out


def without(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in keys}


def renamed(doc: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {(new if k == old else k): v for k, v in doc.items()}


def samples(*texts: str | Sample | None) -> list[Sample]:
    return [t if isinstance(t, Sample) else Sample(t) for t in texts]


def compare(
    baseline: str | Sequence[str | Sample | None] | Sample,
    candidate: str | Sequence[str | Sample | None] | Sample,
    contract: Contract | None = None,
    reference: Any | None = None,
    instructions: str | None = None,
) -> CaseDiff:
    def as_list(side: str | Sequence[str | Sample | None] | Sample) -> list[Sample]:
        if isinstance(side, str | Sample):
            return samples(side)
        return samples(*side)

    return compare_case(
        baseline=as_list(baseline),
        candidate=as_list(candidate),
        contract=contract or Contract(),
        reference=reference,
        instructions=instructions,
    )


def rules_of(diff: CaseDiff) -> set[str]:
    return {f.rule for f in diff.findings}


def severities(diff: CaseDiff) -> dict[str, str]:
    """Each rule that fired and its severity."""
    return {f.rule: f.severity for f in diff.findings}


def finding(diff: CaseDiff, rule_id: str, path: str | None = None) -> Finding:
    found = [f for f in diff.findings if f.rule == rule_id and (path is None or f.path == path)]
    assert found, f"{rule_id} {path or ''} not in {[(f.rule, f.path) for f in diff.findings]}"
    return found[0]
