"""Listing an account's models, and probing what an alias serves, through the official SDKs.

OpenAI (and OpenAI-compatible servers) answer ``GET /v1/models`` with every model at once;
Anthropic pages with ``after_id``/``has_more``, which the SDK follows when the page is
iterated. The SDKs' own retries are off: a failed listing is recorded and the next poll is the
retry. Keys come from the environment only (``Account.api_key_env``); redirects are not
followed (``providers/transport.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from promptcompat.config import Settings
from promptcompat.errors import AuthError, ProviderError, TransientProviderError
from promptcompat.providers.transport import (
    PLACEHOLDER_KEY,
    anthropic_http,
    foreign_to_openai,
    openai_http,
)
from promptcompat.suite.targets import Target
from promptcompat.watch.config import Account, account_for

if TYPE_CHECKING:
    # imported where used: the SDKs cost a command ~1.3 s of CPU to import (transport.py)
    import anthropic
    import openai


@dataclass(frozen=True)
class Probe:
    served_model: str
    fingerprint: str


def _key(account: Account) -> str:
    if account.api_key_env is None:
        return PLACEHOLDER_KEY  # api_key=none: the transport sends no credential header
    key = os.environ.get(account.api_key_env)
    if not key:
        raise AuthError(f"no API key: set {account.api_key_env}", where=account.name)
    return key


def _openai(account: Account, settings: Settings) -> openai.OpenAI:
    import openai

    return openai.OpenAI(
        api_key=_key(account),
        base_url=account.base_url,
        max_retries=0,
        timeout=settings.request_timeout,
        http_client=openai_http(
            keyless=account.api_key_env is None, foreign=foreign_to_openai(account.base_url)
        ),
    )


def _anthropic(account: Account, settings: Settings) -> anthropic.Anthropic:
    import anthropic

    return anthropic.Anthropic(
        api_key=_key(account),
        base_url=account.base_url,
        max_retries=0,
        timeout=settings.request_timeout,
        http_client=anthropic_http(keyless=account.api_key_env is None),
    )


def list_models(account: Account, settings: Settings) -> list[str]:
    """Every model id the account lists (all pages).

    Raises:
        ProviderError: the listing failed (status, connection, timeout), naming the account.
    """
    import anthropic
    import openai

    try:
        if account.provider == "anthropic":
            with _anthropic(account, settings) as client:
                return [m.id for m in client.models.list(limit=settings.watch_page_size)]
        with _openai(account, settings) as client:
            return [m.id for m in client.models.list()]
    except (openai.APIStatusError, anthropic.APIStatusError) as exc:
        raise _status_error(exc.status_code, str(exc), account) from None
    except (openai.APIError, anthropic.APIError) as exc:
        raise TransientProviderError(
            f"listing models failed: {type(exc).__name__}", where=account.name
        ) from None


def probe_alias(target: Target, settings: Settings) -> Probe:
    """Send one 1-token request to ``target`` and read which model answered, and how."""
    import anthropic
    import openai

    account = account_for(target, settings)
    messages = [{"role": "user", "content": "ping"}]
    try:
        if target.provider == "anthropic":
            with _anthropic(account, settings) as client:
                message = client.messages.create(
                    model=target.model,
                    max_tokens=1,
                    messages=[{"role": "user", "content": "ping"}],
                )
                return Probe(message.model, "")
        with _openai(account, settings) as client:
            completion = client.chat.completions.create(
                model=target.model,
                max_tokens=1,
                messages=messages,  # type: ignore[arg-type]
            )
            return Probe(completion.model, completion.system_fingerprint or "")
    except (openai.APIStatusError, anthropic.APIStatusError) as exc:
        raise _status_error(exc.status_code, str(exc), account) from None
    except (openai.APIError, anthropic.APIError) as exc:
        raise TransientProviderError(
            f"probing {target.label} failed: {type(exc).__name__}", where=account.name
        ) from None


def _status_error(status: int, message: str, account: Account) -> ProviderError:
    text = f"HTTP {status}: {message[:300]}"
    if status in (401, 403):
        return AuthError(text, where=account.name)
    if status == 429 or status >= 500:
        return TransientProviderError(text, where=account.name)
    return ProviderError(text, where=account.name)
