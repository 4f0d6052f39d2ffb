"""Model providers: one async ``complete`` per protocol, errors classified into errors.py.

Each provider uses the official SDK with its own retries off (``max_retries=0``): the replay
engine is the one layer that owns retries, and it decides by exception type.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

from promptcompat.config import Settings
from promptcompat.errors import AuthError
from promptcompat.suite import Message
from promptcompat.suite.targets import Target

DEFAULT_KEY_ENV = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openai-compatible": "OPENAI_API_KEY",
}


@dataclass(frozen=True)
class Completion:
    """What a provider answered, with the metadata a snapshot records."""

    text: str
    served_model: str | None
    fingerprint: str | None
    finish_reason: str | None
    input_tokens: int | None
    output_tokens: int | None
    response_id: str | None


class Provider(Protocol):
    async def complete(
        self, target: Target, messages: tuple[Message, ...], *, seed: int | None
    ) -> Completion: ...

    async def aclose(self) -> None: ...


SIMULATOR_KEY = "sk-simulator"
"""What a simulated run sends (the simulator accepts any key): a real key never goes there."""


def key_env_for(target: Target) -> str | None:
    """The environment variable holding the target's key; None for ``api_key=none``."""
    if target.keyless:
        return None
    return target.api_key_env or DEFAULT_KEY_ENV[target.provider]


def missing_key(target: Target, settings: Settings) -> str | None:
    """The variable a call to ``target`` needs and that is unset, if any."""
    env = key_env_for(target)
    if settings.simulated or env is None or os.environ.get(env):
        return None
    return env


def no_key_message(env: str) -> str:
    return (
        f"no API key: set the environment variable {env} (or, for an endpoint that needs no "
        "key, add api_key=none to the target)"
    )


def api_key_for(target: Target, settings: Settings) -> str | None:
    """The key from the environment (None: send no key); never logged, never stored."""
    if settings.simulated:
        return SIMULATOR_KEY
    env = key_env_for(target)
    if env is None:
        return None
    key = os.environ.get(env)
    if not key:
        raise AuthError(no_key_message(env), where=target.label)
    return key


def base_url_for(target: Target, settings: Settings) -> str | None:
    # Simulated: the target's own base_url (a paid gateway, say) must not be called either.
    if target.base_url and not settings.simulated:
        return target.base_url
    if target.provider == "anthropic":
        return settings.anthropic_base_url
    return settings.openai_base_url


def make_provider(target: Target, settings: Settings) -> Provider:
    """A provider bound to one account (base URL + key); the engine keeps one per target."""
    key = api_key_for(target, settings)
    base_url = base_url_for(target, settings)
    if target.provider == "anthropic":
        from promptcompat.providers.anthropic_messages import AnthropicProvider

        return AnthropicProvider(api_key=key, base_url=base_url, settings=settings)
    from promptcompat.providers.openai_chat import OpenAIProvider

    return OpenAIProvider(api_key=key, base_url=base_url, settings=settings)
