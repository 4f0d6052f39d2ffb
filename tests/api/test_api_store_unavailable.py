"""While PostgreSQL restarts, the API answers 503 with Retry-After, then recovers (issue 14.17).

The test stops and starts a PostgreSQL cluster of its own (not the session's shared one).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirun import cli
from fastapi.testclient import TestClient
from pgcluster import PostgresCluster

from api import create_app
from api.pages import COOKIE
from promptcompat import store
from promptcompat.config import Settings
from promptcompat.store import api_tokens as tokens

EXAMPLE_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
PEPPER = "test-pepper-for-the-restart-test"


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(name="pg-restart")
    try:
        yield cluster.start()
    finally:
        cluster.remove()


def test_a_database_restart_is_503_with_retry_after_then_served_again(
    own_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = own_cluster.url(own_cluster.create_database())
    prompts = tmp_path / "prompts"
    shutil.copytree(EXAMPLE_PROMPTS, prompts)
    settings = Settings(
        home=tmp_path / "home",
        prompts_dir=prompts,
        database_url=url,
        api_token_pepper=PEPPER,
    )
    engine = store.open_engine(url)
    with store.session_scope(engine) as session:
        _, token = tokens.create_token(session=session, name="v", role="viewer", pepper=PEPPER)
    engine.dispose()
    viewer = {"Authorization": f"Bearer {token}"}

    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/runs", headers=viewer).status_code == 200

        own_cluster.stop()
        for path in ("/api/v1/runs", "/api/v1/ready"):
            answer = client.get(path, headers=viewer)
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert int(answer.headers["retry-after"]) > 0
            problem = answer.json()
            assert "temporarily unavailable" in problem["detail"]
            assert str(own_cluster.port) not in answer.text  # no server address to clients
        assert client.get("/api/v1/health").status_code == 200  # alive, just not ready
        # The review pages say it the same way: no server address, a time to retry.
        page = client.get("/ui/runs", cookies={COOKIE: token})
        assert page.status_code == 503, page.text
        assert int(page.headers["retry-after"]) > 0
        assert "temporarily unavailable" in page.text
        assert str(own_cluster.port) not in page.text

        # The command line meets the same outage as one line and exit 2.
        env = {**os.environ, "PROMPTCOMPAT_DATABASE_URL": url, "PROMPTCOMPAT_HOME": str(tmp_path)}
        down = cli("runs", env=env, cwd=tmp_path)
        assert down.returncode == 2, down.stdout + down.stderr
        assert "the database is unreachable" in " ".join(down.stderr.split())
        assert "Traceback" not in down.stderr

        # Back up: the pool's dead connections are replaced, nothing fails on the way.
        own_cluster.start()
        assert client.get("/api/v1/runs", headers=viewer).status_code == 200
        assert client.get("/api/v1/ready").status_code == 200
