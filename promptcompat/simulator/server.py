"""The simulator's HTTP server: a lean raw-ASGI app on uvicorn (uvloop + httptools).

Benchmarks push hundreds of calls per second through it, so a request does no more than
parse JSON, look up a cached answer, sleep the simulated latency and write bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import os
import random
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import uvicorn

from promptcompat.errors import SimulatorError
from promptcompat.simulator import engine, judge, wire
from promptcompat.simulator.address import LISTENING_PREFIX, base_url, bind_socket, loopback_host
from promptcompat.simulator.control import Reply, control
from promptcompat.simulator.faults import (
    DEFAULT_TIMEOUT_S,
    FaultQueue,
    RandomFaults,
    Stats,
    parse_kinds,
)
from promptcompat.simulator.models import Catalogue
from promptcompat.simulator.request import (
    ChatRequest,
    RequestError,
    parse_anthropic,
    parse_openai,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 32 * 1024 * 1024
_PARSERS: dict[wire.Protocol, Callable[[Any], ChatRequest]] = {
    "openai": parse_openai,
    "anthropic": parse_anthropic,
}


class ClientGone(Exception):
    """The client disconnected; there is nobody to answer."""


class SimulatorApp:
    """The ASGI app. All state lives on one event loop, so it needs no locks."""

    def __init__(
        self,
        *,
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        fault_rate: float = 0.0,
        fault_kinds: str | list[str] | tuple[str, ...] = (),
        seed: int = 0,
        fault_timeout_s: float = DEFAULT_TIMEOUT_S,
        catalogue: Catalogue | None = None,
    ) -> None:
        if latency_ms < 0 or jitter_ms < 0 or fault_timeout_s < 0:
            raise ValueError("latency, jitter and fault timeout must not be negative")
        self.latency_s = latency_ms / 1000.0
        self.jitter_s = jitter_ms / 1000.0
        self.catalogue = catalogue or Catalogue.shipped()
        self.faults = FaultQueue()
        self.stats = Stats()
        # One seeded generator for jitter, random faults and unseeded sampling: a run with
        # the same --seed and the same request order behaves the same.
        self.rng = random.Random(seed)
        self.random_faults = RandomFaults(
            fault_rate, parse_kinds(fault_kinds), self.rng, fault_timeout_s
        )
        self._fingerprints: dict[str, str] = {}
        self.list_faults: list[int] = []
        """HTTP statuses the next model-list requests answer with, in order (``/_sim/``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            status, body, headers = await self._route(scope, receive)
        except ClientGone:
            return
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _route(self, scope: Scope, receive: Receive) -> Reply:
        path: str = scope["path"]
        method: str = scope["method"]
        headers = dict(scope["headers"])
        if path == "/v1/chat/completions":
            return await self._chat("openai", method, headers, receive)
        if path == "/v1/messages":
            return await self._chat("anthropic", method, headers, receive)
        protocol: wire.Protocol = (
            "anthropic" if b"anthropic-version" in headers or b"x-api-key" in headers else "openai"
        )
        try:
            if path == "/v1/models" or path.startswith("/v1/models/"):
                if method != "GET":
                    raise wire.ApiError(405, f"{method} is not allowed on {path}")
                _check_key(protocol, headers)
                if self.list_faults:
                    status = self.list_faults.pop(0)
                    raise wire.ApiError(status, f"simulated model-list failure ({status})")
                query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
                return 200, self._models(protocol, path.removeprefix("/v1/models"), query), []
            if path.startswith("/_sim/"):
                body = await _read_body(receive)
                return control(self, method, path, body)
            raise wire.ApiError(404, f"no route for {method} {path}")
        except wire.ApiError as error:
            return error.status, wire.error_body(protocol, error), error.headers

    async def _chat(
        self, protocol: wire.Protocol, method: str, headers: dict[bytes, bytes], receive: Receive
    ) -> Reply:
        model: str | None = None
        counted = False
        try:
            if method != "POST":
                raise wire.ApiError(405, f"{method} is not allowed; use POST")
            raw = await _read_body(receive)
            _check_key(protocol, headers)
            try:
                payload = json.loads(raw)
            except ValueError:
                raise wire.ApiError(400, "the request body is not valid JSON") from None
            try:
                request = _PARSERS[protocol](payload)
            except RequestError as exc:
                raise wire.ApiError(exc.status, exc.message, code=exc.code) from None
            model = request.model
            if judge.is_judge(model):
                # The scripted judge (simulator/judge.py): structured answers only.
                fault = self.faults.take(model, model) or self.random_faults.draw()
                if fault is not None and not fault.timeout:
                    raise wire.fault_error(
                        fault.status, fault.body_type, fault.message, fault.headers()
                    )
                reply = judge.body(protocol, model, payload, request)
                self.stats.record(model, 200)
                return 200, reply, []
            spec = self.catalogue.resolve(model)
            if spec is None:
                raise wire.ApiError(
                    404,
                    f"The model `{model}` does not exist or you do not have access to it.",
                    code="model_not_found",
                )
            fault = self.faults.take(model, spec.served_as) or self.random_faults.draw()
            if fault is not None:
                if fault.timeout:
                    self.stats.record(model, fault.status)
                    counted = True
                    if await _client_left_within(receive, fault.seconds):
                        raise ClientGone
                raise wire.fault_error(
                    fault.status, fault.body_type, fault.message, fault.headers()
                )
            if spec.behaviour == "reasoning":
                _reasoning_preflight(protocol, request)
            output = engine.complete(spec, request, self.rng)
            calls = tuple(
                (_call_id(protocol, request.digest, i), name, args)
                for i, (name, args) in enumerate(output.tool_calls)
            )
            if protocol == "openai":
                body = wire.openai_completion(
                    served=spec.served_as,
                    fingerprint=self._fingerprint(spec.served_as),
                    text=output.text,
                    truncated=output.truncated,
                    input_tokens=request.input_tokens,
                    output_tokens=output.output_tokens,
                    tool_calls=calls,
                    refusal=output.refusal,
                    reasoning_tokens=output.reasoning_tokens,
                )
            else:
                body = wire.anthropic_message(
                    served=spec.served_as,
                    text=output.text,
                    truncated=output.truncated,
                    input_tokens=request.input_tokens,
                    output_tokens=output.output_tokens,
                    tool_calls=calls,
                    refusal=output.refusal,
                    reasoning_tokens=output.reasoning_tokens,
                )
            self.stats.record(model, 200)
            delay = self._delay()
            if delay > 0:
                await asyncio.sleep(delay)
            return 200, body, []
        except wire.ApiError as error:
            if not counted:
                self.stats.record(model, error.status)
            return error.status, wire.error_body(protocol, error), error.headers

    def _models(self, protocol: wire.Protocol, rest: str, query: dict[str, str]) -> bytes:
        rows = self.catalogue.listing()
        if not rest or rest == "/":
            if protocol == "anthropic":
                return wire.anthropic_model_list(rows, query)
            return wire.openai_model_list(rows)
        model_id = rest.lstrip("/")
        row = self.catalogue.get_listed(model_id)
        spec = self.catalogue.resolve(model_id)
        if row is None or spec is None:
            raise wire.ApiError(404, f"model: {model_id}", code="model_not_found")
        if protocol == "anthropic":
            # Anthropic resolves an alias to the model it points at.
            target = self.catalogue.get_listed(spec.id) or row
            return json.dumps(wire.anthropic_model(target)).encode()
        return json.dumps(wire.openai_model(row)).encode()

    def _delay(self) -> float:
        if self.jitter_s <= 0:
            return self.latency_s
        return max(0.0, self.latency_s + self.rng.uniform(-self.jitter_s, self.jitter_s))

    def _fingerprint(self, served: str) -> str:
        fingerprint = self._fingerprints.get(served)
        if fingerprint is None:
            fingerprint = f"fp_sim_{hashlib.sha256(served.encode()).hexdigest()[:10]}"
            self._fingerprints[served] = fingerprint
        return fingerprint


def _call_id(protocol: wire.Protocol, digest: str, index: int) -> str:
    """Stable per request and position, so a replayed answer is the same answer."""
    tail = hashlib.sha256(f"{digest}|{index}".encode()).hexdigest()[:24]
    return f"toolu_sim{tail}" if protocol == "anthropic" else f"call_sim{tail}"


def _reasoning_preflight(protocol: wire.Protocol, request: ChatRequest) -> None:
    """A reasoning model refuses sampling parameters, as the real ones do."""
    if "temperature" not in request.sent:
        return
    if protocol == "anthropic":
        raise wire.ApiError(
            400, "temperature: may only be set to 1 when thinking is enabled on this model"
        )
    raise wire.ApiError(
        400,
        "Unsupported parameter: 'temperature' is not supported with this model.",
        code="unsupported_parameter",
        param="temperature",
    )


def _check_key(protocol: wire.Protocol, headers: dict[bytes, bytes]) -> None:
    """Any non-empty key is accepted, from either provider's header."""
    bearer = headers.get(b"authorization", b"")
    if bearer[:7].lower() == b"bearer " and bearer[7:].strip():
        return
    if headers.get(b"x-api-key", b"").strip():
        return
    if protocol == "anthropic":
        raise wire.ApiError(401, "x-api-key header is required")
    raise wire.ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        code="missing_api_key",
    )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise wire.ApiError(413, f"the request body exceeds {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _client_left_within(receive: Receive, seconds: float) -> bool:
    """Hang like a stuck upstream; True as soon as the client gives up and disconnects."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    waiter = asyncio.ensure_future(disconnected())
    done, _ = await asyncio.wait({waiter}, timeout=seconds)
    if not done:
        waiter.cancel()
    return bool(done)


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency_ms: float = 0.0,
    jitter_ms: float = 0.0,
    fault_rate: float = 0.0,
    fault_kinds: list[str] | tuple[str, ...] = (),
    seed: int = 0,
    fault_timeout_s: float = DEFAULT_TIMEOUT_S,
    exit_with_parent: bool = False,
) -> None:
    """Run the simulator until SIGINT/SIGTERM; prints the listening line once it accepts."""
    host = loopback_host(host)
    try:
        app = SimulatorApp(
            latency_ms=latency_ms,
            jitter_ms=jitter_ms,
            fault_rate=fault_rate,
            fault_kinds=list(fault_kinds),
            seed=seed,
            fault_timeout_s=fault_timeout_s,
        )
    except ValueError as exc:
        raise SimulatorError(str(exc)) from None
    sock = bind_socket(host, port)
    url = base_url(host, sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        loop="uvloop" if _has("uvloop") else "asyncio",
        http="httptools" if _has("httptools") else "h11",
        ws="none",
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
        # Hanging timeout faults must not hold a shutdown for their full duration.
        timeout_graceful_shutdown=2,
    )
    server = _Server(config, url=url, parent_pid=os.getppid() if exit_with_parent else None)
    server.run(sockets=[sock])


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, *, url: str, parent_pid: int | None) -> None:
        super().__init__(config)
        self._url = url
        self._parent_pid = parent_pid

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(f"{LISTENING_PREFIX}{self._url}", flush=True)

    async def on_tick(self, counter: int) -> bool:
        # A launcher that died without stopping us would otherwise leave an orphan server.
        if self._parent_pid is not None and counter % 10 == 0 and os.getppid() != self._parent_pid:
            self.should_exit = True
        return await super().on_tick(counter)
