"""Submitting a run on behalf of a client: checked, then started through a run starter.

The API calls this; it decides nothing the CLI's ``run`` would decide differently, except
that a client's targets are held to the egress allowlist and the run to a size cap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Engine

from promptcompat.compat import accepted_targets
from promptcompat.config import Settings
from promptcompat.errors import ConfigError, LimitError
from promptcompat.replay.plan import plan_comparisons
from promptcompat.runs.egress import check_client_target
from promptcompat.runs.starters import RunStarter, StartedRun
from promptcompat.store import audit, session_scope
from promptcompat.store.tables.run_spec import RunRequest
from promptcompat.suite import Suite
from promptcompat.suite.selection import select_suite


def submit(
    *,
    engine: Engine,
    suite: Suite,
    request: RunRequest,
    settings: Settings,
    starter: RunStarter,
    actor: str,
    cases: Sequence[str] = (),
    mode: str | None = None,
    idempotency_key: str | None = None,
    allowed_base_urls: Sequence[str] = (),
    server_key_base_urls: Sequence[str] = (),
) -> StartedRun:
    """Check a client's run, start it with ``starter`` and audit its creation.

    A client's target with a ``base_url`` is called without the server's key unless that
    base URL is on ``server_key_base_urls`` (see ``egress``).

    Raises:
        ConfigError: a target is malformed or not allowed, or no case matches.
        LimitError: the run could make more calls than ``settings.api_max_run_calls``.
        IdempotencyConflictError: the key was used for a different request.
    """

    def checked(spec: str | None) -> str | None:
        if spec is None:
            return None
        target = check_client_target(
            spec, allowed_base_urls=allowed_base_urls, server_key_base_urls=server_key_base_urls
        )
        # The run is planned, and its workers call, from this string: it must say api_key=none
        # when the server's key is withheld (otherwise the client's spelling is kept).
        return target.spec if target.keyless and "api_key=" not in spec else spec

    request = request.model_copy(
        update={"baseline": checked(request.baseline), "candidate": checked(request.candidate)}
    )
    if (cases or mode) and starter.mode == "queue":
        raise ConfigError(
            "case selection and a mode override need the embedded executor: the queue's "
            "workers evaluate with the whole suite",
            where="cases" if cases else "mode",
        )
    narrowed = select_suite(suite, cases=cases, mode=mode)
    if cases or mode:
        labels = dict(request.labels)
        if cases:
            labels["cases"] = json.dumps(list(cases))
        if mode:
            labels["mode"] = mode
        request = request.model_copy(update={"labels": labels})
    # Planned once, here: the cap is checked on the comparisons the run is started with.
    comparisons = plan_comparisons(
        narrowed,
        prompts=request.prompts,
        baseline=request.baseline,
        candidate=request.candidate,
        candidate_version=request.candidate_version,
        aa=request.aa,
        accepted_targets=accepted_targets(engine, settings.project),
    )
    # Each comparison calls at most both of its sides for every case and sample.
    most = sum(2 * len(narrowed.prompts[c.prompt].cases) * request.samples for c in comparisons)
    if most > settings.api_max_run_calls:
        raise LimitError(
            f"this run could make up to {most} calls; the limit is {settings.api_max_run_calls} "
            "(choose fewer prompts, cases or samples)"
        )
    started = starter.start(
        suite=narrowed,
        request=request,
        idempotency_key=idempotency_key,
        comparisons=comparisons,
    )
    if started.created:
        with session_scope(engine) as session:
            audit.record(
                session=session,
                actor=actor,
                action="run.create",
                run_id=started.run_id,
                subject=started.run_id,
                detail={"request": request.model_dump(mode="json"), "executor": started.executor},
                project=settings.project,
            )
    return started
