"""Building prompt versions and cases in memory for render tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from promptcompat.suite import Case, Message, PromptVersion, content_hash

SOURCE = "prompts/t/versions/v1.yaml"


def version(*contents: str, variables: tuple[str, ...] = ("x",)) -> PromptVersion:
    """A version whose messages alternate system/user; message i starts on line 10 * (i + 1)."""
    roles = ("system", "user")
    messages = tuple(
        Message(role=roles[i % 2] if len(contents) > 1 else "user", content=text)  # type: ignore[arg-type]
        for i, text in enumerate(contents)
    )
    return PromptVersion(
        prompt="t",
        version="v1",
        messages=messages,
        variables=variables,
        content_hash=content_hash(messages, variables),
        path=Path(SOURCE),
        source=SOURCE,
        lines=tuple(10 * (i + 1) for i in range(len(contents))),
    )


def case(**variables: Any) -> Case:
    return Case(id="c7", vars=variables, source="prompts/t/cases.jsonl:7")
