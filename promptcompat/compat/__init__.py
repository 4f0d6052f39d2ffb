"""Verdicts: candidate against baseline per case (structure, contract, drift, references)."""

from __future__ import annotations

from promptcompat.compat.evaluation import accepted_targets, evaluate, request_findings
from promptcompat.compat.request_tools import tool_request_findings

__all__ = [
    "accepted_targets",
    "evaluate",
    "request_findings",
    "tool_request_findings",
]
