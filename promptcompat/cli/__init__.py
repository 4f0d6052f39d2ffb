"""The console face (Typer + rich): one module per command group."""

from __future__ import annotations

from promptcompat.cli.root import app

__all__ = [
    "app",
]
