"""The command-line face of the HTTP API: ``serve`` and ``token create|list|revoke``.
Registered on the app in ``cli.py``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from promptcompat.config import get_settings


def register(app: typer.Typer, console: Console) -> None:
    """Add ``serve`` and the ``token`` commands to ``app``."""
    tokens = typer.Typer(
        help="API tokens: create (shown once), list, revoke.", no_args_is_help=True
    )
    app.add_typer(tokens, name="token")

    @app.command()
    def serve(
        host: Annotated[
            str | None, typer.Option(help="Address to listen on (default: api_host, 127.0.0.1).")
        ] = None,
        port: Annotated[
            int | None, typer.Option(help="Port (default: api_port, 8000).", min=0, max=65535)
        ] = None,
        workers: Annotated[
            int | None, typer.Option(help="Processes (default: api_workers, 1).", min=1, max=64)
        ] = None,
    ) -> None:
        """Serve the HTTP API and the review pages (uvicorn), on the embedded store by default."""
        import uvicorn

        from api import create_app
        from api.logs import log_config
        from promptcompat import store

        settings = get_settings()
        bind_host = host or settings.api_host
        bind_port = settings.api_port if port is None else port
        processes = workers or settings.api_workers
        console.print(
            f"promptcompat API on http://{bind_host}:{bind_port}/api/v1/ "
            f"(review pages: /ui/runs, executor: {settings.api_executor}, workers: {processes})"
        )
        # Access logs carry method, path and status only: tokens travel in a header or a
        # cookie, and one a client puts in a URL is blanked by the logging filter.
        logging = log_config("info")
        if processes == 1:
            uvicorn.run(
                create_app(settings),
                host=bind_host,
                port=bind_port,
                log_level="info",
                log_config=logging,
            )
        else:  # each worker process builds its app from the same environment
            store.open_engine(settings.resolved_database_url()).dispose()  # migrate once
            uvicorn.run(
                "api.app:create_app",
                factory=True,
                host=bind_host,
                port=bind_port,
                workers=processes,
                log_level="info",
                log_config=logging,
            )

    @tokens.command("create")
    def token_create(
        name: Annotated[str, typer.Option(help="Who holds it (recorded as the actor).")],
        role: Annotated[str, typer.Option(help="viewer, reviewer or admin.")],
        project: Annotated[
            str | None,
            typer.Option(help="The only project it sees (default: PROMPTCOMPAT_PROJECT)."),
        ] = None,
    ) -> None:
        """Create a token and print it once; only its hash is stored."""
        from promptcompat import store
        from promptcompat.store import api_tokens as core

        settings = get_settings()
        engine = store.open_engine(settings.resolved_database_url())
        with store.session_scope(engine) as session:
            row, plaintext = core.create_token(
                session=session,
                name=name,
                role=role,
                pepper=settings.api_token_pepper.get_secret_value(),
                created_by="cli",
                project=project or settings.project,
            )
        console.print(
            f"created token {row.id} for {row.name} ({row.role}, project {row.project}); "
            "it is shown once:"
        )
        # Plain print: the token must be copyable as is, with no markup or wrapping.
        typer.echo(plaintext)

    @tokens.command("list")
    def token_list(
        revoked: Annotated[bool, typer.Option(help="Include revoked tokens.")] = False,
    ) -> None:
        """List tokens: id, name, role, prefix; never the tokens."""
        from promptcompat import store
        from promptcompat.store import api_tokens as core

        engine = store.open_engine(get_settings().resolved_database_url())
        table = Table("id", "name", "role", "prefix", "created", "revoked")
        with store.session_scope(engine) as session:
            for t in core.list_tokens(session=session, include_revoked=revoked):
                table.add_row(
                    t.id,
                    t.name,
                    t.role,
                    t.prefix + "…",
                    t.created_at.strftime("%Y-%m-%d %H:%M"),
                    t.revoked_at.strftime("%Y-%m-%d %H:%M") if t.revoked_at else "",
                )
        console.print(table)

    @tokens.command("revoke")
    def token_revoke(
        token_id: Annotated[str, typer.Argument(help="The token's id (a unique prefix works).")],
    ) -> None:
        """Revoke a token; it stops working at once."""
        from promptcompat import store
        from promptcompat.store import api_tokens as core

        engine = store.open_engine(get_settings().resolved_database_url())
        with store.session_scope(engine) as session:
            row = core.revoke_token(session=session, token_id=token_id, actor="cli")
        console.print(f"revoked token {row.id} ({row.name}, {row.role})")
