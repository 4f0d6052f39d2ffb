"""Run starters: the one way every entry point starts a run.

The CLI (``run``, ``demo``, ``run --queue``), the API, the release watcher and the pull-request
check all hand a request to a :class:`RunStarter`; each starter is one execution mode. All of
them prepare a run through the one call of ``prepare_run`` they share (``RunStarter.start``),
then start it as their mode does:

- :class:`InlineStarter`: the run executes in this process before ``start`` returns;
- :class:`BackgroundStarter`: on a thread of this process (the API's embedded executor);
- :class:`QueueStarter`: on the Celery workers (written first, then published).

The mode is recorded in the run's spec (``Run.spec.execution``). Starting with an idempotency
key that names an earlier run of the same request returns that run and starts nothing.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.replay import Progress, ReplayStats
from promptcompat.replay.plan import Comparison
from promptcompat.runs.background import BackgroundRuns
from promptcompat.runs.dispatch import BrokerUnavailableError, Publisher, enqueue_run
from promptcompat.runs.run import PreparedRun, execute_run, interrupted, prepare_run
from promptcompat.store import session_scope
from promptcompat.store.tables.core import Executor
from promptcompat.store.tables.run_spec import ExecutionMode, RunRequest
from promptcompat.suite import Suite

log = logging.getLogger("promptcompat.runs.starters")


@dataclass(frozen=True)
class StartedRun:
    """What starting a run did."""

    run_id: str
    mode: ExecutionMode
    created: bool = True
    """False: the idempotency key named a run started before, which is returned."""
    published: bool = True
    """A queued run: False when the broker was unreachable; it stays ``pending`` until
    ``reconcile`` publishes it."""
    error: str | None = None
    """Why a queued run was not published."""
    stats: ReplayStats | None = None
    """An inline run: what its execution did (None if it was not executed here)."""

    @property
    def executor(self) -> Executor:
        """The run's ``executor`` column: who executes its calls."""
        return "queue" if self.mode == "queue" else "embedded"


@dataclass
class RunStarter(ABC):
    """Writes a run to the store and starts it in one execution mode.

    Every mode prepares the run the same way, through the one call of ``prepare_run`` in
    :meth:`start`; a mode says only how a prepared run starts (:meth:`_launch`) and what an
    earlier run of the same idempotency key is (:meth:`_earlier`)."""

    engine: Engine
    settings: Settings

    @property
    @abstractmethod
    def mode(self) -> ExecutionMode:
        """The execution mode of the runs this starter starts."""

    def start(
        self,
        *,
        suite: Suite,
        request: RunRequest,
        idempotency_key: str | None = None,
        comparisons: Sequence[Comparison] | None = None,
    ) -> StartedRun:
        """Plan, write and start the run (once per ``idempotency_key``).

        ``comparisons``, when given, replace the planned ones (``check --base`` picks its
        own, the API plans to enforce its size cap).

        Raises:
            IdempotencyConflictError: the key was used before for a different request.
            PromptCompatError: nothing to compare, a malformed target, a missing key...
        """
        prepared = prepare_run(
            engine=self.engine,
            suite=suite,
            request=request,
            settings=self.settings,
            mode=self.mode,
            idempotency_key=idempotency_key,
            comparisons=comparisons,
            require_keys=self._require_keys(),
        )
        if not prepared.created:
            return self._earlier(prepared.run_id)
        return self._launch(prepared, suite)

    def _require_keys(self) -> bool:
        """Whether the calls run in this process, so a missing key is refused up front."""
        return False

    def _earlier(self, run_id: str) -> StartedRun:
        return StartedRun(run_id, self.mode, created=False)

    @abstractmethod
    def _launch(self, prepared: PreparedRun, suite: Suite) -> StartedRun:
        """Start a run just written to the store, in this starter's mode."""


@dataclass
class InlineStarter(RunStarter):
    """Runs execute in this process before ``start`` returns (``run``, ``demo``, ``check``,
    ``watch --once``). Ctrl-C or SIGTERM ends the run ``cancelled`` and raises
    ``RunInterrupted`` saying what it saved."""

    on_progress: Callable[[Progress], None] | None = None
    require_keys: bool = True
    """Refuse, before anything is stored, a run whose calls need a key this process lacks
    (``run.require_provider_keys``)."""

    @property
    def mode(self) -> ExecutionMode:
        return "inline"

    def _require_keys(self) -> bool:
        return self.require_keys

    def _launch(self, prepared: PreparedRun, suite: Suite) -> StartedRun:
        try:
            stats = asyncio.run(
                execute_run(
                    prepared,
                    engine=self.engine,
                    suite=suite,
                    settings=self.settings,
                    on_progress=self.on_progress,
                )
            )
        except KeyboardInterrupt:
            raise interrupted(self.engine, prepared.run_id) from None
        return StartedRun(prepared.run_id, "inline", stats=stats)


@dataclass
class BackgroundStarter(RunStarter):
    """Runs execute on threads of this process (the API's embedded executor): ``start``
    returns once the run is stored."""

    background: BackgroundRuns

    @property
    def mode(self) -> ExecutionMode:
        return "background"

    def _launch(self, prepared: PreparedRun, suite: Suite) -> StartedRun:
        self.background.start(prepared, suite=suite)
        return StartedRun(prepared.run_id, "background")


@dataclass
class QueueStarter(RunStarter):
    """Runs go to the Celery workers (``run --queue``, the beat-scheduled watcher, an API on
    the queue).

    Never half-creates a run: planning errors raise before anything is written, and a broker
    failure after the write leaves a complete ``pending`` run for ``reconcile``.
    """

    publisher: Publisher

    @property
    def mode(self) -> ExecutionMode:
        return "queue"

    def _earlier(self, run_id: str) -> StartedRun:
        with session_scope(self.engine) as session:
            run = store.get_run(session=session, run_id=run_id)
        published = run.status != "pending"
        return StartedRun(run.id, "queue", created=False, published=published)

    def _launch(self, prepared: PreparedRun, suite: Suite) -> StartedRun:
        try:
            enqueue_run(engine=self.engine, run_id=prepared.run_id, publisher=self.publisher)
        except BrokerUnavailableError as exc:
            log.warning("run %s stays pending: %s", prepared.run_id, exc)
            return StartedRun(prepared.run_id, "queue", published=False, error=str(exc))
        return StartedRun(prepared.run_id, "queue")
