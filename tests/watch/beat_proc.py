"""A real ``celery -A worker.app beat`` process (its own schedule file and process group)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from procs import REPO
from worker_helpers import wait_until


class CeleryBeat:
    def __init__(self, env: dict[str, str], directory: Path, *, name: str) -> None:
        self.env, self.name = env, name
        self.log_path = directory / f"{name}.log"
        self.schedule = directory / f"{name}-schedule"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> CeleryBeat:
        return self.launch().wait_started()

    def launch(self) -> CeleryBeat:
        """Start the process without waiting (beats and workers boot in parallel)."""
        args = [sys.executable, "-m", "celery", "-A", "worker.app", "beat", "-l", "info"]
        args += ["--schedule", str(self.schedule), "--pidfile", ""]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self

    def wait_started(self) -> CeleryBeat:
        wait_until(
            lambda: "beat: Starting" in self.log() or self.proc.poll() is not None,
            timeout=30,
            what=f"beat {self.name} to start",
        )
        assert self.proc.poll() is None, f"beat {self.name} exited:\n{self.log()[-3000:]}"
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
