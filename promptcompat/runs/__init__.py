"""runs."""

from __future__ import annotations

from promptcompat.runs.run import (
    LEASE_POLL_SECONDS,
    IdempotencyConflictError,
    PreparedRun,
    RunRequest,
    execute_run,
    log,
    prepare_run,
    require_provider_keys,
    run_suite,
)

__all__ = [
    "LEASE_POLL_SECONDS",
    "IdempotencyConflictError",
    "PreparedRun",
    "RunRequest",
    "execute_run",
    "log",
    "prepare_run",
    "require_provider_keys",
    "run_suite",
]
