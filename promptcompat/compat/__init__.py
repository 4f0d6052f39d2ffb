"""Verdicts: candidate against baseline per case (structure, contract, drift, references)."""

from __future__ import annotations

from promptcompat.compat.evaluation import accepted_targets, evaluate, request_findings
from promptcompat.compat.fact_extract import Facts
from promptcompat.compat.facts import extract_facts, fact_findings, key_fact_status
from promptcompat.compat.judge import QUESTION_VERSION, judge_run
from promptcompat.compat.request_tools import tool_request_findings

__all__ = [
    "QUESTION_VERSION",
    "Facts",
    "accepted_targets",
    "evaluate",
    "extract_facts",
    "fact_findings",
    "judge_run",
    "key_fact_status",
    "request_findings",
    "tool_request_findings",
]
