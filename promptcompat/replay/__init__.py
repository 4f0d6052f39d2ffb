"""Replaying a run's calls: planning, the async engine, shards, leases, rate limits, prices."""

from __future__ import annotations

from promptcompat.replay.engine import (
    Progress,
    ProviderFactory,
    ReplayStats,
    error_rows,
    replay,
    snapshot_hash,
)

__all__ = [
    "Progress",
    "ProviderFactory",
    "ReplayStats",
    "error_rows",
    "replay",
    "snapshot_hash",
]
