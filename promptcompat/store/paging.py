"""Cursor pagination: a page of rows and an opaque cursor that continues after its last row.

A cursor is the sort key of the last row, as URL-safe base64 of JSON: opaque to clients,
stable under inserts (no row is skipped or repeated, unlike offsets), and checked when read.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from promptcompat.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None
    """Pass it back to get the rows after ``items``; None on the last page."""


def encode_cursor(kind: str, key: Sequence[Any]) -> str:
    """The cursor after a row whose sort key is ``key`` in a listing of ``kind``."""
    blob = json.dumps([kind, list(key)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, *, arity: int) -> list[Any]:
    """The sort key in ``cursor``; a ConfigError if it is not a cursor of this listing."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    # RecursionError: a hand-made cursor nested a thousand lists deep is no cursor either.
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        raise ConfigError("not a cursor this API returned", where="cursor") from None
    if (
        not isinstance(data, list)
        or len(data) != 2
        or data[0] != kind
        or not isinstance(data[1], list)
        or len(data[1]) != arity
        or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in data[1])
    ):
        raise ConfigError("not a cursor of this listing", where="cursor")
    return list(data[1])


def page_of(rows: Sequence[T], *, limit: int, kind: str, key: Any) -> Page[T]:
    """A page from ``limit + 1`` fetched rows: the extra row only says there is more."""
    if len(rows) <= limit:
        return Page(items=rows, next_cursor=None)
    items = rows[:limit]
    return Page(items=items, next_cursor=encode_cursor(kind, key(items[-1])))
