"""Target strings: ``provider:model?param=value&...``.

Examples: ``openai:gpt-4o-2024-08-06?temperature=0&seed=7``,
``anthropic:claude-3-5-haiku-20241022``,
``openai-compatible:llama3.1?base_url=http://127.0.0.1:11434/v1&api_key_env=OLLAMA_KEY``,
``openai-compatible:llama3.1?base_url=http://127.0.0.1:11434/v1&api_key=none`` (an endpoint
that needs no key: none is read, none is sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from promptcompat.errors import ConfigError

Provider = Literal["openai", "anthropic", "openai-compatible"]
PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic", "openai-compatible")

# Parameters that change what the model answers: they go into the cache key.
SAMPLING_PARAMS: dict[str, Callable[[str], Any]] = {
    "temperature": float,
    "top_p": float,
    "seed": int,
    "max_tokens": int,
    # Reasoning models (issue 17): sent only when given, so a model that rejects one says so.
    "max_completion_tokens": int,
    "reasoning_effort": str,
    "thinking": int,  # Anthropic extended thinking: the budget of thinking tokens
}
REASONING_EFFORTS = ("minimal", "low", "medium", "high")
# Parameters that only say where and how to call: never part of the cache key.
CONNECTION_PARAMS = {"base_url", "api_key_env", "api_key"}
NO_KEY = "none"
"""The one value of ``api_key``: keys themselves never appear in a target string."""


@dataclass(frozen=True)
class Target:
    provider: Provider
    model: str
    params: tuple[tuple[str, Any], ...] = ()
    """Sampling parameters, sorted by name."""
    base_url: str | None = None
    api_key_env: str | None = None
    keyless: bool = False
    """``api_key=none``: the endpoint needs no key; no variable is read, no key is sent."""

    @property
    def sampling(self) -> dict[str, Any]:
        return dict(self.params)

    @cached_property
    def label(self) -> str:
        """The canonical string of what is called (connection details left out).

        Cached (in the instance ``__dict__``, which a frozen dataclass allows): the engine
        asks for it several times per call, and urlencode is not free.
        """
        query = urlencode([(k, _plain(v)) for k, v in self.params])
        return f"{self.provider}:{self.model}" + (f"?{query}" if query else "")

    @property
    def spec(self) -> str:
        """The target string with its connection parameters: ``parse_target(t.spec) == t``."""
        extra = [("base_url", self.base_url), ("api_key_env", self.api_key_env)]
        if self.keyless:
            extra.append(("api_key", NO_KEY))
        query = urlencode([(k, v) for k, v in extra if v])
        if not query:
            return self.label
        return self.label + ("&" if "?" in self.label else "?") + query

    def __str__(self) -> str:
        return self.label


def parse_target(spec: str) -> Target:
    """Parse a target string; raises ConfigError naming what is wrong."""
    provider, sep, rest = spec.strip().partition(":")
    if not sep or not rest:
        raise ConfigError(
            "a target looks like 'openai:gpt-4o-2024-08-06?temperature=0'", where=repr(spec)
        )
    if provider not in PROVIDERS:
        raise ConfigError(
            f"unknown provider {provider!r}; use one of {', '.join(PROVIDERS)}", where=repr(spec)
        )
    model, _, query = rest.partition("?")
    if not model:
        raise ConfigError("the model is missing", where=repr(spec))
    params: dict[str, Any] = {}
    base_url: str | None = None
    api_key_env: str | None = None
    keyless = False
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ConfigError(
            "the parameters must look like name=value&name=value", where=repr(spec)
        ) from None
    for key, value in pairs:
        if key == "base_url":
            base_url = _check_url(value, spec)
        elif key == "api_key_env":
            if not value:
                raise ConfigError(
                    f"api_key_env is empty; for an endpoint that needs no key write "
                    f"api_key={NO_KEY}",
                    where=repr(spec),
                )
            api_key_env = value
        elif key == "api_key":
            if value != NO_KEY:
                # Never echo the value: it may be a key pasted where it does not belong.
                raise ConfigError(
                    f"api_key takes only the value {NO_KEY!r} (an endpoint that needs no key); "
                    "keys come from the environment: name the variable with api_key_env=",
                    where=f"{provider}:{model}",
                )
            keyless = True
        elif key == "reasoning_effort":
            if value not in REASONING_EFFORTS:
                raise ConfigError(
                    f"reasoning_effort={value!r}: use one of {', '.join(REASONING_EFFORTS)}",
                    where=repr(spec),
                )
            params[key] = value
        elif key in SAMPLING_PARAMS:
            try:
                params[key] = SAMPLING_PARAMS[key](value)
            except ValueError:
                raise ConfigError(f"{key}={value!r} is not a number", where=repr(spec)) from None
        else:
            known = ", ".join([*SAMPLING_PARAMS, *sorted(CONNECTION_PARAMS)])
            raise ConfigError(f"unknown parameter {key!r}; known: {known}", where=repr(spec))
    if "thinking" in params and provider != "anthropic":
        raise ConfigError("thinking (a token budget) is an anthropic parameter", where=repr(spec))
    if "reasoning_effort" in params and provider == "anthropic":
        raise ConfigError(
            "reasoning_effort is an OpenAI parameter; anthropic targets take thinking=<budget>",
            where=repr(spec),
        )
    if provider == "openai-compatible" and base_url is None:
        raise ConfigError("openai-compatible targets need ?base_url=...", where=repr(spec))
    if keyless and api_key_env is not None:
        raise ConfigError(
            f"api_key={NO_KEY} and api_key_env contradict each other; keep one", where=repr(spec)
        )
    return Target(
        provider=provider,
        model=model,
        params=tuple(sorted(params.items())),
        base_url=base_url,
        api_key_env=api_key_env,
        keyless=keyless,
    )


def _plain(value: Any) -> Any:
    # temperature=0 reads better than temperature=0.0 in labels and reports.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _check_url(value: str, spec: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"base_url {value!r} is not an http(s) URL", where=repr(spec))
    return value
