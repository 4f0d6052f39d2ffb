"""Anthropic messages API."""

from __future__ import annotations

import json
from collections.abc import Iterable
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
from promptcompat.providers.transport import anthropic_client, redirect_message
from promptcompat.suite import Message
from promptcompat.suite.targets import Target
from promptcompat.suite.types import RequestOptions, ToolCall

if TYPE_CHECKING:
    # imported where used: the SDKs cost a command ~1.3 s of CPU to import (transport.py)
    import anthropic

NO_OPTIONS = RequestOptions()


class AnthropicProvider:
    def __init__(self, *, api_key: str | None, base_url: str | None, settings: Settings) -> None:
        """``api_key`` None: the endpoint needs no key, and no credential header is sent."""
        self._client = anthropic_client(api_key=api_key, base_url=base_url, settings=settings)
        self._max_bytes = settings.max_output_bytes
        self._default_max_tokens = settings.default_max_tokens

    async def complete(
        self,
        target: Target,
        messages: tuple[Message, ...],
        *,
        seed: int | None,
        options: RequestOptions = NO_OPTIONS,
    ) -> Completion:
        import anthropic

        sampling = target.sampling
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = _turns(m for m in messages if m.role != "system")
        # This SDK version has no typed sampling arguments; the API still takes them in the body.
        extra: dict[str, Any] = {k: sampling[k] for k in ("temperature", "top_p") if k in sampling}
        kwargs: dict[str, Any] = {"extra_body": extra} if extra else {}
        if system:
            kwargs["system"] = system
        if "thinking" in sampling:
            kwargs["thinking"] = {"type": "enabled", "budget_tokens": int(sampling["thinking"])}
        kwargs.update(_options(options))
        sent = {*extra, *kwargs} - {"extra_body", "system"}
        if "max_tokens" in sampling:
            sent.add("max_tokens")
        try:
            response = await self._client.messages.create(
                model=target.model,
                max_tokens=int(sampling.get("max_tokens", self._default_max_tokens)),
                messages=turns,  # type: ignore[arg-type]
                **kwargs,
            )
        except anthropic.APIError as exc:
            raise classify(exc, target, sent=sent) from None
        text = "".join(block.text for block in response.content if block.type == "text")
        calls = tuple(
            ToolCall(
                id=block.id,
                name=block.name,
                arguments=block.input,
                raw_arguments=json.dumps(block.input, ensure_ascii=False),
            )
            for block in response.content
            if block.type == "tool_use"
        )
        # The refusal of the messages API is a stop reason; its text is whatever came with it.
        refusal = text if response.stop_reason == "refusal" else None
        size = output_size(text, calls, refusal)
        if size > self._max_bytes:
            raise OutputTooLargeError(
                f"answer of {size:,} bytes exceeds max_output_bytes ({self._max_bytes:,})",
                where=target.label,
            )
        details = response.usage.output_tokens_details
        return Completion(
            text="" if refusal is not None else text,
            served_model=response.model,
            fingerprint=None,
            finish_reason=response.stop_reason,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            response_id=response.id,
            tool_calls=calls,
            refusal=refusal,
            reasoning_tokens=details.thinking_tokens if details else None,
        )

    async def aclose(self) -> None:
        await self._client.close()


def _turns(messages: Iterable[Message]) -> list[dict[str, Any]]:
    """Messages in the messages API form: an assistant's tool calls are ``tool_use`` blocks,
    tool results ``tool_result`` blocks of one user turn (consecutive results share it)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            block = {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}
            last = out[-1] if out else None
            if last is not None and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif m.role == "assistant" and m.tool_calls:
            blocks: list[dict[str, Any]] = (
                [{"type": "text", "text": m.content}] if m.content else []
            )
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments or {}}
                for c in m.tool_calls
            ]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def _options(options: RequestOptions) -> dict[str, Any]:
    """Tools and structured output as messages API arguments; only what is set is sent.

    ``tool_choice`` ``required`` is Anthropic's ``any``; ``parallel_tool_calls: false`` its
    ``disable_parallel_tool_use``. Structured output is the SDK's ``output_config.format``
    (a JSON Schema); JSON mode, which the messages API lacks, asks for the schema of any
    JSON object (``{"type": "object"}``). ``strict`` has no counterpart: the format is
    always enforced.
    """
    out: dict[str, Any] = {}
    if options.tools:
        out["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in options.tools
        ]
    choice: dict[str, Any] | None = None
    if options.tool_choice in ("auto", "none"):
        choice = {"type": options.tool_choice}
    elif options.tool_choice == "required":
        choice = {"type": "any"}
    elif options.tool_choice is not None:
        choice = {"type": "tool", "name": options.tool_choice}
    if options.parallel_tool_calls is not None:
        choice = choice or {"type": "auto"}
        if choice["type"] != "none":
            choice["disable_parallel_tool_use"] = not options.parallel_tool_calls
    if choice is not None:
        out["tool_choice"] = choice
    rf = options.response_format
    if rf is not None:
        schema = (
            rf.schema if rf.kind == "json_schema" and rf.schema is not None else {"type": "object"}
        )
        out["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
    return out


def classify(
    exc: anthropic.APIError, target: Target, *, sent: AbstractSet[str] = frozenset()
) -> ProviderError:
    """The error of a failed call; ``sent``: the request parameters it carried, so a 400
    naming one of them is a ``ParamRejectedError``."""
    import anthropic

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
    if status == 400 and kind == "invalid_request_error":
        rejected = mentioned_param(text, sent)
        if rejected is not None:
            return ParamRejectedError(rejected, text)
    return BadRequestError(message, where=where, reason="not_found" if status == 404 else None)


def _error_parts(exc: anthropic.APIStatusError) -> tuple[str | None, str]:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner.get("type"), str(inner.get("message", exc.message))
    return None, exc.message
