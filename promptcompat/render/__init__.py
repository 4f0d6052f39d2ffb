"""render."""

from __future__ import annotations

from promptcompat.render.messages import (
    ENV,
    render_messages,
    template_variables,
)

__all__ = [
    "ENV",
    "render_messages",
    "template_variables",
]
