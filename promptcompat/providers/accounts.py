"""Which account a target calls: its base URL and its key (from the environment, never stored)."""

from __future__ import annotations

import os

from promptcompat.config import Settings
from promptcompat.errors import AuthError
from promptcompat.suite.targets import Target

DEFAULT_KEY_ENV = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openai-compatible": "OPENAI_API_KEY",
}


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
