"""suite."""

from __future__ import annotations

from promptcompat.suite.load import (
    NAME,
    PROMPT_KEYS,
    Validation,
    load_suite,
    load_suite_problems,
    lock_versions,
    required_variables,
    validate_suite,
)
from promptcompat.suite.types import (
    MODES,
    ROLES,
    Case,
    Message,
    Mode,
    Prompt,
    PromptVersion,
    Role,
    Suite,
    content_hash,
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
