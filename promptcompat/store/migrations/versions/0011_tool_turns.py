"""tool turns: a snapshot's kind (text, or the JSON document of a turn with tool calls), the
request options (tools, structured output) and agent loop of a planned call, a call's
reasoning tokens

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every snapshot stored before this revision is an answer's text.
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(),
                nullable=False,
                server_default="text",
            )
        )
    with op.batch_alter_table("planned_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("options", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("loop", sa.JSON(), nullable=True))
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reasoning_tokens", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_column("reasoning_tokens")
    with op.batch_alter_table("planned_call", schema=None) as batch_op:
        batch_op.drop_column("loop")
        batch_op.drop_column("options")
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.drop_column("kind")
