"""finding.waived: a waiver is a field of the stored finding, not a prefix of its message

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("waived", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Findings stored before this revision said it only in their message.
    op.execute(
        sa.text("UPDATE finding SET waived = :yes WHERE message LIKE 'waived until %'").bindparams(
            yes=True
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_column("waived")
