"""The one exception tree of promptcompat.

Every error a user can cause or meet is one of these; the CLI (``cli.py``) and the API map
them to exit codes and HTTP statuses in one place each, so no stack trace reaches a user.

    PromptCompatError                 base; ``where`` names the file, case or target at fault
    ├── ConfigError                   bad settings or arguments (unknown target syntax, ...)
    ├── SuiteError                    prompts/ is malformed (YAML, dataset row, missing file)
    │   ├── VersionEditedError        a released prompt version's content changed
    │   └── SuiteProblems             several problems at once (``problems``: one line each)
    ├── TemplateError                 a template cannot be rendered
    │   ├── TemplateSyntaxError       Jinja2 syntax error
    │   ├── TemplateUndefinedError    a variable the case did not provide
    │   └── TemplateSecurityError     sandbox violation or resource bomb (size, power, range)
    ├── ProviderError                 a call to a model provider failed
    │   ├── TransientProviderError    5xx, timeout, connection error: retried
    │   │   └── RateLimitedError      429 with an optional Retry-After: retried after it
    │   ├── AuthError                 missing or rejected API key: not retried
    │   ├── QuotaError                out of credit / spend limit: not retried
    │   ├── BadRequestError           4xx the provider will answer the same way again, or a
    │   │   │                         3xx redirect (never followed)
    │   │   └── ParamRejectedError    400 naming a request parameter the model does not take
    │   └── OutputTooLargeError       the answer exceeds the configured size cap
    ├── StoreError                    the database refused an operation
    │   ├── StoreUnavailableError     the database server cannot be reached (restarting,
    │   │                             down): try again later (HTTP 503 with Retry-After)
    │   ├── NotFoundError             a run, case or snapshot id that does not exist
    │   └── ConflictError             the object's state forbids the change (accepting an
    │                                 ERROR case, cancelling a finished run, reusing a key)
    ├── AccessError                   an API caller may not do this
    │   ├── UnauthenticatedError      no valid token (HTTP 401)
    │   └── ForbiddenError            the token's role does not allow it (HTTP 403)
    ├── LimitError                    a request exceeds a configured cap (calls per run)
    └── SimulatorError                the local simulator could not start

Anything else that escapes a command is a bug or the machine failing (a full disk): the CLI
prints ``public_message`` of it on one line and writes the traceback to a log; a run that
ends that way stores the same line as its ``error``.
"""

from __future__ import annotations

import asyncio

MAX_PUBLIC_MESSAGE = 300
"""Longest ``public_message``: one line of a terminal or a log, never a dump."""


class PromptCompatError(Exception):
    """Base of every error promptcompat reports to a user."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ConfigError(PromptCompatError):
    """Settings or command-line arguments are invalid."""


class SuiteError(PromptCompatError):
    """The prompt suite on disk is malformed."""


class VersionEditedError(SuiteError):
    """A released (locked) prompt version no longer matches its recorded content hash."""


class SuiteProblems(SuiteError):
    """Every problem found in the suite, when there is more than one; each names its place."""

    def __init__(self, problems: list[PromptCompatError]) -> None:
        super().__init__(f"{len(problems)} problems in the prompt suite")
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class TemplateError(PromptCompatError):
    """A prompt template cannot be rendered for a case."""


class TemplateSyntaxError(TemplateError):
    """The template is not valid Jinja2."""


class TemplateUndefinedError(TemplateError):
    """The template uses a variable the case does not define."""


class TemplateSecurityError(TemplateError):
    """The template tried something the sandbox forbids, or exceeded a resource cap."""


class ProviderError(PromptCompatError):
    """A provider call failed; ``reason`` is a short machine-readable tag."""

    reason = "provider_error"

    def __init__(self, message: str, *, where: str | None = None, reason: str | None = None):
        super().__init__(message, where=where)
        if reason is not None:
            self.reason = reason


class TransientProviderError(ProviderError):
    """A failure worth retrying: server error, timeout, connection reset."""

    reason = "transient"


class RateLimitedError(TransientProviderError):
    """HTTP 429; ``retry_after`` is the provider's hint in seconds, when it gave one."""

    reason = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, where=where)
        self.retry_after = retry_after


class AuthError(ProviderError):
    """The API key is missing or was rejected."""

    reason = "auth"


class QuotaError(ProviderError):
    """The account is out of quota or over its spend limit."""

    reason = "quota"


class BadRequestError(ProviderError):
    """The provider rejected the request itself (unknown model, invalid parameter)."""

    reason = "bad_request"


class ParamRejectedError(BadRequestError):
    """The model refused a parameter of the request (``temperature`` on a reasoning model,
    ``max_tokens`` where ``max_completion_tokens`` is wanted, ``parallel_tool_calls``...).

    Never retried, and never retried without the parameter: the comparison reports it as
    ``request.param_rejected``. Its message is ``parameter X rejected: <model's message>``
    (no ``where``: the comparison reads the parameter from it; the sample names the target).
    """

    reason = "param_rejected"

    def __init__(self, parameter: str, model_message: str) -> None:
        super().__init__(f"parameter {parameter} rejected: {model_message}")
        self.parameter = parameter


class OutputTooLargeError(ProviderError):
    """The provider's answer is larger than ``max_output_bytes``."""

    reason = "output_too_large"


class StoreError(PromptCompatError):
    """The store could not complete an operation."""


class StoreUnavailableError(StoreError):
    """The database server cannot be reached or dropped the connection; ``retry_after`` is
    how many seconds a caller should wait before trying again."""

    def __init__(self, message: str, *, where: str | None = None, retry_after: int = 5) -> None:
        super().__init__(message, where=where)
        self.retry_after = retry_after


class NotFoundError(StoreError):
    """The requested object does not exist."""


class ConflictError(StoreError):
    """The object exists but its state forbids the operation."""


class AccessError(PromptCompatError):
    """An API caller is not allowed to do this."""


class UnauthenticatedError(AccessError):
    """No token, or a token that is unknown or revoked."""


class ForbiddenError(AccessError):
    """The caller's role does not allow the operation."""


class LimitError(PromptCompatError):
    """A request exceeds a configured cap (the calls one submitted run may make)."""


class SimulatorError(PromptCompatError):
    """The local simulator could not be started."""


def public_message(exc: BaseException, *, store: str | None = None) -> str:
    """One line about ``exc`` that is safe to store and to show to anyone.

    Our own errors are written for users and kept. A store error's text carries the SQL
    statement and its parameters (prompt text, ids): only the database's own first line is
    kept, with the store's name when the caller gives it (``store``, no password). An
    operating-system error keeps its cause (``No space left on device``) but not the path.
    Anything else is a bug whose text may quote data: only its type is named. The full
    exception belongs in a log (the CLI's crash log, the server's log), never here.
    """
    if isinstance(exc, PromptCompatError):
        return _one_line(str(exc))
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    the_store = f"the store {store}" if store else "the store"
    if isinstance(exc, DBAPIError):
        return _one_line(f"{the_store} failed: {exc.orig}")
    if isinstance(exc, SQLAlchemyError):
        return f"{the_store} failed ({type(exc).__name__})"
    if isinstance(exc, OSError):
        return _one_line(exc.strerror or type(exc).__name__)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    if isinstance(exc, MemoryError):
        return "out of memory"
    return f"internal error ({type(exc).__name__})"


def _one_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0].strip() or "unknown error"
    if len(line) > MAX_PUBLIC_MESSAGE:
        line = line[: MAX_PUBLIC_MESSAGE - 1] + "…"
    return line
