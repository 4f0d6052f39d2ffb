"""The HTTP clients the provider SDKs send through: no redirects, and no key when none is due.

Both SDKs follow redirects by default, and a 307 or 308 re-posts the request body: an
allowlisted ``base_url`` answering ``307 Location: http://elsewhere/`` would send the prompt,
and the key, to a host nobody allowed, and store its answer. So a redirect is never followed;
it comes back as a 3xx response, which each provider reports as a call error.

A target with ``api_key=none`` gets a client that removes every credential header before a
request leaves: the SDKs insist on some key and fill in others from the environment
(``OPENAI_CUSTOM_HEADERS``, ``ANTHROPIC_AUTH_TOKEN``, ...), so the placeholder they are given
and anything they add are dropped at the last step instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # The SDKs are imported where a client is made: importing them costs a command ~1.3 s
    # of CPU, and most commands (report, runs, review, a cached rerun) never call a provider.
    import anthropic
    import httpx2
    import openai

    from promptcompat.config import Settings

PLACEHOLDER_KEY = "unused"
"""Given to an SDK for a keyless target so that it starts; the client never sends it."""
CREDENTIAL_HEADERS = ("authorization", "x-api-key", "api-key")
ACCOUNT_HEADERS = ("openai-organization", "openai-project")
"""The OpenAI SDK adds these from ``OPENAI_ORG_ID`` and ``OPENAI_PROJECT_ID`` to every
request, wherever it goes: an OpenAI-compatible endpoint of someone else (a gateway, a
vLLM server) has no use for the user's OpenAI account identifiers."""
OPENAI_API = "https://api.openai.com"


def _dropping(names: tuple[str, ...], *, asynchronous: bool) -> Any:
    """A request hook that removes ``names`` from every request before it leaves."""

    def drop(request: httpx2.Request) -> None:
        for name in names:
            if name in request.headers:
                del request.headers[name]

    async def drop_async(request: httpx2.Request) -> None:
        drop(request)

    return drop_async if asynchronous else drop


def _options(*, keyless: bool, asynchronous: bool, foreign: bool = False) -> dict[str, Any]:
    options: dict[str, Any] = {"follow_redirects": False}
    names = (CREDENTIAL_HEADERS if keyless else ()) + (ACCOUNT_HEADERS if foreign else ())
    if names:
        options["event_hooks"] = {"request": [_dropping(names, asynchronous=asynchronous)]}
    return options


def foreign_to_openai(base_url: str | None) -> bool:
    """Whether ``base_url`` points somewhere other than OpenAI's own API."""
    return base_url is not None and not base_url.rstrip("/").startswith(OPENAI_API)


def openai_async_http(*, keyless: bool, foreign: bool = False) -> httpx2.AsyncClient:
    """The SDK's default async client (its limits and timeouts), without redirects."""
    import openai

    return openai.DefaultAsyncHttpxClient(
        **_options(keyless=keyless, asynchronous=True, foreign=foreign)
    )


def anthropic_async_http(*, keyless: bool) -> httpx2.AsyncClient:
    """The SDK's default async client (its limits and timeouts), without redirects."""
    import anthropic

    return anthropic.DefaultAsyncHttpxClient(**_options(keyless=keyless, asynchronous=True))


def openai_client(
    *, api_key: str | None, base_url: str | None, settings: Settings
) -> openai.AsyncOpenAI:
    """The async OpenAI client every provider of a target uses: ``api_key`` None means the
    endpoint needs no key (no credential header is sent); the SDK's own retries are off
    because the replay engine owns retries."""
    import openai

    return openai.AsyncOpenAI(
        api_key=api_key or PLACEHOLDER_KEY,
        base_url=base_url,
        max_retries=0,
        timeout=settings.request_timeout,
        http_client=openai_async_http(keyless=api_key is None, foreign=foreign_to_openai(base_url)),
    )


def anthropic_client(
    *, api_key: str | None, base_url: str | None, settings: Settings
) -> anthropic.AsyncAnthropic:
    """The async Anthropic client every provider of a target uses (as :func:`openai_client`)."""
    import anthropic

    return anthropic.AsyncAnthropic(
        api_key=api_key or PLACEHOLDER_KEY,
        base_url=base_url,
        max_retries=0,
        timeout=settings.request_timeout,
        http_client=anthropic_async_http(keyless=api_key is None),
    )


def openai_http(*, keyless: bool, foreign: bool = False) -> httpx2.Client:
    """The SDK's default client (its limits and timeouts), without redirects."""
    import openai

    return openai.DefaultHttpxClient(
        **_options(keyless=keyless, asynchronous=False, foreign=foreign)
    )


def anthropic_http(*, keyless: bool) -> httpx2.Client:
    """The SDK's default client (its limits and timeouts), without redirects."""
    import anthropic

    return anthropic.DefaultHttpxClient(**_options(keyless=keyless, asynchronous=False))


def redirect_message(status: int, headers: Any) -> str:
    """What a call error says about a 3xx answer (the Location is the endpoint's own)."""
    location = str(headers.get("location") or "")[:200] or "nowhere"
    return (
        f"HTTP {status}: the endpoint redirects to {location}; redirects are not followed "
        "(set base_url to the address that answers)"
    )
