"""Rendering message templates with a case's variables, safely.

Templates can come from untrusted pull requests: they are compiled and run in
``render_sandbox.PromptEnvironment`` under the limits of ``render_limits``, and the output
is consumed from ``generate()`` and counted as it streams, so a long loop stops at
``max_chars`` instead of building the whole text first.
"""

from __future__ import annotations

import re
import threading
import traceback
from collections import OrderedDict
from collections.abc import Collection, Generator, Hashable, Mapping, Sequence
from dataclasses import dataclass

import jinja2
from jinja2 import nodes
from jinja2.meta import find_undeclared_variables

from promptcompat.errors import (
    TemplateError,
    TemplateSecurityError,
    TemplateSyntaxError,
    TemplateUndefinedError,
)
from promptcompat.render.limits import BUDGET, DEFAULT_MAX_STEPS, WORK_FACTOR, WORK_FLOOR, Budget
from promptcompat.render.sandbox import PromptEnvironment

__all__ = ["DEFAULT_MAX_STEPS", "ENV", "TemplateSource", "render_templates", "template_variables"]

_CACHE_SIZE = 1024
ENV = PromptEnvironment()
_FORBIDDEN_TAGS = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)
_cache: OrderedDict[Hashable, tuple[str, jinja2.Template, frozenset[str]]] = OrderedDict()
_cache_lock = threading.Lock()


def _place(where: str, first_line: int, lineno: int | None) -> str:
    if lineno is None:
        return where
    if first_line:
        return f"{where}:{first_line + lineno - 1}"
    return f"{where} (template line {lineno})"


def _compile(source: str, *, where: str, first_line: int) -> tuple[jinja2.Template, frozenset[str]]:
    try:
        ast = ENV.parse(source)
        for tag in _FORBIDDEN_TAGS:
            found = ast.find(tag)
            if found is not None:
                raise TemplateSecurityError(
                    f"{type(found).__name__.lower()} is not allowed: a prompt version is "
                    "self-contained",
                    where=_place(where, first_line, found.lineno),
                )
        names = frozenset(find_undeclared_variables(ast)) - frozenset(ENV.globals)
        # Compiling also catches unknown filters and tests, so the loader reports them.
        code = ENV.compile(source, filename=f"<prompt template {where}>")
    except jinja2.TemplateSyntaxError as exc:
        message = exc.message or str(exc)
        raise TemplateSyntaxError(message, where=_place(where, first_line, exc.lineno)) from None
    except (RecursionError, ValueError, jinja2.exceptions.SecurityError) as exc:
        # Absurdly nested expressions or integer literals past Python's digit limit.
        raise TemplateSyntaxError(f"template cannot be compiled: {exc}", where=where) from None
    return ENV.template_class.from_code(ENV, code, ENV.make_globals(None)), names


def template_variables(source: str, *, where: str, first_line: int = 0) -> set[str]:
    """Check one message template and return the variables it reads from its context.

    Template-local names and the sandbox globals (``range``, ``dict``, ``cycler``,
    ``joiner``, ``namespace``) are not counted.

    Args:
        source: The Jinja2 template text.
        where: The file it comes from, for error messages.
        first_line: Line of the template's first line in that file (0 if unknown).

    Raises:
        TemplateSyntaxError: Not valid Jinja2, or an unknown filter or test (file and line).
        TemplateSecurityError: include/import/extends, which would reach outside the version.
    """
    return set(_compile(source, where=where, first_line=first_line)[1])


@dataclass(frozen=True)
class TemplateSource:
    """One message template: its text, where it was written, and a key to cache it under."""

    text: str
    where: str
    first_line: int
    key: Hashable


def _compiled(source: TemplateSource) -> tuple[jinja2.Template, frozenset[str]]:
    with _cache_lock:
        hit = _cache.get(source.key)
        if hit is not None and hit[0] == source.text:
            _cache.move_to_end(source.key)
            return hit[1], hit[2]
    template, names = _compile(source.text, where=source.where, first_line=source.first_line)
    with _cache_lock:
        _cache[source.key] = (source.text, template, names)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return template, names


def _failure_line(exc: BaseException, template: jinja2.Template) -> int | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == template.filename]
    return frames[-1].lineno if frames else None


def render_templates(
    sources: Sequence[TemplateSource],
    variables: Mapping[str, object],
    *,
    declared: Collection[str],
    label: str,
    case_id: str,
    max_chars: int,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> tuple[str, ...]:
    """Render each template with ``variables``, under one budget for all of them.

    Args:
        sources: The templates, in order.
        variables: The values; only those named in ``declared`` are visible.
        declared: The variables the templates may read.
        label: Names the values' origin in errors (``case c1 from cases.jsonl:3``).
        case_id: The id named when a variable is missing.
        max_chars: Cap on the rendered text of all templates together, and on any one
            value a template builds.
        max_steps: Cap on loop iterations, calls, lookups and operators.

    Raises:
        TemplateSyntaxError: A template is not valid Jinja2.
        TemplateUndefinedError: The case does not provide a variable the template uses.
        TemplateSecurityError: A sandbox violation or a resource limit.
        TemplateError: Any other failure while rendering (e.g. a division by zero).
    """
    budget = Budget(max_chars, WORK_FACTOR * max_chars + WORK_FLOOR, max_steps)
    context = {name: variables[name] for name in declared if name in variables}
    token = BUDGET.set(budget)
    try:
        total, rendered = 0, []
        for source in sources:
            where, first = source.where, source.first_line
            template, names = _compiled(source)
            hidden = sorted(names - set(declared))
            if hidden:
                raise TemplateSecurityError(
                    f"template reads {', '.join(map(repr, hidden))}, which is not a declared "
                    "variable; templates see only their declared variables",
                    where=where,
                )
            chunks: list[str] = []
            stream = template.generate(context)
            try:
                for chunk in stream:
                    total += len(chunk)
                    if total > max_chars:
                        raise TemplateSecurityError(
                            f"rendered prompt is longer than max_chars={max_chars}",
                            where=f"{_place(where, first, 1)} ({label})",
                        )
                    chunks.append(chunk)
            except TemplateError:
                raise
            # A template is untrusted code: whatever it raises is reported as its failure.
            except Exception as exc:
                raise _translate(exc, template, where, first, label, case_id) from None
            finally:
                if isinstance(stream, Generator):  # close while the budget is still set
                    stream.close()
            rendered.append("".join(chunks))
        return tuple(rendered)
    finally:
        BUDGET.reset(token)


def _translate(
    exc: Exception, template: jinja2.Template, where: str, first: int, label: str, case_id: str
) -> TemplateError:
    place = f"{_place(where, first, _failure_line(exc, template))} ({label})"
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return TemplateSecurityError(f"refused: {exc}", where=place)
    if isinstance(exc, RecursionError | MemoryError):
        return TemplateSecurityError(f"refused: {type(exc).__name__}", where=place)
    if isinstance(exc, jinja2.UndefinedError):
        match = re.fullmatch(r"'([^']+)' is undefined", str(exc))
        if match:
            return TemplateUndefinedError(
                f"variable {match[1]!r} is undefined: case {case_id} does not provide it",
                where=place,
            )
        return TemplateUndefinedError(str(exc), where=place)
    return TemplateError(f"template failed: {type(exc).__name__}: {exc}", where=place)
