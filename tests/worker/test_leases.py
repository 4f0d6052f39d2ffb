"""Leases on calls (leases.py): one owner per key, taken over when it expires or dies."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, update
from sqlmodel import col, select
from worker_helpers import wait_until

from promptcompat import store
from promptcompat.replay.leases import Claimer, live_claims
from promptcompat.store.processes import pid_alive
from promptcompat.store.sql import now
from promptcompat.store.tables.core import Call, CallClaim

KEYS = [f"k{i:03d}" for i in range(50)]


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    engine = store.open_engine(database_url)
    yield engine
    engine.dispose()


def claim(db: Engine, claimer: Claimer, keys: list[str]):  # type: ignore[no-untyped-def]
    with store.session_scope(db) as session:
        return claimer.claim(session=session, keys=keys)


def test_a_claimed_key_is_busy_for_everyone_else(db: Engine) -> None:
    first, second = Claimer(lease_seconds=30), Claimer(lease_seconds=30)
    assert claim(db, first, KEYS).mine == set(KEYS)
    again = claim(db, second, [*KEYS[:10], "free"])
    assert again.mine == {"free"}
    assert set(again.busy) == set(KEYS[:10])
    assert all(25 < left <= 30 for left in again.busy.values())
    assert claim(db, first, KEYS[:5]).mine == set(KEYS[:5])  # its own claims: renewed


def test_an_expired_lease_is_taken_over(db: Engine) -> None:
    first, second = Claimer(lease_seconds=0.3), Claimer(lease_seconds=30)
    claim(db, first, KEYS[:3])
    assert claim(db, second, KEYS[:3]).busy
    wait_until(lambda: claim(db, second, KEYS[:3]).mine == set(KEYS[:3]), timeout=5, what="expiry")
    assert claim(db, first, KEYS[:3]).mine == set()


def test_a_lease_whose_owner_process_died_is_taken_over_at_once(db: Engine) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    assert not pid_alive(dead.pid)
    ghost = Claimer(lease_seconds=300)
    ghost.pid = dead.pid
    claim(db, ghost, KEYS[:4])
    other_host = Claimer(lease_seconds=300)
    other_host.pid, other_host.host = dead.pid, "elsewhere"
    claim(db, other_host, KEYS[4:6])
    taker = Claimer(lease_seconds=30)
    claims = claim(db, taker, KEYS[:6])
    assert claims.mine == set(KEYS[:4])
    # A process on another host cannot be checked: its lease runs until it expires.
    assert set(claims.busy) == set(KEYS[4:6])


def test_renew_and_release_touch_only_the_owners_claims(db: Engine) -> None:
    first, second = Claimer(lease_seconds=2), Claimer(lease_seconds=2)
    claim(db, first, KEYS[:2])
    claim(db, second, KEYS[2:4])
    with store.session_scope(db) as session:
        session.execute(update(CallClaim).values(lease_until=now() + 0.5))
        first.renew(session=session)
    with store.session_scope(db) as session:
        rows = {c.cache_key: c for c in session.exec(select(CallClaim))}
        assert rows["k000"].lease_until > now() + 1 > rows["k002"].lease_until
        first.release(session=session, keys=["k000", "k002"])
    with store.session_scope(db) as session:
        left = set(session.exec(select(CallClaim.cache_key)))
        assert left == {"k001", "k002", "k003"}
        assert set(live_claims(session=session, keys=KEYS)) == left
        first.release(session=session)
        assert set(session.exec(select(CallClaim.cache_key))) == {"k002", "k003"}


def test_concurrent_claimers_never_share_a_key(database_url: str) -> None:
    url = database_url
    store.open_engine(url)
    owners: dict[str, list[str]] = {}
    lock = threading.Lock()

    errors: list[BaseException] = []

    def contend(index: int) -> None:
        engine = store.open_engine(url)
        claimer = Claimer(lease_seconds=30)
        order = KEYS if index % 2 else list(reversed(KEYS))
        try:
            mine = claim(engine, claimer, order).mine
        except BaseException as exc:  # a claimer that failed (a deadlock) fails the test
            errors.append(exc)
            return
        with lock:
            for key in mine:
                owners.setdefault(key, []).append(claimer.owner)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(owners) == set(KEYS)
    assert all(len(holders) == 1 for holders in owners.values())
    with store.session_scope(store.open_engine(url)) as session:
        assert (
            len(session.exec(select(CallClaim).where(col(CallClaim.cache_key).in_(KEYS))).all())
            == 50
        )


def test_a_key_stored_after_the_caller_looked_is_not_claimed_again(db: Engine) -> None:
    # The race of two copies of one shard on PostgreSQL: the second copy looks at the cache
    # (nothing), the first stores the key and drops its claim, then the second claims. The
    # key is free by then, but answered: calling it again would be a second provider call.
    first, second = Claimer(lease_seconds=30), Claimer(lease_seconds=30)
    assert claim(db, first, KEYS[:2]).mine == set(KEYS[:2])
    with store.session_scope(db) as session:
        session.add(
            Call(cache_key=KEYS[0], prompt="p", version="v1", case_id="c", target="t", sample=0)
        )
        first.release(session=session, keys=[KEYS[0]])
    claims = claim(db, second, KEYS[:3])
    assert claims.answered == {KEYS[0]}
    assert claims.mine == {KEYS[2]} and set(claims.busy) == {KEYS[1]}
    with store.session_scope(db) as session:
        assert set(live_claims(session=session, keys=KEYS)) == {KEYS[1], KEYS[2]}
