"""Stopping a command from outside: SIGTERM (what CI, Docker and systemd send) does what
Ctrl-C (SIGINT) does, so an interrupted run is stored ``cancelled`` either way.

While a run executes, asyncio's runner owns SIGINT: its handler cancels the run's task, which
then writes its results and status before the runner raises ``KeyboardInterrupt``. SIGTERM is
handed to whatever SIGINT handler is installed at that moment (the runner's, or Python's
default, which raises ``KeyboardInterrupt``), so both signals take the same, tested, path.
"""

from __future__ import annotations

import signal
from types import FrameType

_received: list[signal.Signals] = []


def route_sigterm() -> None:
    """Make SIGTERM interrupt this process as SIGINT does (main thread only)."""
    signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _received.append(signal.SIGTERM)
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:  # SIGINT ignored or left to the system: still stop, as SIGTERM asks
        raise KeyboardInterrupt


def last_signal() -> signal.Signals:
    """The signal that interrupted this process: SIGTERM if one came, else SIGINT (Ctrl-C)."""
    return _received[-1] if _received else signal.SIGINT


def describe() -> str:
    sig = last_signal()
    return "Ctrl-C (SIGINT)" if sig == signal.SIGINT else sig.name


def exit_code() -> int:
    """The shell's convention for a process ended by a signal: 128 + its number."""
    return 128 + int(last_signal())


class Interrupted(BaseException):
    """A command was stopped by a signal; ``message`` says what that left behind.

    A ``BaseException``, as ``KeyboardInterrupt`` is: nothing but the command line handles it,
    which prints ``message`` and exits ``exit_code`` (the framework would turn a
    ``KeyboardInterrupt`` into a silent exit 130 before any handler of ours could speak).
    """

    def __init__(self, message: str) -> None:
        self.signal = describe()
        self.exit_code = exit_code()
        self.message = f"interrupted by {self.signal}: {message}"
        super().__init__(self.message)


class RunInterrupted(Interrupted):
    """A run executing in this process was stopped and is stored ``cancelled`` (raised by
    ``runs.InlineStarter``)."""

    def __init__(self, *, run_id: str, status: str, done: int, total: int, errors: int) -> None:
        self.run_id, self.status = run_id, status
        self.done, self.total, self.errors = done, total, errors
        retried = f" ({errors} of them errors, which a rerun tries again)" if errors else ""
        super().__init__(
            f"run {run_id[:12]} is stored as {status} with {done} of {total} calls "
            f"saved{retried}; run the same command again to resume (saved calls come from "
            "the cache, they are not sent again)"
        )
