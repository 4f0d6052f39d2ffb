"""The audit log: every decision and every privileged action, appended, never edited."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from promptcompat.store import projects
from promptcompat.store.paging import Page, decode_cursor, page_of
from promptcompat.store.tables.review import AuditEntry


def record(
    *,
    session: Session,
    actor: str,
    action: str,
    run_id: str | None = None,
    subject: str | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    project: str | None = None,
) -> AuditEntry:
    """Append one entry (the caller's transaction commits it with the action itself).

    ``project`` defaults to the project the session is bound to (projects.py).
    """
    entry = AuditEntry(
        project=project or projects.project_of(session),
        actor=actor,
        action=action,
        run_id=run_id,
        subject=subject,
        reason=reason,
        detail=detail or {},
    )
    session.add(entry)
    return entry


def history(
    *,
    session: Session,
    limit: int,
    cursor: str | None = None,
    run_id: str | None = None,
    subject: str | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> Page[AuditEntry]:
    """Entries newest first, filtered by any of run, subject, actor and action."""
    query = select(AuditEntry)
    if run_id is not None:
        query = query.where(AuditEntry.run_id == run_id)
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if cursor is not None:
        (last_id,) = decode_cursor("audit", cursor, arity=1)
        query = query.where(col(AuditEntry.id) < int(last_id))
    rows = session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit + 1)).all()
    return page_of(rows, limit=limit, kind="audit", key=lambda e: [e.id])
