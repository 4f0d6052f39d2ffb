"""The console script ends the process itself (``promptcompat.cli.entry``): what an ordinary exit
does that users can see must still happen."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from clirun import cli

_SCRIPT = """
import atexit, sys
from promptcompat.cli.entry import exit_now
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
from promptcompat.cli.entry import exit_now
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


def test_the_store_file_is_whole_when_a_command_ends(tmp_path: Path, prompts_dir: Path) -> None:
    # Skipping the teardown must not leave the run in SQLite's write-ahead log: a copy of
    # the database file alone (a backup) must hold it.
    home = tmp_path / "home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")},
        "PROMPTCOMPAT_HOME": str(home),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
    }
    done = cli("run", "--simulator", "--prompt", "prime_check", env=env, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert not (home / "promptcompat.db-wal").exists()
    copy = tmp_path / "copy.db"
    copy.write_bytes((home / "promptcompat.db").read_bytes())
    with sqlite3.connect(copy) as conn:
        [(runs,)] = conn.execute("select count(*) from run where status like 'completed%'")
    assert runs == 1


def test_commands_that_call_no_provider_do_not_import_the_sdks(
    tmp_path: Path, prompts_dir: Path
) -> None:
    """The SDKs take most of a command's start-up (about 1.3 s of CPU to import): a command
    that calls no provider must not pay for them; one that does, imports them when it calls."""
    script = """
import sys
from promptcompat.cli.root import main
sys.argv = ["promptcompat", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("SDKS", sorted(m for m in ("openai", "anthropic") if m in sys.modules), file=sys.stderr)
"""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")},
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
    }

    def sdks(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )
        (line,) = [x for x in done.stderr.splitlines() if x.startswith("SDKS ")]
        return line

    assert sdks("runs") == "SDKS []"
    assert sdks("validate") == "SDKS []"
    assert sdks("rules") == "SDKS []"
