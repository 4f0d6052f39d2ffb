"""Starting a run in a test the way ``promptcompat run`` does: through an ``InlineStarter``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from promptcompat.config import Settings
from promptcompat.replay import Progress, ReplayStats
from promptcompat.replay.plan import Comparison
from promptcompat.runs import InlineStarter, RunRequest
from promptcompat.suite import Suite


def run_inline(
    *,
    engine: Engine,
    suite: Suite,
    request: RunRequest,
    settings: Settings,
    comparisons: Sequence[Comparison] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> tuple[str, ReplayStats]:
    """Start and execute a run here; its id and what its execution did."""
    started = InlineStarter(engine, settings, on_progress=on_progress).start(
        suite=suite, request=request, comparisons=comparisons
    )
    assert started.stats is not None  # no idempotency key: always a new run
    return started.run_id, started.stats
