"""The HTTP API and the review pages, thin over the promptcompat core."""

from __future__ import annotations

from api.app import create_app

__all__ = ["create_app"]
