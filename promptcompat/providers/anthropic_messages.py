"""Anthropic messages API."""

from __future__ import annotations

from typing import Any

import anthropic

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
    anthropic_async_http,
    redirect_message,
)
from promptcompat.suite import Message
from promptcompat.suite.targets import Target


class AnthropicProvider:
    def __init__(self, *, api_key: str | None, base_url: str | None, settings: Settings) -> None:
        """``api_key`` None: the endpoint needs no key, and no credential header is sent."""
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key or PLACEHOLDER_KEY,
            base_url=base_url,
            max_retries=0,
            timeout=settings.request_timeout,
            http_client=anthropic_async_http(keyless=api_key is None),
        )
        self._max_bytes = settings.max_output_bytes
        self._default_max_tokens = settings.default_max_tokens

    async def complete(
        self, target: Target, messages: tuple[Message, ...], *, seed: int | None
    ) -> Completion:
        sampling = target.sampling
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
        # This SDK version has no typed sampling arguments; the API still takes them in the body.
        extra: dict[str, Any] = {k: sampling[k] for k in ("temperature", "top_p") if k in sampling}
        kwargs: dict[str, Any] = {"extra_body": extra} if extra else {}
        if system:
            kwargs["system"] = system
        try:
            response = await self._client.messages.create(
                model=target.model,
                max_tokens=int(sampling.get("max_tokens", self._default_max_tokens)),
                messages=turns,  # type: ignore[arg-type]
                **kwargs,
            )
        except anthropic.APIError as exc:
            raise classify(exc, target) from None
        text = "".join(block.text for block in response.content if block.type == "text")
        if len(text.encode("utf-8")) > self._max_bytes:
            raise OutputTooLargeError(
                f"answer of {len(text.encode('utf-8')):,} bytes exceeds max_output_bytes"
                f" ({self._max_bytes:,})",
                where=target.label,
            )
        return Completion(
            text=text,
            served_model=response.model,
            fingerprint=None,
            finish_reason=response.stop_reason,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            response_id=response.id,
        )

    async def aclose(self) -> None:
        await self._client.close()


def classify(exc: anthropic.APIError, target: Target) -> ProviderError:
    where = target.label
    if isinstance(exc, anthropic.APITimeoutError):
        return TransientProviderError("the request timed out", where=where, reason="timeout")
    if isinstance(exc, anthropic.APIConnectionError):
        return TransientProviderError(
            f"cannot connect: {exc.__cause__ or exc.message}", where=where, reason="connection"
        )
    if not isinstance(exc, anthropic.APIStatusError):
        return ProviderError(exc.message, where=where)
    status = exc.status_code
    if 300 <= status < 400:
        # Not followed (transport.py): the same request would be redirected again.
        return BadRequestError(
            redirect_message(status, exc.response.headers), where=where, reason="redirect"
        )
    kind, text = _error_parts(exc)
    message = f"HTTP {status}: {text}"
    if status == 429:
        if "spend_limit" in str(exc.body) or "quota" in text.lower():
            return QuotaError(message, where=where)
        return RateLimitedError(
            message, where=where, retry_after=retry_after_seconds(exc.response.headers)
        )
    if status in (401, 403):
        return AuthError(message, where=where)
    if status >= 500 or status in (408, 409) or kind == "overloaded_error":
        reason = "provider_overloaded" if status in (503, 529) else "server_error"
        return TransientProviderError(message, where=where, reason=reason)
    return BadRequestError(message, where=where, reason="not_found" if status == 404 else None)


def _error_parts(exc: anthropic.APIStatusError) -> tuple[str | None, str]:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner.get("type"), str(inner.get("message", exc.message))
    return None, exc.message
