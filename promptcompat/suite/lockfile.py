"""``prompts/prompts.lock``: the content hashes of released prompt versions.

The file is JSON, ``{"<prompt>": {"<version>": "<sha256 hex>"}}``, with sorted keys, two-space
indentation and LF line endings, so that releasing a version is a one-line diff in review.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from promptcompat.errors import SuiteError
from promptcompat.suite.files import parse_json, write_text_atomically

LOCK_FILE = "prompts.lock"
Lock = dict[str, dict[str, str]]
_SHA256 = re.compile(r"[0-9a-f]{64}")


def read_lock(path: Path, *, where: str) -> Lock:
    """Read a lock file; a missing file is an empty lock.

    Raises:
        SuiteError: The file is not valid JSON of the expected shape (names ``where:line``).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"cannot read the lock file: {exc}", where=where) from None
    try:
        data = parse_json(text, where)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"invalid JSON: {exc.msg}", where=f"{where}:{exc.lineno}") from None
    shape = 'expected {"<prompt>": {"<version>": "<sha256 hex>"}}'
    if not isinstance(data, dict):
        raise SuiteError(shape, where=where)
    for prompt, versions in data.items():
        if not isinstance(versions, dict):
            raise SuiteError(f"{prompt!r}: {shape}", where=where)
        for version, digest in versions.items():
            if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
                raise SuiteError(
                    f"{prompt} {version}: {digest!r} is not a sha256 hex digest", where=where
                )
    return data


def write_lock(path: Path, lock: Lock) -> None:
    """Write the lock file atomically (a crash leaves the old or the new file, never half)."""
    text = json.dumps(lock, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_text_atomically(path, text)
