"""User check functions: the plain Python checks in ``prompts/<name>/checks.py``.

Every top-level function defined there whose name starts with ``check_`` is a check. It is
called as ``check_x(output, case)`` with the output text (``str``) and the
:class:`~promptcompat.suite.types.Case` (``id``, ``vars``, ``reference``, ``source``), and passes by
returning ``True`` or ``None``. It fails by returning ``False``, by returning
``(False, "message")``, or by raising ``AssertionError("message")`` (a bare ``assert`` works);
any other exception is a failed check whose message names the exception, so a crashing check
never crashes a run.

``checks.py`` is code from the repository, like a test file: it is imported with importlib
when the suite loads and runs in-process, unsandboxed, with the permissions of promptcompat
itself. (Templates are sandboxed because they may come from untrusted pull requests; a change
to ``checks.py`` is a code change and needs the same review as any other.)
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType
from typing import Any

from promptcompat.errors import SuiteError

CHECKS_FILE = "checks.py"
PREFIX = "check_"
_MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class UserCheck:
    name: str
    function: Callable[[str, Any], object]
    source: str
    """Where it is defined, e.g. ``prompts/write_function/checks.py:12``."""

    def run(self, output: str, case: object) -> str | None:
        """None when the check passes, else why it failed (``case``: the Case, or None)."""
        try:
            result = self.function(output, case)
        except AssertionError as exc:
            return _short(str(exc) or f"assertion failed ({_where(exc, self.source)})")
        except (Exception, SystemExit) as exc:  # user code: a crash is a failed check
            return _short(f"raised {type(exc).__name__}: {exc} ({_where(exc, self.source)})")
        if result is None or result is True:
            return None
        if result is False:
            return "returned False"
        if (
            isinstance(result, tuple)
            and len(result) == 2
            and isinstance(result[0], bool)
            and isinstance(result[1], str)
        ):
            return None if result[0] else _short(result[1] or "returned (False, '')")
        return _short(
            f"returned {result!r}; a check returns True/None (pass), False, or (passed, message)"
        )


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def _where(exc: BaseException, source: str) -> str:
    """The line of the check's file where ``exc`` was raised, else the check's own line."""
    filename = source.rsplit(":", 1)[0]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(Path(filename).name):
            return f"{filename}:{frame.lineno}"
    return source


class _SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Imports without writing ``__pycache__/`` into the user's prompt folder."""

    def set_data(self, path: str, data: Any, *, _mode: int = 0o666) -> None:
        return None


def load_checks(path: Path, *, where: str) -> tuple[UserCheck, ...]:
    """Import ``path`` and collect its ``check_*`` functions, in definition order.

    Raises:
        SuiteError: The file does not import (syntax error, failing import, an exception at
            module level), named with its line.
    """
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    module_name = f"promptcompat_user_checks_{digest}"
    loader = _SourceOnlyLoader(module_name, str(path))
    spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
    if spec is None or spec.loader is None:
        raise SuiteError("cannot import this file", where=where)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look their module up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise SuiteError(f"syntax error: {exc.msg}", where=f"{where}:{exc.lineno or 1}") from None
    except (Exception, SystemExit) as exc:
        sys.modules.pop(module_name, None)
        line = next(
            (
                f.lineno
                for f in reversed(traceback.extract_tb(exc.__traceback__))
                if Path(f.filename).resolve() == path.resolve()
            ),
            1,
        )
        raise SuiteError(
            f"importing it raised {type(exc).__name__}: {exc}", where=f"{where}:{line}"
        ) from None
    found: list[tuple[int, UserCheck]] = []
    for name, value in vars(module).items():
        if (
            name.startswith(PREFIX)
            and isinstance(value, FunctionType)
            and value.__module__ == module_name
        ):
            line = value.__code__.co_firstlineno
            found.append((line, UserCheck(name, value, f"{where}:{line}")))
    if not found:
        raise SuiteError(
            f"no check functions: define functions named {PREFIX}*(output, case)", where=where
        )
    return tuple(check for _, check in sorted(found, key=lambda item: item[0]))
