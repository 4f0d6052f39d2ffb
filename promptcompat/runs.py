"""One run, start to finish: the core call that the CLI, the API and the worker share.

``prepare_run`` plans the run and writes it to the store (the run, every planned call, its
shards) in one transaction, before anything is called or published. The embedded default
(``run_suite``) then executes every shard in this process; the distributed mode
(``dispatch.submit_run``) publishes the shards to Celery workers instead. Both end in
``execution.finalize_if_complete``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from promptcompat import shards as shard_store
from promptcompat import store
from promptcompat.compat import accepted_targets
from promptcompat.config import Settings
from promptcompat.errors import AuthError, ConflictError, PromptCompatError, StoreError
from promptcompat.execution import execute_shards, fail_run, finalize_if_complete
from promptcompat.leases import Claimer
from promptcompat.models import TERMINAL_STATUSES
from promptcompat.plan import Comparison, PlannedCall, expand_calls, plan_comparisons
from promptcompat.providers import missing_key, no_key_message
from promptcompat.ratelimit import make_limiter
from promptcompat.redaction import SPEC_KEY, spec_entry
from promptcompat.replay import Progress, ReplayStats
from promptcompat.store import VERSIONS_KEY, session_scope
from promptcompat.suite import Suite
from promptcompat.targets import Target
from promptcompat.watch_config import deprecation_warnings

_WRITE_ATTEMPTS = 3


class IdempotencyConflictError(ConflictError):
    """An idempotency key was reused for a different request (HTTP 409 in the API)."""


@dataclass(frozen=True)
class RunRequest:
    """What to replay; the fields mirror ``promptcompat run``'s options."""

    prompts: tuple[str, ...] = ()
    baseline: str | None = None
    candidate: str | None = None
    candidate_version: str | None = None
    samples: int = 1
    labels: dict[str, str] = field(default_factory=dict)
    aa: bool = False
    """A/A: each prompt's deployed version against fresh samples of itself (noise floor)."""

    def digest(self) -> str:
        """Hash of the request: what tells a retried submission from a different one."""
        blob = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class PreparedRun:
    run_id: str
    comparisons: list[Comparison]
    calls: list[PlannedCall]
    shards: list[int] = field(default_factory=list)
    created: bool = True
    """False when an idempotency key matched a run submitted before (nothing was written)."""


def prepare_run(
    *,
    engine: Engine,
    suite: Suite,
    request: RunRequest,
    settings: Settings,
    executor: str = "embedded",
    idempotency_key: str | None = None,
    comparisons: list[Comparison] | None = None,
    project: str | None = None,
    queue: str | None = None,
    require_keys: bool = False,
) -> PreparedRun:
    """Plan the run and write it to the store before anything is called.

    ``comparisons``, when given, replace the planned ones (``check --base`` picks its own).
    ``queue``: the Celery queue a queued run's tasks go to (``reconcile`` works per queue).
    ``require_keys``: the calls run in this process, so a key its environment lacks is an
    error now, before anything is stored (see :func:`require_provider_keys`).

    Raises:
        IdempotencyConflictError: ``idempotency_key`` belongs to a run of another request.
        AuthError: ``require_keys`` and a call the cache cannot answer needs an unset key.
    """
    if request.samples < 1:
        raise PromptCompatError("samples must be at least 1")
    project = project or settings.project
    if idempotency_key is not None and project != "default":
        # Keys are unique store-wide; each project has its own namespace of them.
        idempotency_key = f"{project}/{idempotency_key}"
    if comparisons is None:
        comparisons = plan_comparisons(
            suite,
            prompts=request.prompts,
            baseline=request.baseline,
            candidate=request.candidate,
            candidate_version=request.candidate_version,
            aa=request.aa,
            accepted_targets=accepted_targets(engine, project),
        )
    if not comparisons:
        raise PromptCompatError(
            "nothing to compare: no prompt declares a candidate target or a version newer than "
            "the deployed one (give --candidate or --candidate-version)"
        )
    calls = expand_calls(
        suite, comparisons, samples=request.samples, max_rendered_chars=settings.max_rendered_chars
    )
    if require_keys:
        require_provider_keys(engine=engine, calls=calls, settings=settings)
    spec = {
        "request": asdict(request),
        "comparisons": [c.to_dict() for c in comparisons],
        "modes": {c.prompt: suite.prompts[c.prompt].mode for c in comparisons},
        SPEC_KEY: spec_entry({c.prompt: suite.prompts[c.prompt].redact for c in comparisons}),
    }
    in_run = {c.prompt for c in comparisons}
    # Recorded with the run, so its report warns of a pinned target retiring soon (or retired).
    retiring = [w for w in deprecation_warnings(suite, settings) if w["prompt"] in in_run]
    if retiring:
        spec["deprecations"] = retiring
    if queue is not None:
        spec["queue"] = queue
    used = {(c.prompt, v) for c in comparisons for v in (c.baseline.version, c.candidate.version)}
    # The content each version was planned with: a draft may change before a worker evaluates.
    planned: dict[str, dict[str, str]] = {}
    for p, v in sorted(used):
        planned.setdefault(p, {})[v] = suite.prompts[p].versions[v].content_hash
    spec[VERSIONS_KEY] = planned
    digest = request.digest()
    for attempt in range(_WRITE_ATTEMPTS):
        with session_scope(engine) as session:
            if idempotency_key is not None:
                earlier = store.run_by_idempotency_key(session=session, key=idempotency_key)
                if earlier is not None:
                    if earlier.request_hash != digest:
                        raise IdempotencyConflictError(
                            "this idempotency key was used for a different request",
                            where=f"run {earlier.id}",
                        )
                    return PreparedRun(earlier.id, comparisons, calls, created=False)
        try:
            with session_scope(engine) as session:
                store.record_prompt_versions(
                    session=session,
                    versions=[suite.prompts[p].versions[v] for p, v in sorted(used)],
                )
                run = store.create_run(
                    session=session,
                    spec=spec,
                    total_calls=len({c.key for c in calls}),
                    executor=executor,
                    idempotency_key=idempotency_key,
                    request_hash=digest,
                    project=project,
                )
                shards = shard_store.save_plan(
                    session=session, run_id=run.id, calls=calls, shard_size=settings.shard_size
                )
            return PreparedRun(run.id, comparisons, calls, shards)
        except IntegrityError as exc:
            # A concurrent submission with the same key, or the first record of a prompt
            # version written by another process at the same moment: read again and retry.
            if attempt + 1 == _WRITE_ATTEMPTS:
                raise StoreError(f"could not write the run: {exc.orig}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def require_provider_keys(
    *, engine: Engine, calls: Sequence[PlannedCall], settings: Settings
) -> None:
    """Refuse a run whose calls need a key that is not in this process's environment.

    Without it every call of such a target would fail one by one, and the report would
    count them among the results. Calls the cache answers need no key, so a replay of a
    cached run works without one.

    Raises:
        AuthError: naming the first such target and the variable to set.
    """
    keys_by_target: dict[Target, set[str]] = {}
    for call in calls:
        if call.render_error is None:
            keys_by_target.setdefault(call.target, set()).add(call.key)
    for target, keys in keys_by_target.items():
        env = missing_key(target, settings)
        if env is None:
            continue
        with session_scope(engine) as session:
            answered = store.answered_keys(session=session, keys=sorted(keys))
        if len(answered) < len(keys):
            raise AuthError(no_key_message(env), where=target.label)


