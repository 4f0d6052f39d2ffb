"""watcher: model sightings, release events, webhook deliveries (issue 7)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "watch_poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", _STR(), nullable=False),
        sa.Column("at", _TIME(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("models", sa.Integer(), nullable=False),
        sa.Column("new_models", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_watch_poll_account"), "watch_poll", ["account"], unique=False)
    op.create_index(op.f("ix_watch_poll_at"), "watch_poll", ["at"], unique=False)

    op.create_table(
        "model_sighting",
        sa.Column("account", _STR(), nullable=False),
        sa.Column("model_id", _STR(), nullable=False),
        sa.Column("first_seen", _TIME(), nullable=False),
        sa.Column("last_seen", _TIME(), nullable=False),
        sa.PrimaryKeyConstraint("account", "model_id"),
    )

    op.create_table(
        "release_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _STR(), nullable=False),
        sa.Column("account", _STR(), nullable=False),
        sa.Column("model_id", _STR(), nullable=False),
        sa.Column("source", _STR(), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("planned_at", _TIME(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "account", "model_id"),
    )
    op.create_index(op.f("ix_release_event_kind"), "release_event", ["kind"], unique=False)
    op.create_index(
        op.f("ix_release_event_created_at"), "release_event", ["created_at"], unique=False
    )

    op.create_table(
        "release_run",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("baseline", _STR(), nullable=False),
        sa.Column("candidate", _STR(), nullable=False),
        sa.Column("run_id", _STR(), nullable=True),
        sa.Column("prompts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("notified_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["release_event.id"]),
        sa.PrimaryKeyConstraint("event_id", "baseline"),
    )
    op.create_index(op.f("ix_release_run_run_id"), "release_run", ["run_id"], unique=False)
    op.create_index(
        op.f("ix_release_run_notified_at"), "release_run", ["notified_at"], unique=False
    )

    op.create_table(
        "alias_state",
        sa.Column("target", _STR(), nullable=False),
        sa.Column("served_model", _STR(), nullable=False),
        sa.Column("fingerprint", _STR(), nullable=False),
        sa.Column("observed_at", _TIME(), nullable=False),
        sa.Column("last_call_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("target"),
    )

    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", _STR(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("url", _STR(), nullable=False),
        sa.Column("format", _STR(), nullable=False),
        sa.Column("status", _STR(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("log", sa.JSON(), nullable=False),
        sa.Column("claimed_until", sa.Float(), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("delivered_at", _TIME(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "url"),
    )
    op.create_index(
        op.f("ix_webhook_delivery_run_id"), "webhook_delivery", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_webhook_delivery_status"), "webhook_delivery", ["status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_delivery_status"), table_name="webhook_delivery")
    op.drop_index(op.f("ix_webhook_delivery_run_id"), table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_table("alias_state")
    op.drop_index(op.f("ix_release_run_notified_at"), table_name="release_run")
    op.drop_index(op.f("ix_release_run_run_id"), table_name="release_run")
    op.drop_table("release_run")
    op.drop_index(op.f("ix_release_event_created_at"), table_name="release_event")
    op.drop_index(op.f("ix_release_event_kind"), table_name="release_event")
    op.drop_table("release_event")
    op.drop_table("model_sighting")
    op.drop_index(op.f("ix_watch_poll_at"), table_name="watch_poll")
    op.drop_index(op.f("ix_watch_poll_account"), table_name="watch_poll")
    op.drop_table("watch_poll")
