"""How a run starts, executes and finishes: the one way every entry point starts a run."""

from __future__ import annotations

from promptcompat.runs.run import (
    IdempotencyConflictError,
    RunRequest,
    execute_run,
    prepare_run,
    run_suite,
)

__all__ = [
    "IdempotencyConflictError",
    "RunRequest",
    "execute_run",
    "prepare_run",
    "run_suite",
]