async def execute_run(
    prepared: PreparedRun,
    *,
    engine: Engine,
    suite: Suite,
    settings: Settings,
    samples: int,
    on_progress: Callable[[Progress], None] | None = None,
) -> ReplayStats:
    """Replay every shard here, compare, and finish the run (or fail it, with the reason).

    ``samples`` is kept for callers; the run's stored request says how many there are.
    """
    del samples
    run_id = prepared.run_id
    with session_scope(engine) as session:
        store.set_status(session=session, run_id=run_id, status="running", only_from=("pending",))
    total = ReplayStats()
    claimer = Claimer(lease_seconds=settings.lease_seconds)
    limiter = make_limiter(settings, shared=False)
    try:
        while True:
            stats = await execute_shards(
                engine=engine,
                run_id=run_id,
                settings=settings,
                on_progress=on_progress,
                claimer=claimer,
                limiter=limiter,
            )
            _add(total, stats)
            if stats.complete:
                break
            # Another process holds leases on some calls: wait for it (or for them to expire).
            await asyncio.sleep(max(0.05, min(stats.retry_in, settings.lease_seconds)))
        finalize_if_complete(engine=engine, run_id=run_id, settings=settings, suite=suite)
    except BaseException as exc:
        fail_run(
            engine=engine, run_id=run_id, exc=exc, only_from=("pending", "running", "finalizing")
        )
        raise
    finally:
        if limiter is not None:
            await limiter.aclose()
    with session_scope(engine) as session:
        status = store.get_run(session=session, run_id=run_id).status
    if status not in TERMINAL_STATUSES:
        raise StoreError(f"run {run_id} did not finish (status {status})")
    return total


def _add(total: ReplayStats, stats: ReplayStats) -> None:
    if not total.total:
        total.total, total.cached = stats.total, stats.cached
    total.executed += stats.executed
    total.provider_calls += stats.provider_calls
    total.errors += stats.errors
    total.seconds += stats.seconds


def run_suite(
    *,
    engine: Engine,
    suite: Suite,
    request: RunRequest,
    settings: Settings,
    on_progress: Callable[[Progress], None] | None = None,
    comparisons: list[Comparison] | None = None,
) -> tuple[str, ReplayStats]:
    """Prepare and execute a run in this process (the embedded default)."""
    prepared = prepare_run(
        engine=engine,
        suite=suite,
        request=request,
        settings=settings,
        comparisons=comparisons,
        require_keys=True,
    )
    # The planned calls are in the store now, and the execution reads them from there: this
    # copy would only stay alive beside it (tens of MB on a large run).
    prepared.calls = []
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
