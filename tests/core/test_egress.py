"""The egress allowlist for targets submitted through the API (SSRF)."""

from __future__ import annotations

import pytest

from promptcompat.errors import ConfigError
from promptcompat.runs.egress import base_url_allowed, check_client_target

ALLOWED = ["http://127.0.0.1:8765/v1", "https://gateway.example.com/openai/"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/v1",
        "http://127.0.0.1:8765/v1/",
        "http://127.0.0.1:8765/v1/deployments/x",
        "https://gateway.example.com/openai",
        "HTTPS://GATEWAY.example.com:443/openai/v1",
    ],
)
def test_allowlisted_urls_and_paths_below_them_pass(url: str) -> None:
    assert base_url_allowed(url, ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1",
        "http://[::1]",
        "http://2130706433",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost.",
        "http://127.0.0.1:8765/v10",
        "http://127.0.0.1:8765/v1/../admin",
        "http://127.0.0.1:8765/v1/%2e%2e/admin",
        "http://user@127.0.0.1:8765/v1",
        "http://127.0.0.1:8765@evil.example/v1",
        "https://127.0.0.1:8765/v1",
        "http://127.0.0.1:8765/v1?x=1",
        "http://0x7f.0.0.1:8765/v1",
        "http://127.1:8765/v1",
        "ftp://127.0.0.1:8765/v1",
        "http://gateway.example.com.evil.example/openai",
        "http://127.0.0.1:99999/v1",
    ],
)
def test_other_spellings_and_neighbours_are_refused(url: str) -> None:
    assert not base_url_allowed(url, ALLOWED)


def test_an_empty_allowlist_refuses_every_base_url_but_not_plain_targets() -> None:
    assert check_client_target("openai:gpt-4o?temperature=0", allowed_base_urls=[]).model
    with pytest.raises(ConfigError, match="allowlist"):
        check_client_target("openai-compatible:m?base_url=http://10.0.0.1/v1", allowed_base_urls=[])


def test_a_client_cannot_name_the_key_variable_or_send_garbage() -> None:
    with pytest.raises(ConfigError, match="api_key_env"):
        check_client_target("openai:m?api_key_env=AWS_SECRET_ACCESS_KEY", allowed_base_urls=[])
    with pytest.raises(ConfigError):
        check_client_target("openai:m?0", allowed_base_urls=[])


def test_a_client_base_url_is_called_without_the_server_key_unless_listed() -> None:
    spec = "openai-compatible:m?base_url=http://127.0.0.1:8765/v1"
    assert check_client_target(spec, allowed_base_urls=ALLOWED).keyless
    keyed = check_client_target(
        spec, allowed_base_urls=ALLOWED, server_key_base_urls=["http://127.0.0.1:8765/v1"]
    )
    assert not keyed.keyless
    assert not check_client_target("openai:gpt-4o", allowed_base_urls=[]).keyless
