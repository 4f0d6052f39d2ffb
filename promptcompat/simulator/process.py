"""Running the simulator as a child process (tests, the demo, benchmarks).

A separate process keeps the server's event loop and CPU apart from the client under test,
as a real provider would be. The child binds port 0 and reports the real port on one stdout
line, which is the only thing read from its stdout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from promptcompat.errors import SimulatorError
from promptcompat.simulator.address import LISTENING_PREFIX, loopback_host

_LISTENING = re.compile(
    re.escape(LISTENING_PREFIX)
    + r"(http://(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d+))\s*$"
)
STOP_GRACE_S = 5.0


def parse_listening_line(line: str) -> str | None:
    """The base URL from the child's listening line, or None if the line is something else."""
    match = _LISTENING.match(line.strip())
    if not match or not 0 < int(match[2]) < 65536:
        return None
    return match[1]


class SimulatorProcess:
    """``with SimulatorProcess(latency_ms=50) as sim:`` then point the SDKs at ``sim.url``."""

    def __init__(
        self,
        *,
        latency_ms: float = 0,
        jitter_ms: float = 0,
        fault_rate: float = 0.0,
        fault_kinds: str = "",
        seed: int = 0,
        startup_timeout: float = 20.0,
        host: str = "127.0.0.1",
        fault_timeout_s: float = 30.0,
    ) -> None:
        self._args = [
            "--host", loopback_host(host),
            "--port", "0",
            "--latency-ms", repr(float(latency_ms)),
            "--jitter-ms", repr(float(jitter_ms)),
            "--fault-rate", repr(float(fault_rate)),
            "--fault-kinds", fault_kinds,
            "--fault-timeout-s", repr(float(fault_timeout_s)),
            "--seed", str(int(seed)),
            "--exit-with-parent",
        ]  # fmt: skip
        self._startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._url: str | None = None
        self._ready = threading.Event()

    # --- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> SimulatorProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if self._proc is not None:
            raise SimulatorError("the simulator is already started")
        env = dict(os.environ)
        # The child must import this same promptcompat, installed or not.
        source_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "promptcompat.simulator", *self._args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self._ready.wait(0.02):
            code = self._proc.poll()
            if code is not None:
                self._fail(f"the simulator exited with code {code} before listening")
            if time.monotonic() > deadline:
                self._fail(f"the simulator did not listen within {self._startup_timeout:g} s")

    def _read_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        # Keep draining after the listening line so the child never blocks on a full pipe.
        for raw in self._proc.stdout:
            if self._url is None:
                url = parse_listening_line(raw.decode("utf-8", "replace"))
                if url is not None:
                    self._url = url
                    self._ready.set()

    def _fail(self, reason: str) -> None:
        stderr = self._stderr_text()
        self.stop()
        detail = f":\n{stderr}" if stderr else ""
        raise SimulatorError(f"{reason}{detail}", where="simulator")

    def stderr(self) -> str:
        """What the child wrote to stderr so far (its last 4,000 characters)."""
        return self._stderr_text()

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").strip()
        return text[-4000:]

    def stop(self) -> None:
        """Terminate, then kill after a grace period; always reaps the child."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._reader is not None:
            # The child is gone, so its stdout is at EOF and the reader ends.
            self._reader.join(STOP_GRACE_S)
            self._reader = None
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._url = None
        self._ready.clear()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # --- addresses ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._url is None:
            raise SimulatorError("the simulator is not running")
        return self._url

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url  # the anthropic SDK appends /v1/...

    # --- control API --------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/_sim/stats")

    def reset(self) -> None:
        self._call("POST", "/_sim/reset")

    def set_latency(self, latency_ms: float) -> None:
        self._call("POST", "/_sim/latency", {"latency_ms": latency_ms})

    def add_faults(self, faults: list[dict[str, Any]]) -> None:
        self._call("POST", "/_sim/faults", {"faults": faults})

    def pending_faults(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self._call("GET", "/_sim/faults")["faults"]
        return faults

    def clear_faults(self) -> None:
        self._call("DELETE", "/_sim/faults")

    def add_model(self, model_id: str, *, behaves_like: str, served_as: str | None = None) -> None:
        body: dict[str, Any] = {"id": model_id, "behaves_like": behaves_like}
        if served_as is not None:
            body["served_as"] = served_as
        self._call("POST", "/_sim/models", body)

    def add_models(self, model_ids: list[str], *, behaves_like: str) -> None:
        """Release many models at once (a long, paginated model list)."""
        self._call("POST", "/_sim/models", {"ids": model_ids, "behaves_like": behaves_like})

    def fail_model_lists(self, statuses: list[int]) -> None:
        """The next model-list requests answer with these HTTP error statuses, in order."""
        self._call("POST", "/_sim/model-list-faults", {"statuses": statuses})

    def set_alias(self, alias: str, served_as: str) -> None:
        self._call("POST", "/_sim/aliases", {"alias": alias, "served_as": served_as})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                result: dict[str, Any] = json.loads(response.read() or b"{}")
                return result
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise SimulatorError(f"{method} {path}: HTTP {exc.code} {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise SimulatorError(f"{method} {path}: {exc}") from None
