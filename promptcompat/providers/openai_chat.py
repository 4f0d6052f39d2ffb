"""OpenAI chat completions, also for OpenAI-compatible endpoints (vLLM, Ollama, gateways)."""

from __future__ import annotations

from typing import Any

import openai

from promptcompat.config import Settings
from promptcompat.errors import (
    AuthError,
    BadRequestError,
    OutputTooLargeError,
    ProviderError,
    QuotaError,
    RateLimitedError,
    TransientProviderError,
)
from promptcompat.providers.completion import Completion
from promptcompat.providers.retry_after import retry_after_seconds
from promptcompat.providers.transport import (
    PLACEHOLDER_KEY,
    openai_async_http,
    redirect_message,
)
from promptcompat.suite import Message
from promptcompat.suite.targets import Target


class OpenAIProvider:
    def __init__(self, *, api_key: str | None, base_url: str | None, settings: Settings) -> None:
        """``api_key`` None: the endpoint needs no key, and no credential header is sent."""
        self._client = openai.AsyncOpenAI(
            api_key=api_key or PLACEHOLDER_KEY,
            base_url=base_url,
            max_retries=0,
            timeout=settings.request_timeout,
            http_client=openai_async_http(keyless=api_key is None),
        )
        self._max_bytes = settings.max_output_bytes

    async def complete(
        self, target: Target, messages: tuple[Message, ...], *, seed: int | None
    ) -> Completion:
        sampling = target.sampling
        kwargs: dict[str, Any] = {}
        for name in ("temperature", "top_p"):
            if name in sampling:
                kwargs[name] = sampling[name]
        if seed is not None:
            kwargs["seed"] = seed
        if "max_tokens" in sampling:
            # OpenAI's own API wants max_completion_tokens; compatible servers know max_tokens.
            name = "max_completion_tokens" if target.provider == "openai" else "max_tokens"
            kwargs[name] = sampling["max_tokens"]
        try:
            response = await self._client.chat.completions.create(
                model=target.model,
                messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
                **kwargs,
            )
        except openai.APIError as exc:
            raise classify(exc, target) from None
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content if choice else None) or ""
        if len(text.encode("utf-8")) > self._max_bytes:
            raise OutputTooLargeError(
                f"answer of {len(text.encode('utf-8')):,} bytes exceeds max_output_bytes"
                f" ({self._max_bytes:,})",
                where=target.label,
            )
        usage = response.usage
        return Completion(
            text=text,
            served_model=response.model,
            fingerprint=response.system_fingerprint,
            finish_reason=choice.finish_reason if choice else None,
            input_tokens=usage.prompt_tokens if usage else None,
            output_tokens=usage.completion_tokens if usage else None,
            response_id=response.id,
        )

    async def aclose(self) -> None:
        await self._client.close()


def classify(exc: openai.APIError, target: Target) -> ProviderError:
    where = target.label
    if isinstance(exc, openai.APITimeoutError):
        return TransientProviderError("the request timed out", where=where, reason="timeout")
    if isinstance(exc, openai.APIConnectionError):
        return TransientProviderError(
            f"cannot connect: {exc.__cause__ or exc.message}", where=where, reason="connection"
        )
    if not isinstance(exc, openai.APIStatusError):
        return ProviderError(exc.message, where=where)
    status = exc.status_code
    if 300 <= status < 400:
        # Not followed (transport.py): the same request would be redirected again.
        return BadRequestError(
            redirect_message(status, exc.response.headers), where=where, reason="redirect"
        )
    message = f"HTTP {status}: {_error_message(exc)}"
    if status == 429:
        if exc.code == "insufficient_quota" or "quota" in message.lower():
            return QuotaError(message, where=where)
        return RateLimitedError(
            message, where=where, retry_after=retry_after_seconds(exc.response.headers)
        )
    if status in (401, 403):
        return AuthError(message, where=where)
    if status >= 500 or status in (408, 409):
        reason = "provider_overloaded" if status in (503, 529) else "server_error"
        return TransientProviderError(message, where=where, reason=reason)
    return BadRequestError(message, where=where, reason="not_found" if status == 404 else None)


def _error_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return exc.message
