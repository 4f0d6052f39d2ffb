"""project lookups: indexes for the project criteria on shared calls and snapshots

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# A bound session asks, per call or snapshot row, whether one of the project's runs used it
# or one of its baselines holds it (projects.py): these make that an index lookup.
_INDEXES = (
    ("run_call", "cache_key"),
    ("call", "snapshot_hash"),
    ("baseline", "cache_key"),
    ("baseline", "snapshot_hash"),
)


def upgrade() -> None:
    for table, column in _INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    for table, column in _INDEXES:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
