"""Small SQL helpers shared by the store modules: dialect upserts and time."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlmodel import Session

from promptcompat.errors import StoreError

T = TypeVar("T")
CHUNK = 500
"""SQLite caps bound parameters per statement; lists are sent in chunks well below it."""


def upsert(session: Session, table: Any) -> Any:
    """``INSERT`` with ``on_conflict_do_nothing``/``_update`` for the session's database.

    Both supported databases speak ``ON CONFLICT``, which makes concurrent writers (several
    workers, a redelivered task) safe without a read-then-write race.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    raise StoreError(f"unsupported database dialect {dialect!r}")  # pragma: no cover


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def now() -> float:
    """Wall-clock epoch seconds: leases are compared across processes and hosts."""
    return time.time()
