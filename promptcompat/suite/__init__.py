"""The prompt suite on disk: prompts, versions, cases, targets, contracts, policies, the lock."""

from __future__ import annotations

from promptcompat.suite.load import load_suite, lock_versions, required_variables, validate_suite
from promptcompat.suite.types import (
    Case,
    Fixture,
    HistorySlot,
    Message,
    Prompt,
    PromptVersion,
    RequestOptions,
    ResponseFormat,
    Suite,
    Tool,
    ToolCall,
    content_hash,
)

__all__ = [
    "Case",
    "Fixture",
    "HistorySlot",
    "Message",
    "Prompt",
    "PromptVersion",
    "RequestOptions",
    "ResponseFormat",
    "Suite",
    "Tool",
    "ToolCall",
    "content_hash",
    "load_suite",
    "lock_versions",
    "required_variables",
    "validate_suite",
]
