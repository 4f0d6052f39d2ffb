"""The pull-request check: what a change touched, replayed against the accepted snapshots.

``run_check`` builds the typed :class:`CheckResult` (``result.py``); the CLI, the PR-comment
markdown and the JUnit XML render it, and :meth:`CheckResult.to_json` is the JSON result.
"""

from __future__ import annotations

from promptcompat.check.pr_check import CheckOptions, coverage_lines, run_check
from promptcompat.check.result import CheckResult

__all__ = [
    "CheckOptions",
    "CheckResult",
    "coverage_lines",
    "run_check",
]
