"""Where a run submitted through the API may send requests: no SSRF through a target.

Targets in the prompt suite are the operator's; targets in an API request are a client's, and
a ``base_url`` in one would make the server (or a worker) call any address it can reach:
cloud metadata at 169.254.169.254, Redis on loopback. So a client's ``base_url`` must match an
entry of ``Settings.api_allowed_base_urls`` exactly (scheme, host as written, port, and a path
prefix ending at a segment boundary). Nothing is resolved or normalised beyond that, so the
other spellings of an address (``2130706433``, ``[::1]``, ``localhost.``) never match an entry
written differently. A client may not name the environment variable that holds the key either,
and a target with a client's ``base_url`` is called with no key at all (``api_key=none``)
unless that base URL is also on ``Settings.api_server_key_base_urls``: an allowlisted host is
trusted to answer, not to receive the server's ``OPENAI_API_KEY``. Redirects are never followed
(``providers/transport.py``), so the allowlist is where calls go, not where they start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from promptcompat.errors import ConfigError
from promptcompat.suite.targets import Target, parse_target

_DEFAULT_PORTS = {"http": 80, "https": 443}


def check_client_target(
    spec: str, *, allowed_base_urls: Sequence[str], server_key_base_urls: Sequence[str] = ()
) -> Target:
    """Parse a target string from an API client and refuse what it may not use.

    Returns the target as it will be called: keyless when it names a ``base_url`` that is not
    on ``server_key_base_urls``.

    Raises:
        ConfigError: the target does not parse, names ``api_key_env``, or has a ``base_url``
            that is not on the allowlist.
    """
    target = parse_target(spec)
    if target.api_key_env is not None:
        raise ConfigError(
            "api_key_env cannot be set through the API: keys come from the server's environment",
            where="target",
        )
    if target.base_url is not None and not base_url_allowed(target.base_url, allowed_base_urls):
        raise ConfigError(
            "this base_url is not on the server's allowlist (PROMPTCOMPAT_API_ALLOWED_BASE_URLS)",
            where="target",
        )
    if target.base_url is not None and not base_url_allowed(target.base_url, server_key_base_urls):
        target = replace(target, keyless=True)
    return target


def base_url_allowed(url: str, allowed: Sequence[str]) -> bool:
    """True if ``url`` is one of ``allowed`` or a path below one of them."""
    candidate = _parts(url)
    if candidate is None:
        return False
    for entry in allowed:
        permitted = _parts(entry)
        if permitted is None or permitted[:3] != candidate[:3]:
            continue
        prefix, path = permitted[3], candidate[3]
        if path == prefix or path.startswith(prefix + "/") or prefix == "":
            return True
    return False


def _parts(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, path without trailing slash), or None for anything unusual."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        return None
    if "\\" in url or "%" in parts.netloc + parts.path:
        return None
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return None
    return scheme, parts.hostname, port or _DEFAULT_PORTS[scheme], parts.path.rstrip("/")
