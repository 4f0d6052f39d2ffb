"""The console script ends the process itself (``promptcompat.entry``): what an ordinary exit
does that users can see must still happen."""

from __future__ import annotations

import subprocess
import sys

import pytest

_SCRIPT = """
import atexit, sys
from promptcompat.entry import exit_now
atexit.register(lambda: print("hook ran"))
print("buffered output", end=" ")
exit_now({code})
"""


@pytest.mark.parametrize(
    ("code", "status", "stderr"),
    [("None", 0, ""), ("3", 3, ""), ("'no such run'", 1, "no such run\n")],
)
def test_exit_now_runs_hooks_flushes_and_keeps_sys_exit_codes(
    code: str, status: int, stderr: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(code=code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == status
    assert done.stdout == "buffered output hook ran\n"
    assert done.stderr == stderr


def test_exit_now_leaves_live_threads_to_the_ordinary_shutdown() -> None:
    script = """
import threading, time
from promptcompat.entry import exit_now
def late():
    time.sleep(0.2)
    print("thread finished", flush=True)
threading.Thread(target=late).start()
exit_now(0)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert done.stdout == "thread finished\n"
