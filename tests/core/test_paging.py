"""Opaque cursors: round trip, and a clear error for anything else."""

from __future__ import annotations

import base64

import pytest

from promptcompat.errors import ConfigError
from promptcompat.store.paging import decode_cursor, encode_cursor, page_of


def test_a_cursor_round_trips_and_belongs_to_one_listing() -> None:
    cursor = encode_cursor("cases", [3, 17, "abc"])
    assert decode_cursor("cases", cursor, arity=3) == [3, 17, "abc"]
    with pytest.raises(ConfigError):
        decode_cursor("runs", cursor, arity=3)
    with pytest.raises(ConfigError):
        decode_cursor("cases", cursor, arity=1)


@pytest.mark.parametrize("cursor", ["", "!!", "bm9wZQ", "W10", "WyJjYXNlcyIsW3RydWVdXQ", "é"])
def test_anything_but_a_cursor_is_a_config_error(cursor: str) -> None:
    with pytest.raises(ConfigError):
        decode_cursor("cases", cursor, arity=1)


def test_a_page_knows_whether_more_rows_follow() -> None:
    assert page_of([1, 2], limit=2, kind="k", key=lambda n: [n]).next_cursor is None
    page = page_of([1, 2, 3], limit=2, kind="k", key=lambda n: [n])
    assert list(page.items) == [1, 2] and decode_cursor("k", page.next_cursor or "", arity=1) == [2]


def test_a_deeply_nested_cursor_is_refused_like_any_other_bad_cursor() -> None:
    deep = base64.urlsafe_b64encode(("[" * 100_000 + "]" * 100_000).encode()).decode()
    with pytest.raises(ConfigError, match="not a cursor"):
        decode_cursor("runs", deep, arity=2)
