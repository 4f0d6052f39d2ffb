"""draft versions: the store keeps every content of a draft it replayed (issue 13.6)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_STR = sqlmodel.sql.sqltypes.AutoString
# 0001 left prompt_version's unique constraint unnamed; SQLite's batch mode names it by this.
_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_CASE = ["prompt", "version", "target", "case_id", "sample"]


def _old_version_unique() -> str:
    if op.get_bind().dialect.name == "sqlite":
        return "uq_prompt_version_prompt"
    return "prompt_version_prompt_version_key"  # PostgreSQL's default name


def upgrade() -> None:
    # A version is recorded once per content: a draft may change, a released one may not.
    # Versions recorded before are not known to be released (the lock file still says so):
    # marking them released would keep every draft an old store saw frozen.
    with op.batch_alter_table("prompt_version", naming_convention=_CONVENTION) as batch:
        batch.add_column(
            sa.Column("released", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.drop_constraint(_old_version_unique(), type_="unique")
        batch.create_unique_constraint(
            "uq_prompt_version_content", ["prompt", "version", "content_hash"]
        )
    # A baseline belongs to the content it was accepted for; until now a version had exactly
    # one recorded content, which is the one of its baselines.
    with op.batch_alter_table("baseline") as batch:
        batch.add_column(sa.Column("version_hash", _STR(), nullable=False, server_default=""))
    op.execute(
        "UPDATE baseline SET version_hash = COALESCE((SELECT pv.content_hash FROM prompt_version "
        "pv WHERE pv.prompt = baseline.prompt AND pv.version = baseline.version), '')"
    )
    with op.batch_alter_table("baseline") as batch:
        batch.drop_constraint("uq_baseline_project_case", type_="unique")
        batch.create_unique_constraint(
            "uq_baseline_project_case", ["project", "prompt", "version", "version_hash", *_CASE[2:]]
        )


def downgrade() -> None:
    # Only the newest content of each version survives the old one-row-per-version keys.
    op.execute(
        "DELETE FROM baseline WHERE id NOT IN (SELECT MAX(id) FROM baseline GROUP BY project, "
        "prompt, version, target, case_id, sample)"
    )
    with op.batch_alter_table("baseline") as batch:
        batch.drop_constraint("uq_baseline_project_case", type_="unique")
        batch.create_unique_constraint("uq_baseline_project_case", ["project", *_CASE])
        batch.drop_column("version_hash")
    op.execute(
        "DELETE FROM prompt_version WHERE id NOT IN (SELECT MAX(id) FROM prompt_version "
        "GROUP BY prompt, version)"
    )
    with op.batch_alter_table("prompt_version", naming_convention=_CONVENTION) as batch:
        batch.drop_constraint("uq_prompt_version_content", type_="unique")
        batch.create_unique_constraint(_old_version_unique(), ["prompt", "version"])
        batch.drop_column("released")
