"""The language an output is written in (py3langid), for the language detectors and for the
language the instructions are written in."""

from __future__ import annotations

import re
import threading
from typing import Any

TRAILING_MARKER = re.compile(r"\[([^\W\d][\w\-]{0,40})\][\s*_\"'\u201d.!)]*\Z")
"""A bracketed marker ending the text (``... [Yes].``): left out when identifying a language."""
_NON_LETTERS = re.compile(r"[\W\d_]+")
MIN_LETTERS = 20
"""Below this many letters a text is too short to tell its language."""
_MAX_CHARS = 4000


class _Langid:
    """py3langid's model takes ~1 s to load: once per process, on first use."""

    _lock = threading.Lock()
    _identifier: Any = None

    @classmethod
    def rank(cls, text: str) -> list[tuple[str, float]]:
        if cls._identifier is None:
            with cls._lock:
                if cls._identifier is None:
                    from py3langid.langid import MODEL_FILE, LanguageIdentifier

                    cls._identifier = LanguageIdentifier.from_model_file(
                        MODEL_FILE, norm_probs=True
                    )
        ranked: list[tuple[str, float]] = cls._identifier.rank(text)
        return ranked


def letters(text: str) -> int:
    """How many letters the text has (in its first part, which is all a language needs)."""
    return len(_NON_LETTERS.sub("", text[:_MAX_CHARS]))


def languages(text: str) -> dict[str, float]:
    """Top languages with probabilities; empty when the text is too short to tell."""
    if letters(text) < MIN_LETTERS:
        return {}
    body = TRAILING_MARKER.sub("", text[:_MAX_CHARS].strip())
    return dict(_Langid.rank(body)[:8])
