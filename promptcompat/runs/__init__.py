"""How a run starts, executes and finishes: the one way every entry point starts a run.

Every entry point (the CLI, the API, the release watcher, the pull-request check) starts a run
through a :class:`RunStarter`: :class:`InlineStarter` (executed here, before ``start``
returns), :class:`BackgroundStarter` (on a thread of this process) or :class:`QueueStarter`
(on the Celery workers).
"""

from __future__ import annotations

from promptcompat.runs.run import (
    IdempotencyConflictError,
    PreparedRun,
    execute_run,
    prepare_run,
)
from promptcompat.runs.starters import (
    BackgroundStarter,
    InlineStarter,
    QueueStarter,
    RunStarter,
    StartedRun,
)
from promptcompat.store.tables.run_spec import ExecutionMode, RunRequest, RunSpec

__all__ = [
    "BackgroundStarter",
    "ExecutionMode",
    "IdempotencyConflictError",
    "InlineStarter",
    "PreparedRun",
    "QueueStarter",
    "RunRequest",
    "RunSpec",
    "RunStarter",
    "StartedRun",
    "execute_run",
    "prepare_run",
]
