"""A run's report, built from the store: verdicts, findings, the matrix, pages of results.

``build_report`` builds the typed :class:`RunReport` (``model.py``) in one place; the CLI, the
API and the pull-request check render it, and :meth:`RunReport.to_json` is the JSON report.
"""

from __future__ import annotations

from promptcompat.report.model import (
    CaseView,
    ComparisonView,
    FindingView,
    PromptSummary,
    RunReport,
    TopFinding,
)
from promptcompat.report.run_report import build_report, prepare_output, report_text, write_report

__all__ = [
    "CaseView",
    "ComparisonView",
    "FindingView",
    "PromptSummary",
    "RunReport",
    "TopFinding",
    "build_report",
    "prepare_output",
    "report_text",
    "write_report",
]
