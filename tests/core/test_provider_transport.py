"""Both SDKs as the engine builds them, against a loopback endpoint: a redirect is a call
error (the other host gets nothing), and a keyless target sends no credential at all."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from loopback import ANSWER, Endpoint

from promptcompat.config import Settings
from promptcompat.errors import BadRequestError
from promptcompat.providers import make_provider
from promptcompat.suite import Message
from promptcompat.suite.targets import parse_target

PROVIDERS = ["openai-compatible", "anthropic"]
ASK = (Message("user", "Is 7 prime?"),)


def _settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, backoff_base=0.05)


def _target(provider: str, endpoint: Endpoint, extra: str = "") -> str:
    base = endpoint.url if provider == "openai-compatible" else endpoint.origin
    return f"{provider}:model-x?base_url={base}{extra}"


async def _complete(spec: str, settings: Settings) -> str:
    provider = make_provider(parse_target(spec), settings)
    try:
        return (await provider.complete(parse_target(spec), ASK, seed=None)).text
    finally:
        await provider.aclose()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_redirect_is_a_call_error_and_the_other_host_gets_nothing(
    provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-server-secret")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-server-secret")
    with Endpoint() as elsewhere, Endpoint(redirect_to=elsewhere.origin) as allowed:
        with pytest.raises(BadRequestError) as info:
            asyncio.run(_complete(_target(provider, allowed), _settings(tmp_path)))
        assert elsewhere.seen == []
        assert len(allowed.seen) == 1
    assert info.value.reason == "redirect"
    assert f"redirects to {elsewhere.origin}/" in str(info.value)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_keyless_target_sends_no_credential_whatever_the_environment_holds(
    provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every place either SDK reads a credential from on its own.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-server-secret")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-secret")
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "Authorization: Bearer sk-custom-secret")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-server-secret")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "sk-ant-token-secret")
    monkeypatch.setenv("ANTHROPIC_CUSTOM_HEADERS", "X-Api-Key: sk-ant-custom-secret")
    with Endpoint() as local:
        text = asyncio.run(
            _complete(_target(provider, local, "&api_key=none"), _settings(tmp_path))
        )
        assert text == ANSWER
        assert len(local.seen) == 1 and local.credentials() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_keyed_target_sends_its_own_variable(
    provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_KEY", "sk-local")
    with Endpoint() as local:
        asyncio.run(
            _complete(_target(provider, local, "&api_key_env=LOCAL_KEY"), _settings(tmp_path))
        )
        assert local.credentials() in (["authorization: Bearer sk-local"], ["x-api-key: sk-local"])


def test_the_simulated_setting_overrides_base_url_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_KEY", "sk-gateway-paid")
    with Endpoint() as gateway, Endpoint() as simulator:
        settings = _settings(tmp_path).model_copy(
            update={
                "openai_base_url": simulator.url,
                "anthropic_base_url": simulator.origin,
                "simulated": True,
            }
        )
        spec = f"openai-compatible:m?base_url={gateway.url}&api_key_env=GATEWAY_KEY"
        asyncio.run(_complete(spec, settings))
        assert gateway.seen == [] and len(simulator.seen) == 1
        assert "sk-gateway-paid" not in str(simulator.credentials())


def test_an_openai_compatible_endpoint_gets_no_openai_account_identifiers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The OpenAI SDK adds these to every request from the environment, wherever it goes.
    monkeypatch.setenv("OPENAI_ORG_ID", "org-private-account")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-private-project")
    monkeypatch.setenv("GATEWAY_KEY", "sk-gateway")
    with Endpoint() as gateway:
        spec = _target("openai-compatible", gateway, "&api_key_env=GATEWAY_KEY")
        assert asyncio.run(_complete(spec, _settings(tmp_path))) == ANSWER
        (seen,) = gateway.seen
    assert "openai-organization" not in seen.headers
    assert "openai-project" not in seen.headers
    assert seen.headers["authorization"] == "Bearer sk-gateway"  # its own key still goes
