"""compat."""

from __future__ import annotations

from promptcompat.compat.evaluation import (
    REFERENCE_KEY,
    BaselinesByCase,
    Ident,
    SideKey,
    accepted_targets,
    evaluate,
    request_findings,
    request_side,
)

__all__ = [
    "REFERENCE_KEY",
    "BaselinesByCase",
    "Ident",
    "SideKey",
    "accepted_targets",
    "evaluate",
    "request_findings",
    "request_side",
]
