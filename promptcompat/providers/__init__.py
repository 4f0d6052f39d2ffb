"""Model providers: one async ``complete`` per protocol, errors classified into errors.py.

Each provider uses the official SDK with its own retries off (``max_retries=0``): the replay
engine is the one layer that owns retries, and it decides by exception type.
"""

from __future__ import annotations

from promptcompat.config import Settings
from promptcompat.providers.accounts import (
    DEFAULT_KEY_ENV,
    SIMULATOR_KEY,
    api_key_for,
    base_url_for,
    key_env_for,
    missing_key,
    no_key_message,
)
from promptcompat.providers.completion import Completion, Provider
from promptcompat.suite.targets import Target


def make_provider(target: Target, settings: Settings) -> Provider:
    """A provider bound to one account (base URL + key); the engine keeps one per target."""
    key = api_key_for(target, settings)
    base_url = base_url_for(target, settings)
    if target.provider == "anthropic":
        from promptcompat.providers.anthropic_messages import AnthropicProvider

        return AnthropicProvider(api_key=key, base_url=base_url, settings=settings)
    from promptcompat.providers.openai_chat import OpenAIProvider

    return OpenAIProvider(api_key=key, base_url=base_url, settings=settings)


__all__ = [
    "DEFAULT_KEY_ENV",
    "SIMULATOR_KEY",
    "Completion",
    "Provider",
    "api_key_for",
    "base_url_for",
    "key_env_for",
    "make_provider",
    "missing_key",
    "no_key_message",
]
