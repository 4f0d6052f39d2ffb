"""``promptcompat gc`` and ``promptcompat purge``: retention and deletion on request.

Registered on the app in ``cli.py``; the work is done by ``promptcompat.store.retention``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from promptcompat.config import get_settings

if TYPE_CHECKING:
    # Only for the annotation: retention (and the store) load when gc or purge runs, not for
    # every command (it cost ~0.25 s of each CLI start).
    from promptcompat.store.retention import Removed


def _summary(removed: Removed) -> str:
    verb = "would delete" if removed.dry_run else "deleted"
    notes = []
    if removed.rendered_prompts:
        erased = "would erase" if removed.dry_run else "erased"
        notes.append(
            f"{erased} the rendered prompts of {removed.rendered_prompts} planned calls of "
            "runs no longer live"
        )
    if removed.orphans:
        notes.append(f"marked {len(removed.orphans)} runs failed: their process was gone")
    return (
        f"{verb}: {len(removed.runs)} runs, {removed.case_results} case results, "
        f"{removed.calls} calls, {removed.snapshots} snapshots, {removed.baselines} baselines"
        + "".join(f"; {note}" for note in notes)
    )


def register(app: typer.Typer, console: Console) -> None:
    """Add ``gc`` and ``purge`` to ``app``."""

    @app.command()
    def gc(
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
        project: Annotated[
            str | None, typer.Option(help="Only this project (default: every project).")
        ] = None,
    ) -> None:
        """Apply retention: delete runs older than retention_days, and outputs nothing uses.

        Accepted baselines and the audit log stay.
        """
        from promptcompat import store
        from promptcompat.store.retention import collect

        settings = get_settings()
        engine = store.open_engine(settings.resolved_database_url())
        with store.session_scope(engine) as session:
            removed = collect(
                session=session,
                default_days=settings.retention_days,
                by_project=settings.retention_days_by_project,
                project=project,
                dry_run=dry_run,
            )
        console.print(_summary(removed))

    @app.command()
    def purge(
        prompt: Annotated[str, typer.Option(help="The prompt whose stored data is deleted.")],
        case: Annotated[str | None, typer.Option(help="Only this case of the prompt.")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
    ) -> None:
        """Delete everything stored of a prompt (or one case): outputs, baselines, results."""
        from promptcompat import store
        from promptcompat.store import audit
        from promptcompat.store.retention import purge as purge_data

        settings = get_settings()
        engine = store.open_engine(settings.resolved_database_url())
        with store.session_scope(engine) as session:
            removed = purge_data(session=session, prompt=prompt, case_id=case, dry_run=dry_run)
            if not dry_run:
                audit.record(
                    session=session,
                    actor="cli",
                    action="privacy.purge",
                    subject=prompt if case is None else f"{prompt}/{case}",
                    detail=removed.to_dict(),
                    project=settings.project,
                )
        console.print(_summary(removed))
