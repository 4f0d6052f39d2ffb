"""How a run starts, executes and finishes: the one way every entry point starts a run."""

from __future__ import annotations

from promptcompat.runs.run import (
    LEASE_POLL_SECONDS,
    IdempotencyConflictError,
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
    "RunRequest",
    "execute_run",
    "log",
    "prepare_run",
    "require_provider_keys",
    "run_suite",
]
