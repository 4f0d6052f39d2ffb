"""Sandboxed Jinja2: rendering untrusted templates within a budget of size and work.

It knows nothing of suites: ``promptcompat.suite`` gives it templates and variables.
"""

from __future__ import annotations

from promptcompat.render.limits import DEFAULT_MAX_STEPS
from promptcompat.render.templates import TemplateSource, render_templates, template_variables

__all__ = [
    "DEFAULT_MAX_STEPS",
    "TemplateSource",
    "render_templates",
    "template_variables",
]
