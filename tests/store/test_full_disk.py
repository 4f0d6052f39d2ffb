"""A run is marked failed on a disk with no byte left: the store's reserve file gives the room
(promptcompat/store/reserve.py). A real small filesystem, filled to the last byte."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from promptcompat import store
from promptcompat.errors import StoreError
from promptcompat.runs.execution import fail_run
from promptcompat.store.reserve import RESERVE_BYTES
from promptcompat.store.tables.core import LIVE_STATUSES, Run

CHUNK = 4096


def fill(disk: Path) -> Path:
    """Write a file until the filesystem refuses a single byte more."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        for size in (CHUNK, 1):
            try:
                while True:
                    out.write(bytes(size))
            except OSError:
                pass
    return filler


def test_a_run_is_marked_failed_when_the_disk_has_no_byte_left(
    small_disk: Callable[[int], Path],
) -> None:
    disk = small_disk(2048)
    db = disk / "promptcompat.db"
    engine = store.open_engine(f"sqlite:///{db}")
    reserve = Path(f"{db}-reserve")
    assert reserve.stat().st_size == RESERVE_BYTES  # made when the store is opened
    with store.session_scope(engine) as session:
        run = Run(status="running")
        session.add(run)
        session.flush()
        run_id = run.id
    filler = fill(disk)
    assert os.statvfs(disk).f_bavail == 0

    failed = fail_run(
        engine=engine,
        run_id=run_id,
        exc=StoreError("the store failed: database or disk is full"),
        only_from=LIVE_STATUSES,
    )

    assert failed
    with store.session_scope(engine) as session:
        stored = store.get_run(session=session, run_id=run_id)
        assert stored.status == "failed" and stored.error is not None
    assert not reserve.exists()  # spent; no room to make it again yet
    engine.dispose()
    filler.unlink()
    store.open_engine(f"sqlite:///{db}").dispose()  # the next open, with room again
    assert reserve.stat().st_size == RESERVE_BYTES
