"""Runs the real ``promptcompat`` command in a subprocess, as a user would.

Every run is checked for a crash, whatever the test asserts next: a traceback on stderr, or
the CLI's crash line (an unexpected exception: ``promptcompat X failed: ...; traceback in
...``), fails the test. A crash is never the interface, and its old exit status, 1, reads
as "breaking" to CI. A test about crashes themselves passes ``crash_expected=True``.

A long-running command (one a test signals, kills or follows while it runs) is started with
:func:`spawn` (or the ``spawn_cli`` fixture, which kills what a failed test left running) and
gets the same check when it ends: when :meth:`CliProcess.communicate` has read its output, or
when :meth:`CliProcess.wait` sees the end of one whose output goes to a log file.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

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


class CliProcess:
    """``promptcompat`` running in a subprocess (see :func:`spawn`), checked for a crash once
    it has ended and its output is read. A process the test kills is checked all the same: a
    killed command prints no traceback."""

    def __init__(
        self,
        args: tuple[str, ...],
        *,
        env: dict[str, str],
        cwd: Path,
        log: Path | None,
        crash_expected: bool,
    ) -> None:
        self._crash_expected = crash_expected
        self._checked = False
        self._log = log
        self._log_file: IO[str] | None = log.open("w") if log is not None else None
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "promptcompat", *args],
            env=env,
            cwd=cwd,
            # A log file for a server: a pipe nobody reads could fill up and block it.
            stdout=self._log_file or subprocess.PIPE,
            stderr=subprocess.STDOUT if self._log_file else subprocess.PIPE,
            text=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    @property
    def stdout(self) -> IO[str] | None:
        return self.popen.stdout

    def poll(self) -> int | None:
        return self.popen.poll()

    def send_signal(self, sig: signal.Signals) -> None:
        self.popen.send_signal(sig)

    def kill(self) -> None:
        self.popen.kill()

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the end; a process logging to a file is checked then (its log is all of
        its output), one with pipes when :meth:`communicate` reads them."""
        code = self.popen.wait(timeout=timeout)
        if self._log is not None:
            self._close_log()
            self._check("", self._log.read_text(encoding="utf-8", errors="replace"))
        return code

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Wait for the end and read stdout and stderr (a log file: its whole text as stderr),
        then fail the test if the command crashed."""
        if self._log is not None:
            self.wait(timeout=timeout)
            return "", self._log.read_text(encoding="utf-8", errors="replace")
        out, err = self.popen.communicate(timeout=timeout)
        self._check(out, err)
        return out, err

    def end(self) -> None:
        """Kill it if it still runs (a failed test left it), without checking its output."""
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.communicate()
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def _check(self, out: str, err: str) -> None:
        if self._checked:
            return
        self._checked = True
        done = subprocess.CompletedProcess(self.popen.args, self.popen.returncode, out, err)
        check_no_crash(done, crash_expected=self._crash_expected)


def spawn(
    *args: str,
    env: dict[str, str],
    cwd: Path,
    log: Path | None = None,
    crash_expected: bool = False,
) -> CliProcess:
    """Start ``promptcompat ARGS`` without waiting for it; ``log``: write its stdout and
    stderr to this file (a server's) instead of pipes."""
    return CliProcess(args, env=env, cwd=cwd, log=log, crash_expected=crash_expected)


class Spawner:
    """:func:`spawn` that remembers what it started, to end it at teardown."""

    def __init__(self) -> None:
        self.started: list[CliProcess] = []

    def __call__(
        self,
        *args: str,
        env: dict[str, str],
        cwd: Path,
        log: Path | None = None,
        crash_expected: bool = False,
    ) -> CliProcess:
        proc = spawn(*args, env=env, cwd=cwd, log=log, crash_expected=crash_expected)
        self.started.append(proc)
        return proc

    def end_all(self) -> None:
        for proc in self.started:
            proc.end()
