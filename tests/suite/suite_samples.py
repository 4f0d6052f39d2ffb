"""Text of a minimal valid prompt, which the suite tests break one way at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

MakePrompt = Callable[..., Path]

PROMPT_YAML = """\
description: Say hello
mode: FULL
deployed: v1
targets:
  pinned: openai:gpt-sim-2024-05-13?temperature=0
  candidates:
    - openai:gpt-sim-2025-06-01?temperature=0
contract:
  format: text
cases:
  - {id: c1, vars: {name: Ada}}
"""

VERSION_YAML = """\
variables: [name]
messages:
  - role: system
    content: You greet people.
  - role: user
    content: |
      Say hello to {{ name }}.
"""
