"""Real processes for the worker tests: ``redis-server`` and ``celery worker``."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
import redis
from worker_helpers import wait_until

REPO = Path(__file__).resolve().parents[2]
Persistence = Literal["none", "always", "everysec"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        reason = "redis-server is not installed (apt-get install -y redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


class RedisServer:
    """``redis-server`` on a free loopback port, restartable with the same data directory."""

    def __init__(self, directory: Path, *, persistence: Persistence) -> None:
        self.binary = redis_binary()
        self.directory = directory
        self.persistence = persistence
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2)

    def start(self) -> RedisServer:
        aof = (
            ["--appendonly", "no"]
            if self.persistence == "none"
            else ["--appendonly", "yes", "--appendfsync", self.persistence]
        )
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", str(self.directory), "--save", "", *aof]
        log = (self.directory / "redis.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()

        def answers() -> bool:
            try:
                return bool(self.client().ping())
            except redis.RedisError:
                return False

        wait_until(answers, timeout=15, what=f"redis-server on port {self.port}")
        return self

    def kill(self) -> None:
        """SIGKILL: a crash, no shutdown save."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def restart(self, *, crash: bool = True) -> None:
        self.kill() if crash else self.stop()
        self.start()


class CeleryWorker:
    """A real ``celery -A worker.app worker`` in its own process group (``via_cli``: started
    as ``promptcompat worker``, which becomes that same process)."""

    def __init__(
        self, env: dict[str, str], log: Path, *, name: str, concurrency: int, via_cli: bool = False
    ) -> None:
        self.env, self.log_path, self.name, self.concurrency = env, log, name, concurrency
        self.via_cli = via_cli
        self.proc: subprocess.Popen[bytes] | None = None
        self._offset = 0

    def start(self) -> CeleryWorker:
        if self.via_cli:
            args = [sys.executable, "-m", "promptcompat", "worker", "-c", str(self.concurrency)]
        else:
            args = [sys.executable, "-m", "celery", "-A", "worker.app", "worker"]
            args += ["-P", "prefork", "-c", str(self.concurrency), "-n", f"{self.name}@%h"]
            args += ["-Q", self.env["PROMPTCOMPAT_QUEUE"], "-l", "info"]
            args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                args,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(
            lambda: " ready." in self.log()[self._offset :] or self.proc.poll() is not None,  # type: ignore[union-attr]
            timeout=30,
            what=f"worker {self.name} to be ready",
        )
        assert self.alive(), f"worker {self.name} exited:\n{self.log()[-3000:]}"
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list[int]:
        """Pids of the pool processes."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the whole process group (the worker and its pool) at once."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            assert self.proc is not None
            self.proc.wait(15)

    def terminate(self, timeout: float = 15.0) -> None:
        """SIGTERM to the worker process only, as ``docker stop`` (through ``init``) or systemd
        send it: a warm shutdown, the pool finishes its tasks. SIGKILL after ``timeout``.
        (SIGTERM to the whole group would kill the pool processes mid-task instead.)"""
        if not self.alive():
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait(15)


class CeleryBeat:
    """``promptcompat beat``: a real ``celery -A worker.app beat`` (the deployment runs one)."""

    def __init__(self, env: dict[str, str], directory: Path) -> None:
        self.env, self.directory = env, directory
        self.log_path = directory / "beat.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> CeleryBeat:
        args = [sys.executable, "-m", "promptcompat", "beat"]  # schedule file in the home
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                args,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(
            lambda: "beat: Starting" in self.log() or self.proc.poll() is not None,  # type: ignore[union-attr]
            timeout=30,
            what="celery beat to start",
        )
        assert self.proc.poll() is None, f"beat exited:\n{self.log()[-3000:]}"
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)
