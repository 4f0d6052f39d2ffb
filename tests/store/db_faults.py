"""Run the real ``promptcompat`` command line with faults injected where it meets the database.

``python db_faults.py migrate`` is ``promptcompat migrate``, plus, from the environment:

- ``FAULT_TRACE=path``: append each SQL statement (its first line) and each COMMIT to ``path``
  before it is sent, so a test can tell how far the process got.
- ``FAULT_KILL_AT=n``: SIGKILL this process just before its n-th statement (1-based, COMMITs
  count): a crash at an exact point, with no chance to clean up. ``FAULT_SIGNAL=INT`` sends
  SIGINT instead: Ctrl-C at that point.
- ``FAULT_PAUSE_AT=regex`` and ``FAULT_GO=path``: before the first statement matching ``regex``,
  wait until ``path`` exists, holding whatever the process holds at that point.
- ``FAULT_KILLS=n[/INT]=url;...``: run the command once per entry, each in a child forked from
  this process (the imports are paid once), on database ``url`` and killed (or interrupted)
  before statement ``n``; prints ``n[/INT] status`` per child (``os.waitstatus_to_exitcode``).

The hooks are SQLAlchemy events on every engine; nothing of promptcompat is replaced.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

TRACE = os.environ.get("FAULT_TRACE")
KILL_AT = int(os.environ.get("FAULT_KILL_AT", "0"))
SIGNAL = signal.Signals[f"SIG{os.environ.get('FAULT_SIGNAL', 'KILL')}"]
PAUSE_AT = re.compile(os.environ["FAULT_PAUSE_AT"]) if os.environ.get("FAULT_PAUSE_AT") else None
GO = Path(os.environ.get("FAULT_GO", "/nonexistent"))
seen = 0
paused = False


def step(statement: str) -> None:
    global seen, paused
    seen += 1
    line = statement.strip().splitlines()[0] if statement.strip() else ""
    if TRACE:
        with Path(TRACE).open("a") as trace:
            trace.write(line + "\n")
    if seen == KILL_AT:
        os.kill(os.getpid(), SIGNAL)
    if PAUSE_AT is not None and not paused and PAUSE_AT.search(line):
        paused = True
        deadline = time.monotonic() + 60
        while not GO.exists():  # the test creates it once the other process is where it wants
            if time.monotonic() > deadline:
                raise TimeoutError(f"{GO} never appeared")
            time.sleep(0.02)


@event.listens_for(Engine, "before_cursor_execute")
def _statement(_conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    step(statement)


@event.listens_for(Engine, "commit")
def _commit(_conn: Connection) -> None:
    step("COMMIT")


def kill_each(plan: str) -> None:
    import alembic.command  # noqa: F401  (what migrating imports, loaded before forking)

    import promptcompat.cli.root  # noqa: F401

    global KILL_AT, SIGNAL
    for entry in plan.split(";"):
        point, url = entry.split("=", 1)
        kill_at, _, name = point.partition("/")
        pid = os.fork()
        if pid == 0:
            KILL_AT, SIGNAL = int(kill_at), signal.Signals[f"SIG{name or 'KILL'}"]
            os.environ["PROMPTCOMPAT_DATABASE_URL"] = url
            main()
        _, status = os.waitpid(pid, 0)
        print(point, os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    from promptcompat.cli.entry import main

    sys.argv = ["promptcompat", *sys.argv[1:]]
    if os.environ.get("FAULT_KILLS"):
        kill_each(os.environ["FAULT_KILLS"])
    else:
        main()
