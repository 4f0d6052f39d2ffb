"""Room kept beside a SQLite store for the one write a full disk must not refuse.

A run that fills the disk fails on its next write, and the status change that says so is a
write too: with no byte left it was refused as well, and the run stayed ``running`` in the
API server until the server restarted (CI, intermittently: how much room the refused write
left behind decided it). Beside every SQLite store a file of ``RESERVE_BYTES`` is kept
(``<store>-reserve``); when marking a run failed meets a full disk, the file is deleted, the
status written in the room it leaves, and the file made again once there is room (the next
open of the store). A PostgreSQL server's disk is the server's business.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from sqlalchemy import Engine

RESERVE_BYTES = 128 * 1024
"""Room for a run's status change in SQLite's write-ahead log (a few pages) with margin."""


def reserve_path(engine: Engine) -> Path | None:
    """The reserve file of a SQLite store on disk, else None."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(f"{database}-reserve")


def keep(engine: Engine) -> None:
    """Make the reserve file when it is missing; on a disk without that room, leave none."""
    path = reserve_path(engine)
    if path is None or path.exists():
        return
    try:
        with path.open("xb") as reserve:
            reserve.write(bytes(RESERVE_BYTES))
    except FileExistsError:
        return  # another process made it
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink()  # a partial reserve holds room nobody can count on


def release(engine: Engine) -> bool:
    """Delete the reserve file, giving its room back; True if there was one."""
    path = reserve_path(engine)
    if path is None:
        return False
    try:
        path.unlink()
    except OSError:
        return False
    return True
