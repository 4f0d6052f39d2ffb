"""One run, start to finish: the core call that the CLI, the API and the worker share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from sqlalchemy import Engine

from promptcompat import store
from promptcompat.compat import evaluate
from promptcompat.config import Settings
from promptcompat.errors import PromptCompatError
from promptcompat.plan import Comparison, PlannedCall, expand_calls, plan_comparisons
from promptcompat.replay import Progress, ReplayStats, replay
from promptcompat.store import session_scope
from promptcompat.suite import Suite


@dataclass(frozen=True)
class RunRequest:
    """What to replay; the fields mirror ``promptcompat run``'s options."""

    prompts: tuple[str, ...] = ()
    baseline: str | None = None
    candidate: str | None = None
    candidate_version: str | None = None
    samples: int = 1
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class PreparedRun:
    run_id: str
    comparisons: list[Comparison]
    calls: list[PlannedCall]


def prepare_run(
    *, engine: Engine, suite: Suite, request: RunRequest, settings: Settings
) -> PreparedRun:
    """Plan the run and write it to the store before anything is called."""
    if request.samples < 1:
        raise PromptCompatError("samples must be at least 1")
    comparisons = plan_comparisons(
        suite,
        prompts=request.prompts,
        baseline=request.baseline,
        candidate=request.candidate,
        candidate_version=request.candidate_version,
    )
    if not comparisons:
        raise PromptCompatError(
            "nothing to compare: no prompt declares a candidate target or a version newer than "
            "the deployed one (give --candidate or --candidate-version)"
        )
    calls = expand_calls(
        suite, comparisons, samples=request.samples, max_rendered_chars=settings.max_rendered_chars
    )
    spec = {
        "request": asdict(request),
        "comparisons": [c.to_dict() for c in comparisons],
        "modes": {c.prompt: suite.prompts[c.prompt].mode for c in comparisons},
    }
    with session_scope(engine) as session:
        used = {
            (c.prompt, v) for c in comparisons for v in (c.baseline.version, c.candidate.version)
        }
        store.record_prompt_versions(
            session=session,
            versions=[suite.prompts[p].versions[v] for p, v in sorted(used)],
        )
        run = store.create_run(session=session, spec=spec, total_calls=len(calls))
    return PreparedRun(run.id, comparisons, calls)


async def execute_run(
    prepared: PreparedRun,
    *,
    engine: Engine,
    suite: Suite,
    settings: Settings,
    samples: int,
    on_progress: Callable[[Progress], None] | None = None,
) -> ReplayStats:
    """Replay the calls, compare, and mark the run finished (or failed, with the reason)."""
    try:
        stats = await replay(
            prepared.calls,
            engine=engine,
            run_id=prepared.run_id,
            settings=settings,
            on_progress=on_progress,
        )
        evaluate(
            engine=engine,
            run_id=prepared.run_id,
            suite=suite,
            comparisons=prepared.comparisons,
            calls=prepared.calls,
            samples=samples,
        )
    except BaseException as exc:
        with session_scope(engine) as session:
            store.finish_run(
                session=session,
                run_id=prepared.run_id,
                status="failed",
                error=str(exc) or type(exc).__name__,
            )
        raise
    errors = stats.errors + sum(1 for c in prepared.calls if c.render_error is not None)
    with session_scope(engine) as session:
        store.finish_run(
            session=session,
            run_id=prepared.run_id,
            status="completed_with_errors" if errors else "completed",
        )
    return stats


def run_suite(
    *,
    engine: Engine,
    suite: Suite,
    request: RunRequest,
    settings: Settings,
    on_progress: Callable[[Progress], None] | None = None,
) -> tuple[str, ReplayStats]:
    """Prepare and execute a run in this process (the embedded default)."""
    prepared = prepare_run(engine=engine, suite=suite, request=request, settings=settings)
    stats = asyncio.run(
        execute_run(
            prepared,
            engine=engine,
            suite=suite,
            settings=settings,
            samples=request.samples,
            on_progress=on_progress,
        )
    )
    return prepared.run_id, stats
