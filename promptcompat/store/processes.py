"""Which process owns a lease or a run: host, pid and start time, and whether it still lives."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Whether a process of this host is still running (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def process_started(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), or None where /proc says nothing.

    With the pid it names one process for good: a pid is reused, a (pid, start) pair is not.
    """
    try:
        # Field 22 of /proc/PID/stat; the fields after the command's closing parenthesis
        # start at field 3.
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


@dataclass(frozen=True)
class ProcessRef:
    """One process: what an embedded run records of the process that executes it."""

    host: str
    pid: int
    started: int | None

    @classmethod
    def current(cls) -> ProcessRef:
        pid = os.getpid()
        return cls(host=socket.gethostname(), pid=pid, started=process_started(pid))

    def gone(self) -> bool | None:
        """True if this process no longer runs, False if it does, None if this host cannot
        tell (it runs on another host)."""
        if self.host != socket.gethostname():
            return None
        if not pid_alive(self.pid):
            return True
        # The pid runs, but is it still this process? A container restarted with the same
        # hostname gives its new process the same pid (often 1) and a later start time.
        started = process_started(self.pid)
        return self.started is not None and started is not None and started != self.started
