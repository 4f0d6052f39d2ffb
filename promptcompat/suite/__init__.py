"""suite."""

from __future__ import annotations

from promptcompat.suite.load import (
    MODES,
    NAME,
    PROMPT_KEYS,
    ROLES,
    Case,
    Message,
    Mode,
    Prompt,
    PromptVersion,
    Role,
    Suite,
    Validation,
    content_hash,
    load_suite,
    load_suite_problems,
    lock_versions,
    required_variables,
    validate_suite,
)

__all__ = [
    "MODES",
    "NAME",
    "PROMPT_KEYS",
    "ROLES",
    "Case",
    "Message",
    "Mode",
    "Prompt",
    "PromptVersion",
    "Role",
    "Suite",
    "Validation",
    "content_hash",
    "load_suite",
    "load_suite_problems",
    "lock_versions",
    "required_variables",
    "validate_suite",
]
