"""A run's report, built from the store: verdicts, findings, the matrix, pages of results."""

from __future__ import annotations

from promptcompat.report.run_report import build_report, prepare_output, write_report

__all__ = [
    "build_report",
    "prepare_output",
    "write_report",
]
