"""Runs the real ``promptcompat`` command in a subprocess, as a user would.

Every run is checked for a crash, whatever the test asserts next: a traceback on stderr, or
the CLI's crash line (an unexpected exception: ``promptcompat X failed: ...; traceback in
...``), fails the test. A crash is never the interface, and its old exit status, 1, reads
as "breaking" to CI. A test about crashes themselves passes ``crash_expected=True``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

TRACEBACK = "Traceback (most recent call last)"
ABORTED = re.compile(r"^Aborted[.!]$", re.M)  # click's end of a prompt at end of input
CRASH_LINE = re.compile(r"^error: promptcompat .* failed: .*; (traceback in|no crash log:) ", re.M)


def cli(
    *args: str,
    env: dict[str, str],
    cwd: Path,
    stdin: str | None = None,
    timeout: float = 240,
    crash_expected: bool = False,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "promptcompat", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    check_no_crash(done, crash_expected=crash_expected)
    return done


def check_no_crash(done: subprocess.CompletedProcess[str], *, crash_expected: bool = False) -> None:
    """Fail the calling test if the finished command crashed (see the module docstring)."""
    command = " ".join(str(a) for a in done.args[3:]) if isinstance(done.args, list) else ""
    if TRACEBACK in done.stderr:
        pytest.fail(
            f"`promptcompat {command}` printed a traceback (exit {done.returncode}):\n"
            f"{done.stderr[-6000:]}",
            pytrace=False,
        )
    if done.returncode == 1 and ABORTED.search(done.stderr):
        pytest.fail(
            f"`promptcompat {command}` aborted with exit 1:\n{done.stderr[-2000:]}", pytrace=False
        )
    crashed = CRASH_LINE.search(done.stderr)
    if crashed and (done.returncode == 1 or not crash_expected):
        pytest.fail(
            f"`promptcompat {command}` crashed (exit {done.returncode}): {crashed.group()}"
            f"\n{done.stderr[-2000:]}",
            pytrace=False,
        )
