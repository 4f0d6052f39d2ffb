"""Verdicts: candidate against baseline per case (structure, contract, drift, references)."""

from __future__ import annotations

from promptcompat.compat.evaluation import accepted_targets, evaluate, request_findings
from promptcompat.compat.judge import QUESTION_VERSION, judge_run
from promptcompat.compat.request_tools import tool_request_findings

__all__ = [
    "QUESTION_VERSION",
    "accepted_targets",
    "evaluate",
    "judge_run",
    "request_findings",
    "tool_request_findings",
]
