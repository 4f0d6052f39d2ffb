"""Verdicts: candidate against baseline per case (structure, contract, drift, references)."""

from __future__ import annotations

from promptcompat.compat.evaluation import accepted_targets, evaluate, request_findings
from promptcompat.compat.fact_extract import Facts
from promptcompat.compat.facts import extract_facts, fact_findings, key_fact_status

__all__ = [
    "Facts",
    "accepted_targets",
    "evaluate",
    "extract_facts",
    "fact_findings",
    "key_fact_status",
    "request_findings",
]
