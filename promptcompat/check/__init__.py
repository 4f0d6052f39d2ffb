"""The pull-request check: what a change touched, replayed against the accepted snapshots."""

from __future__ import annotations

from promptcompat.check.pr_check import CheckOptions, coverage_lines, run_check

__all__ = [
    "CheckOptions",
    "coverage_lines",
    "run_check",
]
