"""snapshots: git-native baseline files (issue 6)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:40:00
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing to store: accepted snapshots are the Baseline table and the snapshots/ files,
    # and a pending change is a .pending.json file beside its accepted file, decided in git.
    pass


def downgrade() -> None:
    pass
