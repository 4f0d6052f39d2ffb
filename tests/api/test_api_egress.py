"""What a client's target may make the server send, and where: through HTTP, against
loopback endpoints that record every request (a redirect is not followed; the server's own
key goes only to base URLs configured for it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api_helpers import wait_for_run
from fastapi.testclient import TestClient
from loopback import ANSWER, Endpoint

from api import create_app
from promptcompat.config import Settings


@contextmanager
def _client(settings: Settings, **update: Any) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update=update))) as client:
        yield client


def _submit(client: TestClient, admin: dict[str, str], target: str) -> dict[str, Any]:
    body = {"prompts": ["prime_check"], "candidate": target, "cases": ["n17", "n19"]}
    answer = client.post("/api/v1/runs", json=body, headers=admin)
    assert answer.status_code == 202, answer.text
    run: dict[str, Any] = wait_for_run(client, answer.json()["id"], admin)
    return run


def test_an_allowlisted_host_cannot_redirect_the_prompt_elsewhere(
    api_settings: Settings, auth: dict[str, dict[str, str]]
) -> None:
    admin = auth["admin"]
    with (
        Endpoint() as elsewhere,
        Endpoint(redirect_to=elsewhere.origin) as allowed,
        _client(api_settings, api_allowed_base_urls=[allowed.url]) as client,
    ):
        run = _submit(client, admin, f"openai-compatible:gpt-sim-2025-06-01?base_url={allowed.url}")
        assert elsewhere.seen == []
        assert len(allowed.seen) == 2  # n17 and n19: once each, not retried
        cases = client.get(f"/api/v1/runs/{run['id']}/cases", headers=admin).json()["items"]
        assert cases and {c["verdict"] for c in cases} == {"ERROR"}
        detail = client.get(f"/api/v1/runs/{run['id']}/cases/{cases[0]['id']}", headers=admin)
    assert detail.status_code == 200
    text = detail.text
    assert ANSWER not in text  # the other host's answer was never stored
    assert "redirects are not followed" in text


def test_a_client_base_url_gets_the_server_key_only_when_configured(
    api_settings: Settings, auth: dict[str, dict[str, str]]
) -> None:
    admin = auth["admin"]
    with Endpoint() as host:
        target = f"openai-compatible:gpt-sim-2025-06-01?base_url={host.url}"
        with _client(
            api_settings, api_allowed_base_urls=[host.url], api_server_key_base_urls=[]
        ) as client:
            run = _submit(client, admin, target)
            assert run["status"] == "completed", run
            assert len(host.seen) == 2 and host.credentials() == []
            assert "api_key=none" in run["request"]["candidate"]
        host.seen.clear()
        with _client(
            api_settings, api_allowed_base_urls=[host.url], api_server_key_base_urls=[host.url]
        ) as client:
            _submit(client, admin, target.replace("gpt-sim-2025", "gpt-sim-2026"))
            assert host.credentials() == ["authorization: Bearer sk-test"] * 2
