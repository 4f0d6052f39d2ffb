"""Narrowing a suite for one run: only some cases, or another compatibility mode.

A run planned from a narrowed suite must be evaluated with the same narrowed suite; the
selection is recorded in the run's request labels (``cases``, ``mode``) so it can be redone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import cast

from promptcompat.errors import ConfigError
from promptcompat.suite.types import MODES, Mode, Suite


def select_suite(suite: Suite, *, cases: Sequence[str] = (), mode: str | None = None) -> Suite:
    """``suite`` with only the cases whose id matches one of ``cases`` (shell patterns, e.g.
    ``billing-*``; empty: every case) and every prompt's mode replaced by ``mode``.

    A prompt left without cases is dropped. Raises ConfigError when nothing is left or the
    mode is unknown.
    """
    if not cases and mode is None:
        return suite
    if mode is not None and mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}", where="mode")
    new_mode = cast("Mode | None", mode)
    prompts = {}
    for name, prompt in suite.prompts.items():
        kept = tuple(
            c for c in prompt.cases if not cases or any(fnmatchcase(c.id, p) for p in cases)
        )
        if not kept:
            continue
        prompts[name] = dataclasses.replace(prompt, cases=kept, mode=new_mode or prompt.mode)
    if not prompts:
        raise ConfigError(f"no case matches {', '.join(cases)}", where="cases")
    return dataclasses.replace(suite, prompts=prompts)
