"""The JSON the two protocols put on the wire: answers, model lists and errors.

Shapes follow what the official SDKs parse; every error is one :class:`ApiError` rendered in
the caller's provider shape, so a fault or a bad request looks the same as the real thing.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from promptcompat.simulator.models import Listed

Protocol = Literal["openai", "anthropic"]

# status -> (OpenAI error type, OpenAI code, Anthropic error type)
_BY_STATUS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "invalid_request_error"),
    401: ("invalid_request_error", "invalid_api_key", "authentication_error"),
    403: ("invalid_request_error", "permission_denied", "permission_error"),
    404: ("invalid_request_error", "not_found", "not_found_error"),
    405: ("invalid_request_error", "method_not_allowed", "invalid_request_error"),
    413: ("invalid_request_error", "request_too_large", "request_too_large"),
    429: ("requests", "rate_limit_exceeded", "rate_limit_error"),
    500: ("server_error", None, "api_error"),
    503: ("server_error", "service_unavailable", "api_error"),
    504: ("timeout", "timeout", "timeout_error"),
    529: ("server_error", "overloaded", "overloaded_error"),
}
_FAULT_MESSAGES = {
    429: "Rate limit reached for requests. Please try again later.",
    500: "The server had an error while processing your request.",
    503: "The service is temporarily unavailable.",
    504: "The request timed out before the model answered.",
    529: "Overloaded.",
}
_QUOTA_MESSAGE = "You exceeded your current quota, please check your plan and billing details."


class ApiError(Exception):
    """An error answer; ``code`` and ``body_type`` override the per-status defaults."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        body_type: str | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.body_type = body_type
        self.headers = headers or []
        self.param = param
        """OpenAI's ``error.param``: the request parameter at fault."""


def fault_error(
    status: int, body_type: str | None, message: str | None, headers: list[tuple[bytes, bytes]]
) -> ApiError:
    if message is None:
        quota = body_type is not None and "quota" in body_type
        message = _QUOTA_MESSAGE if quota else _FAULT_MESSAGES.get(status, f"HTTP {status}.")
        message += " (simulated fault)"
    return ApiError(status, message, body_type=body_type, headers=headers)


def error_body(protocol: Protocol, error: ApiError) -> bytes:
    default = ("invalid_request_error", None, "invalid_request_error")
    if error.status >= 500:
        default = ("server_error", None, "api_error")
    openai_type, openai_code, anthropic_type = _BY_STATUS.get(error.status, default)
    if protocol == "anthropic":
        inner = {"type": error.body_type or anthropic_type, "message": error.message}
        return _dumps({"type": "error", "error": inner})
    code = error.body_type or error.code or openai_code
    return _dumps(
        {
            "error": {
                "message": error.message,
                "type": error.body_type or openai_type,
                "param": error.param,
                "code": code,
            }
        }
    )


ToolCalls = tuple[tuple[str, str, dict[str, Any]], ...]
"""(id, tool name, arguments) of an answer's tool calls."""


def openai_completion(
    *,
    served: str,
    fingerprint: str,
    text: str,
    truncated: bool,
    input_tokens: int,
    output_tokens: int,
    tool_calls: ToolCalls = (),
    refusal: str | None = None,
    reasoning_tokens: int | None = None,
) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": refusal}
    finish = "length" if truncated else "stop"
    if tool_calls:
        message["content"] = text or None
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)},
            }
            for call_id, name, args in tool_calls
        ]
        finish = "tool_calls"
    if refusal is not None:
        message["content"] = None
    usage: dict[str, Any] = {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }
    if reasoning_tokens is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    return _dumps(
        {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": served,
            "system_fingerprint": fingerprint,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": finish,
                    "logprobs": None,
                }
            ],
            "usage": usage,
        }
    )


def anthropic_message(
    *,
    served: str,
    text: str,
    truncated: bool,
    input_tokens: int,
    output_tokens: int,
    tool_calls: ToolCalls = (),
    refusal: str | None = None,
    reasoning_tokens: int | None = None,
) -> bytes:
    content: list[dict[str, Any]] = (
        [{"type": "text", "text": text}] if text or not tool_calls else []
    )
    content += [
        {"type": "tool_use", "id": call_id, "name": name, "input": args}
        for call_id, name, args in tool_calls
    ]
    stop = "max_tokens" if truncated else "tool_use" if tool_calls else "end_turn"
    if refusal is not None:
        # The messages API has no refusal field: a refusal is its stop reason, with the text.
        content, stop = [{"type": "text", "text": refusal}], "refusal"
    usage: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    if reasoning_tokens is not None:
        usage["output_tokens_details"] = {"thinking_tokens": reasoning_tokens}
    return _dumps(
        {
            "id": f"msg_sim{uuid.uuid4().hex[:21]}",
            "type": "message",
            "role": "assistant",
            "model": served,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage,
        }
    )


def openai_model(row: Listed) -> dict[str, Any]:
    return {"id": row.id, "object": "model", "created": row.created, "owned_by": row.owned_by}


def anthropic_model(row: Listed) -> dict[str, Any]:
    return {
        "type": "model",
        "id": row.id,
        "display_name": row.display_name,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row.created)),
        "lifecycle": "active",
    }


def openai_model_list(rows: list[Listed]) -> bytes:
    return _dumps({"object": "list", "data": [openai_model(row) for row in rows]})


def anthropic_model_list(rows: list[Listed], query: dict[str, str]) -> bytes:
    """One page, newest first, with Anthropic's cursor fields (``after_id``/``before_id``)."""
    ordered = sorted((r for r in rows if not r.is_alias), key=lambda r: -r.created)
    try:
        limit = int(query.get("limit", "20"))
    except ValueError:
        raise ApiError(400, "limit: must be an integer") from None
    if not 1 <= limit <= 1000:
        raise ApiError(400, "limit: must be between 1 and 1000")
    ids = [r.id for r in ordered]
    after, before = query.get("after_id"), query.get("before_id")
    if after is not None and before is not None:
        raise ApiError(400, "after_id and before_id cannot be used together")
    for name, cursor in (("after_id", after), ("before_id", before)):
        if cursor is not None and cursor not in ids:
            raise ApiError(400, f"{name}: unknown model id {cursor!r}")
    if before is not None:
        end = ids.index(before)
        start = max(0, end - limit)
        page, has_more = ordered[start:end], start > 0
    else:
        start = ids.index(after) + 1 if after is not None else 0
        page, has_more = ordered[start : start + limit], start + limit < len(ordered)
    return _dumps(
        {
            "data": [anthropic_model(row) for row in page],
            "has_more": has_more,
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
        }
    )


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
