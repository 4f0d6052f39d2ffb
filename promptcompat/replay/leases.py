"""Leases on calls: the database says who may call the provider for a cache key right now.

Celery delivers a task at least once, and a task that outlives the visibility timeout runs in
parallel copies (RELIABILITY.md M7), so "exactly one provider call per key" is enforced here:
before calling, a process claims the key (``call_claim``, one row per key) with an expiry;
while it works it renews the expiry; it deletes the claim in the transaction that stores the
result. Another process meeting a live claim leaves the key alone; an expired claim, or one
whose owner process is gone from this host, is taken over with a conditional ``UPDATE``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from uuid import uuid4

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from promptcompat.store.core import answered_keys
from promptcompat.store.processes import pid_alive
from promptcompat.store.sql import chunks, now, upsert
from promptcompat.store.tables.core import CallClaim


@dataclass
class Claims:
    mine: set[str] = field(default_factory=set)
    """Keys this claimer now holds: call them."""
    busy: dict[str, float] = field(default_factory=dict)
    """Keys another live owner holds, with the seconds until that lease expires."""
    answered: set[str] = field(default_factory=set)
    """Keys the store answers: another owner stored them and dropped its claim after the
    caller last looked. Not to be called again."""


class Claimer:
    """One holder of leases: a worker task, or an embedded run."""

    def __init__(self, *, lease_seconds: float) -> None:
        self.lease_seconds = lease_seconds
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.owner = f"{self.host}:{self.pid}:{uuid4().hex[:12]}"

    def claim(self, *, session: Session, keys: Sequence[str]) -> Claims:
        """Claim every key that is free, expired, or held by a dead process of this host,
        and not answered in the store."""
        claims = Claims()
        at = now()
        until = at + self.lease_seconds
        mine = {"owner": self.owner, "host": self.host, "pid": self.pid}
        insert = upsert(session, CallClaim).on_conflict_do_nothing(index_elements=["cache_key"])
        # Keys in one order for every claimer: two claimers inserting overlapping keys in
        # opposite orders deadlock on PostgreSQL (each waits for the other's uncommitted row).
        for part in chunks(sorted(set(keys))):
            rows = [{"cache_key": k, **mine, "lease_until": until, "claimed_at": at} for k in part]
            session.execute(insert, rows)
            session.execute(
                update(CallClaim)
                .where(
                    col(CallClaim.cache_key).in_(part),
                    (col(CallClaim.lease_until) < at) | (col(CallClaim.owner) == self.owner),
                )
                .values(**mine, lease_until=until, claimed_at=at)
            )
            held = session.exec(select(CallClaim).where(col(CallClaim.cache_key).in_(part)))
            for row in held.all():
                if row.owner == self.owner:
                    claims.mine.add(row.cache_key)
                elif row.host == self.host and not pid_alive(row.pid):
                    # Its owner was killed (kill -9, OOM): no need to wait for the expiry.
                    if self._take_over(session, row.cache_key, row.owner, until, at):
                        claims.mine.add(row.cache_key)
                else:
                    claims.busy[row.cache_key] = max(0.0, row.lease_until - at)
        # Under READ COMMITTED (PostgreSQL) another owner can store a key and delete its claim
        # between the caller's look at the cache and this claim: the key is free again, and
        # without this check it would be called twice.
        late = answered_keys(session=session, keys=sorted(claims.mine))
        if late:
            self.release(session=session, keys=late)
            claims.mine -= late
            claims.answered = late
        return claims

    def _take_over(self, session: Session, key: str, owner: str, until: float, at: float) -> bool:
        result = session.execute(
            update(CallClaim)
            .where(col(CallClaim.cache_key) == key, col(CallClaim.owner) == owner)
            .values(
                owner=self.owner, host=self.host, pid=self.pid, lease_until=until, claimed_at=at
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def renew(self, *, session: Session) -> None:
        """Extend every lease this claimer holds (called while its calls are in flight)."""
        session.execute(
            update(CallClaim)
            .where(col(CallClaim.owner) == self.owner)
            .values(lease_until=now() + self.lease_seconds)
        )

    def release(self, *, session: Session, keys: Iterable[str] | None = None) -> None:
        """Drop this claimer's leases on ``keys`` (all of them when None)."""
        statement = delete(CallClaim).where(col(CallClaim.owner) == self.owner)
        if keys is None:
            session.execute(statement)
            return
        for part in chunks(list(keys)):
            session.execute(statement.where(col(CallClaim.cache_key).in_(part)))


def held_elsewhere(*, session: Session, keys: Sequence[str], owner: str) -> set[str]:
    """Those of ``keys`` another owner still holds: unexpired, and its process alive if it
    is on this host. What a run waiting on another run's calls polls."""
    at = now()
    host = socket.gethostname()
    held: set[str] = set()
    for part in chunks(keys):
        rows = session.exec(
            select(CallClaim).where(
                col(CallClaim.cache_key).in_(part),
                col(CallClaim.lease_until) >= at,
                col(CallClaim.owner) != owner,
            )
        )
        held.update(r.cache_key for r in rows if r.host != host or pid_alive(r.pid))
    return held


def live_claims(*, session: Session, keys: Sequence[str]) -> dict[str, CallClaim]:
    """The unexpired claims on ``keys`` (reconcile leaves those keys to their owners)."""
    at = now()
    found: dict[str, CallClaim] = {}
    for part in chunks(keys):
        rows = session.exec(
            select(CallClaim).where(
                col(CallClaim.cache_key).in_(part), col(CallClaim.lease_until) >= at
            )
        )
        found.update((row.cache_key, row) for row in rows)
    return found
