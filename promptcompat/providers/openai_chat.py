"""OpenAI chat completions, also for OpenAI-compatible endpoints (vLLM, Ollama, gateways)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from promptcompat.config import Settings
from promptcompat.errors import (
    AuthError,
    BadRequestError,
    OutputTooLargeError,
    ParamRejectedError,
    ProviderError,
    QuotaError,
    RateLimitedError,
    TransientProviderError,
)
from promptcompat.providers.completion import Completion, output_size
from promptcompat.providers.params import mentioned_param
from promptcompat.providers.retry_after import retry_after_seconds
from promptcompat.providers.transport import openai_client, redirect_message
from promptcompat.suite import Message
from promptcompat.suite.targets import Target
from promptcompat.suite.turns import tool_call
from promptcompat.suite.types import RequestOptions

if TYPE_CHECKING:
    # imported where used: the SDKs cost a command ~1.3 s of CPU to import (transport.py)
    import openai

NO_OPTIONS = RequestOptions()


class OpenAIProvider:
    def __init__(self, *, api_key: str | None, base_url: str | None, settings: Settings) -> None:
        """``api_key`` None: the endpoint needs no key, and no credential header is sent."""
        self._client = openai_client(api_key=api_key, base_url=base_url, settings=settings)
        self._max_bytes = settings.max_output_bytes

    async def complete(
        self,
        target: Target,
        messages: tuple[Message, ...],
        *,
        seed: int | None,
        options: RequestOptions = NO_OPTIONS,
    ) -> Completion:
        import openai

        sampling = target.sampling
        kwargs: dict[str, Any] = {}
        for name in ("temperature", "top_p", "reasoning_effort", "max_completion_tokens"):
            if name in sampling:
                kwargs[name] = sampling[name]
        if seed is not None:
            kwargs["seed"] = seed
        if "max_tokens" in sampling:
            # OpenAI's own API wants max_completion_tokens; compatible servers know max_tokens.
            name = "max_completion_tokens" if target.provider == "openai" else "max_tokens"
            kwargs.setdefault(name, sampling["max_tokens"])
        kwargs.update(_options(options))
        try:
            response = await self._client.chat.completions.create(
                model=target.model,
                messages=[_message(m) for m in messages],  # type: ignore[misc]
                **kwargs,
            )
        except openai.APIError as exc:
            raise classify(exc, target, sent=set(kwargs)) from None
        choice = response.choices[0] if response.choices else None
        message = choice.message if choice else None
        text = (message.content if message else None) or ""
        calls = tuple(
            tool_call(c.id, c.function.name, c.function.arguments)
            for c in (message.tool_calls if message else None) or ()
            if c.type == "function"
        )
        refusal = message.refusal if message else None
        size = output_size(text, calls, refusal)
        if size > self._max_bytes:
            raise OutputTooLargeError(
                f"answer of {size:,} bytes exceeds max_output_bytes ({self._max_bytes:,})",
                where=target.label,
            )
        usage = response.usage
        details = usage.completion_tokens_details if usage else None
        return Completion(
            text=text,
            served_model=response.model,
            fingerprint=response.system_fingerprint,
            finish_reason=choice.finish_reason if choice else None,
            input_tokens=usage.prompt_tokens if usage else None,
            output_tokens=usage.completion_tokens if usage else None,
            response_id=response.id,
            tool_calls=calls,
            refusal=refusal,
            reasoning_tokens=details.reasoning_tokens if details else None,
        )

    async def aclose(self) -> None:
        await self._client.close()


def _message(message: Message) -> dict[str, Any]:
    """A message in the chat completions form (a history's tool calls and tool results)."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["content"] = message.content or None
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.raw_arguments},
            }
            for c in message.tool_calls
        ]
    return out


def _options(options: RequestOptions) -> dict[str, Any]:
    """Tools and structured output as chat completions arguments; only what is set is sent."""
    out: dict[str, Any] = {}
    if options.tools:
        out["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in options.tools
        ]
    choice = options.tool_choice
    if choice is not None:
        out["tool_choice"] = (
            choice
            if choice in ("auto", "none", "required")
            else {"type": "function", "function": {"name": choice}}
        )
    if options.parallel_tool_calls is not None:
        out["parallel_tool_calls"] = options.parallel_tool_calls
    rf = options.response_format
    if rf is not None:
        out["response_format"] = (
            {"type": "json_object"}
            if rf.kind == "json_object"
            else {
                "type": "json_schema",
                "json_schema": {"name": rf.name, "schema": rf.schema, "strict": rf.strict},
            }
        )
    return out


def classify(
    exc: openai.APIError, target: Target, *, sent: AbstractSet[str] = frozenset()
) -> ProviderError:
    """The error of a failed call; ``sent``: the request parameters it carried, so a 400
    naming one of them is a ``ParamRejectedError``."""
    import openai

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
    if status in (400, 422):
        rejected = _rejected_param(exc, sent)
        if rejected is not None:
            return ParamRejectedError(rejected, _error_message(exc))
    return BadRequestError(message, where=where, reason="not_found" if status == 404 else None)


def _rejected_param(exc: openai.APIStatusError, sent: AbstractSet[str]) -> str | None:
    """The parameter a 400 names: the error's ``param`` field, else the first sent parameter
    its message quotes. None when it names none of what was sent (e.g. an unknown model)."""
    param = getattr(exc, "param", None)
    if isinstance(param, str) and param:
        return param.split(".")[0].split("[")[0]
    return mentioned_param(_error_message(exc), sent)


def _error_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return exc.message
