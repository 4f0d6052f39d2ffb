"""verdict_mark and judge_calibration: reviewers' labelled pairs and the judge's figures

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
# Re-chain after 0011 when both are merged (0011 was written in parallel).
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verdict_mark",
        sa.Column("case_result_id", sa.String(), primary_key=True),
        sa.Column("project", sa.String(), nullable=False, server_default="default"),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("prompt", sa.String(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("right_verdict", sa.String(), nullable=False),
        sa.Column("reviewer", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("baseline", sa.Text(), nullable=False),
        sa.Column("candidate", sa.Text(), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_verdict_mark_project", "verdict_mark", ["project"])
    op.create_index("ix_verdict_mark_run_id", "verdict_mark", ["run_id"])
    op.create_index("ix_verdict_mark_prompt", "verdict_mark", ["prompt"])
    op.create_table(
        "judge_calibration",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("project", sa.String(), nullable=False, server_default="default"),
        sa.Column("judge", sa.String(), nullable=False),
        sa.Column("question", sa.String(), nullable=False),
        sa.Column("labels", sa.String(), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("kappa", sa.Float(), nullable=True),
        sa.Column("calibrated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_judge_calibration_project", "judge_calibration", ["project"])
    op.create_index("ix_judge_calibration_judge", "judge_calibration", ["judge"])
    op.create_index(
        "ix_judge_calibration_calibrated_at", "judge_calibration", ["calibrated_at"]
    )


def downgrade() -> None:
    op.drop_table("judge_calibration")
    op.drop_table("verdict_mark")
