"""What could see a change in one case: the record a case result keeps in ``structural_diff``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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
    facts: str = ""
    """The fact diff (``compat.facts``): "checked", "not checked (<language>)" when an output
    is not in English, "" when no output is free text."""
    undecided_facts: tuple[str, ...] = ()
    """Key facts (``facts:`` of the case) the fact diff could not decide: for the judge."""
    request: tuple[str, ...] = ()
    """What the version's request declares that the answers were checked against: its tools
    (``tool.*``) and its ``response_format`` (``structured.*``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract": list(self.contract),
            "structure": self.structure,
            "reference": self.reference,
            "user_checks": self.user_checks,
            "implicit_contract": list(self.implicit),
            "facts": self.facts,
            "undecided_facts": list(self.undecided_facts),
            "request": list(self.request),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseCoverage:
        return cls(
            contract=tuple(data.get("contract", ())),
            structure=bool(data.get("structure", False)),
            reference=bool(data.get("reference", False)),
            user_checks=int(data.get("user_checks", 0)),
            implicit=tuple(data.get("implicit_contract", ())),
            facts=str(data.get("facts", "")),
            undecided_facts=tuple(data.get("undecided_facts", ())),
            request=tuple(data.get("request", ())),
        )
