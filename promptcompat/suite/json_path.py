"""JSON paths as contracts write them (``$.items[0]["a b"]``): parsed once, at load."""

from __future__ import annotations

import json
import re
from functools import lru_cache

PathPart = str | int
_PATH_TOKEN = re.compile(r'\.([A-Za-z_][\w-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


@lru_cache(maxsize=256)
def parse_json_path(path: str) -> tuple[PathPart, ...]:
    """``$.items[0]["a b"]`` -> ``("items", 0, "a b")``; ValueError when malformed."""
    if not path.startswith("$"):
        raise ValueError(f"a JSON path starts with $: {path!r}")
    parts: list[PathPart] = []
    pos = 1
    while pos < len(path):
        m = _PATH_TOKEN.match(path, pos)
        if m is None:
            raise ValueError(f"cannot read JSON path {path!r} at {path[pos:]!r}")
        name, index, quoted = m.groups()
        if name is not None:
            parts.append(name)
        elif index is not None:
            parts.append(int(index))
        else:
            parts.append(json.loads(f'"{quoted}"'))
        pos = m.end()
    return tuple(parts)
