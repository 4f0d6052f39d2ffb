"""cli."""

from __future__ import annotations

from promptcompat.cli.root import (
    EXIT_USAGE_OR_ERROR,
    FAIL_ON_HELP,
    FailOn,
    app,
    console,
    demo,
    err_console,
    lock,
    main,
    report,
    rules,
    run,
    runs,
    simulate,
    validate,
)

__all__ = [
    "EXIT_USAGE_OR_ERROR",
    "FAIL_ON_HELP",
    "FailOn",
    "app",
    "console",
    "demo",
    "err_console",
    "lock",
    "main",
    "report",
    "rules",
    "run",
    "runs",
    "simulate",
    "validate",
]
