"""The launcher: loopback only, port parsing, clean start failures, no process left behind."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from promptcompat.errors import SimulatorError
from promptcompat.simulator import SimulatorProcess, parse_listening_line, serve


def alive(pid: int) -> bool:
    """Running and not a zombie (a reaped or exited child counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_gone(pid: int, deadline_s: float) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return not alive(pid)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_refuses_non_loopback_hosts(host: str) -> None:
    with pytest.raises(SimulatorError, match="loopback"):
        SimulatorProcess(host=host)
    with pytest.raises(SimulatorError, match="loopback"):
        serve(host=host, port=0)


def test_cli_refuses_non_loopback_host() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "promptcompat.simulator", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "loopback" in done.stderr and done.stdout == ""


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SimulatorError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve(host="127.0.0.1", port=port)


def test_listening_line_parsing() -> None:
    line = "promptcompat-simulator listening on http://127.0.0.1:43123\n"
    assert parse_listening_line(line) == "http://127.0.0.1:43123"
    assert parse_listening_line("promptcompat-simulator listening on http://[::1]:8080") == (
        "http://[::1]:8080"
    )
    for bad in (
        "Uvicorn running on http://127.0.0.1:8000",
        "promptcompat-simulator listening on http://127.0.0.1:0",
        "promptcompat-simulator listening on http://127.0.0.1:70000",
        "promptcompat-simulator listening on http://127.0.0.1:80 extra",
        "",
    ):
        assert parse_listening_line(bad) is None


def test_start_stop_leaves_nothing_behind() -> None:
    with SimulatorProcess(latency_ms=60) as sim:
        pid = sim.pid
        assert pid is not None and alive(pid)
        port = int(sim.url.rsplit(":", 1)[1])
        assert 0 < port < 65536
        assert sim.openai_base_url == sim.url + "/v1"
        assert sim.anthropic_base_url == sim.url
        with urllib.request.urlopen(sim.url + "/_sim/health", timeout=5) as response:
            assert response.status == 200
        call = urllib.request.Request(
            sim.openai_base_url + "/chat/completions",
            data=json.dumps(
                {"model": "gpt-sim-2024-05-13", "messages": [{"role": "user", "content": "hi"}]}
            ).encode(),
            headers={"authorization": "Bearer sim", "content-type": "application/json"},
        )
        started = time.monotonic()
        with urllib.request.urlopen(call, timeout=5) as response:
            assert response.status == 200
        assert time.monotonic() - started >= 0.06  # the simulated latency
    assert not alive(pid)
    with pytest.raises(SimulatorError, match="not running"):
        _ = sim.url
    with socket.socket() as probe, pytest.raises(OSError):
        probe.settimeout(1)
        probe.connect(("127.0.0.1", port))


def test_a_child_that_cannot_start_reports_its_stderr() -> None:
    with pytest.raises(SimulatorError, match="unknown fault kind") as error:
        SimulatorProcess(fault_kinds="418").start()
    assert "exited with code 2" in str(error.value)


def test_startup_timeout_kills_the_child() -> None:
    sim = SimulatorProcess(startup_timeout=0.01)
    with pytest.raises(SimulatorError, match="did not listen"):
        sim.start()
    assert sim.pid is None


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_server_exits_when_its_launcher_dies(tmp_path: Path) -> None:
    script = tmp_path / "launcher.py"
    script.write_text(
        textwrap.dedent(
            """
            import os
            from promptcompat.simulator import SimulatorProcess
            sim = SimulatorProcess()
            sim.start()
            print(sim.pid, flush=True)
            os._exit(0)  # no __exit__: the child is orphaned
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip(), done.stderr
    pid = int(done.stdout.strip())
    assert wait_gone(pid, 10), f"orphaned simulator {pid} still running"
    if alive(pid):  # pragma: no cover - only on failure: do not leak it
        os.kill(pid, 9)
