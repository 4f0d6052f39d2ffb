"""Runs executed in this process, off the caller's thread: the API's embedded default
(``starters.BackgroundStarter`` starts them).

Each run gets a thread with its own event loop, so a request handler returns at once (202)
while the run proceeds. A run whose status becomes ``cancelled`` in the store (by
:func:`cancel_run`, from any process) is stopped at the next await.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from sqlalchemy import Engine
from sqlmodel import Session

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.errors import ConflictError, PromptCompatError
from promptcompat.runs.run import PreparedRun, execute_run
from promptcompat.store import audit, session_scope
from promptcompat.store.tables.core import Run, RunStatus
from promptcompat.suite import Suite

log = logging.getLogger(__name__)
CANCELLABLE: tuple[RunStatus, ...] = ("pending", "running")


def cancel_run(*, session: Session, run_id: str, actor: str, reason: str = "") -> Run:
    """Mark a pending or running run cancelled; whoever executes it stops.

    Raises:
        NotFoundError: no such run.
        ConflictError: the run is already evaluating or finished.
    """
    run = store.get_run(session=session, run_id=run_id)
    done = store.finish_run(
        session=session,
        run_id=run.id,
        status="cancelled",
        error=f"cancelled by {actor}" + (f": {reason}" if reason else ""),
        only_from=CANCELLABLE,
    )
    if not done:
        raise ConflictError(
            f"run {run.id[:12]} is {run.status}; only a pending or running run can be cancelled"
        )
    audit.record(
        session=session,
        actor=actor,
        action="run.cancel",
        run_id=run.id,
        subject=run.id,
        reason=reason,
    )
    session.refresh(run)
    return run


class BackgroundRuns:
    """Executes prepared runs on background threads and tracks them until they end."""

    def __init__(self, *, engine: Engine, settings: Settings, poll_seconds: float = 0.25) -> None:
        self._engine = engine
        self._settings = settings
        self._poll = poll_seconds
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self, prepared: PreparedRun, *, suite: Suite) -> None:
        """Begin executing ``prepared`` (already written to the store) on its own thread."""
        if self._stopping.is_set():
            raise ConflictError("the server is shutting down; submit the run again later")
        thread = threading.Thread(
            target=self._execute,
            args=(prepared, suite),
            name=f"run-{prepared.run_id[:12]}",
            daemon=True,
        )
        with self._lock:
            self._threads[prepared.run_id] = thread
        thread.start()

    def active(self) -> list[str]:
        """Ids of the runs still executing here."""
        with self._lock:
            return [run_id for run_id, t in self._threads.items() if t.is_alive()]

    def wait(self, timeout: float) -> bool:
        """Wait until every run started here has ended; False if some still run at the deadline."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not self.active()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every run still executing (they end ``cancelled``: interrupted, with what they
        saved) and wait for them."""
        self._stopping.set()
        self.wait(timeout)

    def _execute(self, prepared: PreparedRun, suite: Suite) -> None:
        try:
            asyncio.run(self._supervise(prepared, suite))
        except asyncio.CancelledError:
            log.info("run %s stopped", prepared.run_id)
        except PromptCompatError as exc:  # the run is marked failed with the reason
            log.warning("run %s failed: %s", prepared.run_id, exc)
        except Exception:  # a bug must not vanish with its thread
            log.exception("run %s crashed", prepared.run_id)
        finally:
            with self._lock:
                self._threads.pop(prepared.run_id, None)

    async def _supervise(self, prepared: PreparedRun, suite: Suite) -> None:
        task = asyncio.create_task(
            execute_run(prepared, engine=self._engine, suite=suite, settings=self._settings)
        )
        while True:
            done, _ = await asyncio.wait({task}, timeout=self._poll)
            if done:
                task.result()
                return
            if self._stopping.is_set() or await asyncio.to_thread(self._cancelled, prepared.run_id):
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                if self._stopping.is_set():
                    self._mark_interrupted(prepared.run_id)
                return

    def _cancelled(self, run_id: str) -> bool:
        with session_scope(self._engine) as session:
            run = store.find_run(session=session, run_id=run_id)
            return run is None or run.status == "cancelled"

    def _mark_interrupted(self, run_id: str) -> None:
        # The run ended itself ``cancelled`` when its task was cancelled; say why.
        with session_scope(self._engine) as session:
            store.finish_run(
                session=session,
                run_id=run_id,
                status="cancelled",
                error="interrupted: the server stopped before the run ended",
                only_from=("pending", "running", "finalizing", "cancelled"),
            )
