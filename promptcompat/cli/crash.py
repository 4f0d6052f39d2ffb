"""What the command line does with an exception nothing expected: a bug, or the machine
failing (a full disk, a store that went away).

The user gets one line naming what failed, and the traceback goes to a log file the line
names: a traceback is not an interface, and Python's exit status for one (1) reads as
"breaking" to every CI system. The CLI exits 2 after it, as for any other error.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from promptcompat.errors import public_message

LOG_DIR = "logs"
"""Crash logs go to ``<home>/logs/`` (``.promptcompat/logs/`` by default), else to the
system's temporary directory."""


def report(exc: BaseException, *, command: str, home: Path, store: str | None) -> str:
    """Write ``exc``'s traceback to a crash log; return the one line to print.

    ``store`` names the database (password hidden) for the store's own failures.
    """
    cause = public_message(exc, store=store)
    if isinstance(exc, OSError) and exc.filename is not None:
        cause = f"{cause}: {exc.filename}"
    saved = write_log(exc, command=command, home=home)
    where = f"traceback in {saved}" if isinstance(saved, Path) else f"no crash log: {saved}"
    return f"promptcompat {command} failed: {cause}; {where}"


def write_log(exc: BaseException, *, command: str, home: Path) -> Path | str:
    """The crash log written for ``exc``, or why none could be (the disk may be the cause).

    The home comes first; if it refuses (it is full, or read-only), the system's temporary
    directory. The file is private to the user: a traceback can quote prompt text.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    name = f"promptcompat-crash-{stamp}-{os.getpid()}.log"
    text = (
        f"promptcompat {command}: {type(exc).__name__} at {stamp} UTC\n"
        f"python {sys.version.split()[0]}\n\n" + "".join(traceback.format_exception(exc))
    )
    reason = "unknown"
    for directory in (home / LOG_DIR, Path(tempfile.gettempdir())):
        path = directory / name
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as refused:
            reason = public_message(refused)
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)  # a file the full disk left empty
            continue
        return path
    return reason


def store_label(url: str) -> str:
    """The store as a user knows it: the SQLite file, or the URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # an unparsable URL was already refused when the store opened
        return "<database url>"
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)
