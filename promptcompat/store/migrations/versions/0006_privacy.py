"""privacy: projects, retention (issue 8)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_STR = sqlmodel.sql.sqltypes.AutoString
# Runs and tokens made before projects existed belong to the default project.
_TABLES = ("run", "api_token", "audit_log")


# 0001 left the baseline's unique constraint unnamed; SQLite's batch mode names it by this.
_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_CASE = ["prompt", "version", "target", "case_id", "sample"]


def _old_unique() -> str:
    if op.get_bind().dialect.name == "sqlite":
        return "uq_baseline_prompt"
    return "baseline_prompt_version_target_case_id_sample_key"  # PostgreSQL's default name


def upgrade() -> None:
    # Baselines become per project: each project accepts its own.
    with op.batch_alter_table("baseline", naming_convention=_CONVENTION) as batch:
        batch.add_column(sa.Column("project", _STR(), nullable=False, server_default="default"))
        batch.create_index("ix_baseline_project", ["project"], unique=False)
        batch.drop_constraint(_old_unique(), type_="unique")
        batch.create_unique_constraint("uq_baseline_project_case", ["project", *_CASE])
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("project", _STR(), nullable=False, server_default="default"))
            batch.create_index(f"ix_{table}_project", ["project"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("baseline", naming_convention=_CONVENTION) as batch:
        batch.drop_constraint("uq_baseline_project_case", type_="unique")
        batch.create_unique_constraint(_old_unique(), _CASE)
        batch.drop_index("ix_baseline_project")
        batch.drop_column("project")
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_project")
            batch.drop_column("project")
