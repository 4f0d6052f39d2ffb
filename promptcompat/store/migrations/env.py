"""Alembic environment: the connection comes from promptcompat.store.core.migrate()."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from promptcompat.store.tables import core as models  # noqa: F401
from promptcompat.store.tables import judging as models_judging  # noqa: F401
from promptcompat.store.tables import review as models_review  # noqa: F401
from promptcompat.store.tables import watch as models_watch  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
