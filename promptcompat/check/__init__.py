"""check."""

from __future__ import annotations

from promptcompat.check.pr_check import (
    FORMAT,
    CheckOptions,
    PromptChange,
    contract_side,
    diff_suites,
    edited_in_place,
    plan,
    request_side,
    run_check,
)

__all__ = [
    "FORMAT",
    "CheckOptions",
    "PromptChange",
    "contract_side",
    "diff_suites",
    "edited_in_place",
    "plan",
    "request_side",
    "run_check",
]
