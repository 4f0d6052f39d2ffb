"""Logging of ``promptcompat serve``: uvicorn's own configuration plus a filter that blanks
anything shaped like an API token.

Tokens travel in a header or a cookie, which no log line carries; the filter is for the
client that puts one where it does not belong (``?token=pct_...`` in a URL, which the access
log would otherwise print as is).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from promptcompat.store.api_tokens import TOKEN_PREFIX

TOKEN_SHAPE = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_\-%.~]+")
REDACTED = TOKEN_PREFIX + "[redacted]"
REDACTED_LOGGERS = ("uvicorn.error", "uvicorn.access", "api")
"""Loggers filtered themselves too (a handler's filter does not see a test's capture)."""


def redact(value: str) -> str:
    return TOKEN_SHAPE.sub(REDACTED, value)


class RedactTokens(logging.Filter):
    """Blanks tokens in a record's message and arguments, keeping the arguments' shape:
    uvicorn's access formatter unpacks them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging configuration with :class:`RedactTokens` on every handler and logger
    that writes a request line, and the app's own warnings through the same handler."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": f"{__name__}.RedactTokens"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    loggers = config["loggers"]
    for name in REDACTED_LOGGERS:
        loggers.setdefault(name, {})["filters"] = ["redact"]
    loggers["api"].update({"handlers": ["default"], "level": level.upper(), "propagate": False})
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
