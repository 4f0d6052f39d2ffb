"""Rendering a prompt version's messages for a case: the suite's side of ``promptcompat.render``."""

from __future__ import annotations

from promptcompat.errors import TemplateError, TemplateUndefinedError
from promptcompat.render import DEFAULT_MAX_STEPS, TemplateSource, render_templates
from promptcompat.suite.turns import HistoryError, parse_history
from promptcompat.suite.types import Case, Message, PromptVersion


def _where(version: PromptVersion, index: int) -> tuple[str, int]:
    source = version.source or str(version.path)
    first = version.lines[index] if index < len(version.lines) else 0
    return (source if first else f"{source} (message {index + 1})"), first


def template_sources(version: PromptVersion) -> tuple[TemplateSource, ...]:
    """The version's message templates, each named by its file and line."""
    sources = []
    for index, message in enumerate(version.messages):
        where, first = _where(version, index)
        key = (version.content_hash, index)
        sources.append(TemplateSource(message.content, where, first, key))
    return tuple(sources)


def render_messages(
    version: PromptVersion,
    case: Case,
    *,
    max_chars: int,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> tuple[Message, ...]:
    """Render every message of ``version`` with the variables of ``case``.

    Args:
        version: The prompt version whose message templates are rendered.
        case: Supplies the variables; only those the version declares are visible.
        max_chars: Cap on the rendered text of all messages together, and on any one
            value a template builds.
        max_steps: Cap on loop iterations, calls, lookups and operators.

    Raises:
        TemplateSyntaxError: A template is not valid Jinja2.
        TemplateUndefinedError: The case does not provide a variable the template uses.
        TemplateSecurityError: A sandbox violation or a resource limit.
        TemplateUndefinedError: The case does not provide a history the version places.
        TemplateError: Any other failure while rendering (e.g. a division by zero), or a
            history that is not a list of messages.
    """
    texts = render_templates(
        template_sources(version),
        case.vars,
        declared=version.variables,
        label=f"case {case.id}" + (f" from {case.source}" if case.source else ""),
        case_id=case.id,
        max_chars=max_chars,
        max_steps=max_steps,
    )
    rendered = [
        Message(role=m.role, content=text) for m, text in zip(version.messages, texts, strict=True)
    ]
    if not version.history:
        return tuple(rendered)
    out: list[Message] = []
    slots = sorted(version.history, key=lambda s: s.position)
    for position in range(len(rendered) + 1):
        for slot in slots:
            if slot.position == position:
                out.extend(_history(version, case, slot.variable))
        if position < len(rendered):
            out.append(rendered[position])
    return tuple(out)


def _history(version: PromptVersion, case: Case, variable: str) -> tuple[Message, ...]:
    where = case.source or f"case {case.id}"
    if variable not in case.vars:
        raise TemplateUndefinedError(
            f"case {case.id} has no {variable!r}: the history {version.source} places",
            where=where,
        )
    try:
        return parse_history(case.vars[variable])
    except HistoryError as exc:
        raise TemplateError(f"case {case.id}: {variable}: {exc}", where=where) from None
