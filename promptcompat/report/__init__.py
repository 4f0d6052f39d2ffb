"""report."""

from __future__ import annotations

from promptcompat.report.run_report import (
    FORMAT,
    VERDICTS,
    build_report,
    finding_view,
    prepare_output,
    write_report,
)

__all__ = [
    "FORMAT",
    "VERDICTS",
    "build_report",
    "finding_view",
    "prepare_output",
    "write_report",
]
