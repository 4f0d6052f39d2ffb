"""``promptcompat token ...`` and ``promptcompat serve`` as a user runs them: real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from clirun import check_no_crash, cli


@pytest.fixture
def env(tmp_path: Path, prompts_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    return {
        **base,
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir),
        "PROMPTCOMPAT_API_TOKEN_PEPPER": "cli-test-pepper-0123456789",
        "COLUMNS": "200",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_tokens_are_created_once_listed_and_revoked_and_serve_answers_with_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    created = cli("token", "create", "--name", "ana", "--role", "reviewer", env=env, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("pct_")
    listed = cli("token", "list", env=env, cwd=tmp_path)
    assert "ana" in listed.stdout and "reviewer" in listed.stdout and token not in listed.stdout
    bad = cli("token", "create", "--name", "x", "--role", "root", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "unknown role" in bad.stderr

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "promptcompat", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(f"{base}/health")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        status, me = get(f"{base}/me", token)
        assert status == 200 and (me["name"], me["role"]) == ("ana", "reviewer")
        assert get(f"{base}/ready")[1]["database"] == "sqlite"
        assert get(f"{base}/me?token={token}", token)[0] == 200  # a client's mistake
        revoked = cli("token", "revoke", me["token_id"][:10], env=env, cwd=tmp_path)
        assert revoked.returncode == 0, revoked.stderr
        assert get(f"{base}/me", token)[0] == 401
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    # The server's log is checked as any command's output: no traceback in it.
    check_no_crash(subprocess.CompletedProcess(server.args, 0, output, output))
    assert token not in output  # the access log never carries a token
    assert "GET /api/v1/me?token=pct_[redacted]" in output
    assert "GET /api/v1/me" in output
