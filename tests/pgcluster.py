"""A throwaway PostgreSQL cluster for the tests: ``initdb`` + ``pg_ctl`` on a free loopback port.

The binaries are Debian's (``/usr/lib/postgresql/<version>/bin``, the newest version found) or
whatever ``initdb`` is on ``PATH``. ``initdb`` refuses to run as root, so under root the cluster
belongs to the ``postgres`` user the Debian package creates. The cluster trusts every local
connection and does not fsync: it only ever holds test data, and dies with the test session.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import psycopg
import pytest

Backend = Literal["sqlite", "postgresql"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgresql")
"""What a suite that runs on both databases parametrizes its ``backend`` fixture with."""
on_both_backends = pytest.mark.parametrize("backend", BACKENDS)
"""For a test of a module that runs on SQLite alone (its ``backend`` fixture says so) but
whose subject is the store, so that it runs on PostgreSQL too."""

SUPERUSER = "postgres"
INSTALL_HINT = "apt-get install -y postgresql"

# Speed over durability: a crash of the test cluster loses nothing we keep.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # Worker tests run several Celery processes, each with its own connection pool.
    "max_connections": "300",
    "shared_buffers": "64MB",
    "log_min_messages": "warning",
}


def bindir() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``: Debian's newest version, else ``PATH``."""
    versions = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if path.parent.parent.name.isdigit()
    ]
    if versions:
        return max(versions, key=lambda path: int(path.parent.name))
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def require_bindir() -> Path:
    """``bindir()``, or skip the test (fail it under ``CI=true``: CI must run every test)."""
    found = bindir()
    if found is None:
        reason = f"PostgreSQL is not installed ({INSTALL_HINT}; scripts/test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class PostgresCluster:
    """One ``initdb``'d data directory and its server; ``start``/``stop`` may repeat."""

    def __init__(self, *, name: str = "pg") -> None:
        self.bin = require_bindir()
        self.root = Path(tempfile.mkdtemp(prefix=f"promptcompat-{name}-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self._owner = _unprivileged_owner()
        if self._owner is not None:
            os.chown(self.root, self._owner.pw_uid, self._owner.pw_gid)
        self._initdb()

    # --- server ------------------------------------------------------------------------------

    def start(self) -> PostgresCluster:
        self._configure()
        result = self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60"
        )
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {result.stdout}{result.stderr}\n{tail}")
        wait_until(self.answers, timeout=30, what=f"PostgreSQL on port {self.port}")
        return self

    def stop(self, mode: Literal["fast", "immediate"] = "fast") -> None:
        """Shut the server down (``immediate``: like a crash, recovery at the next start)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    # --- databases ---------------------------------------------------------------------------

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL promptcompat takes (``PROMPTCOMPAT_DATABASE_URL``)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, *params: Any) -> None:
        # CREATE/DROP DATABASE cannot run inside a transaction block.
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(sql.encode(), params or None)

    def create_database(self, *, template: str = "template1", prefix: str = "t") -> str:
        """A new database copied from ``template`` (no session may be connected to it)."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        # FORCE: a test's engine may still hold pooled connections to it.
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def mark_template(self, name: str) -> None:
        """Let ``CREATE DATABASE ... TEMPLATE name`` copy it (and keep anyone from connecting)."""
        self.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')

    # --- internals ---------------------------------------------------------------------------

    def _initdb(self) -> None:
        result = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stdout}{result.stderr}")

    def _configure(self) -> None:
        settings = {**SERVER_SETTINGS, "port": str(self.port)}
        conf = self.data / "postgresql.auto.conf"
        conf.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))
        if self._owner is not None:
            os.chown(conf, self._owner.pw_uid, self._owner.pw_gid)

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        owner = self._owner
        return subprocess.run(
            [str(self.bin / program), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=self.root,
            user=owner.pw_uid if owner else None,
            group=owner.pw_gid if owner else None,
            extra_groups=[] if owner else None,
            # The server must not inherit the test's PG* variables or its locale surprises.
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
        )


def _unprivileged_owner() -> pwd.struct_passwd | None:
    """Under root, the user the cluster runs as (``initdb`` refuses root); else None."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        reason = "running as root needs the 'postgres' user to own the test cluster"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
