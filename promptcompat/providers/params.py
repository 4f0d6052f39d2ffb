"""Which request parameter a provider's 400 names: both protocols share the reading."""

from __future__ import annotations

import re
from collections.abc import Iterable


def mentioned_param(message: str, sent: Iterable[str]) -> str | None:
    """The first of ``sent`` that ``message`` names as a word (``'temperature'``,
    ``temperature:``, `` `temperature` ``); None when it names none of them."""
    for name in sorted(sent, key=len, reverse=True):
        if re.search(rf"(?<![A-Za-z0-9_.]){re.escape(name)}(?![A-Za-z0-9_])", message):
            return name
    return None
