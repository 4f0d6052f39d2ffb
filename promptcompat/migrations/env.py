"""Alembic environment: the connection comes from promptcompat.store.migrate()."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from promptcompat import (  # noqa: F401  (register the tables on the metadata)
    models,
    models_review,
    models_watch,
)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
