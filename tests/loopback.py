"""A scripted provider endpoint on 127.0.0.1: records every request (path and headers) and
answers it as an OpenAI or Anthropic server would, or redirects it elsewhere.

The simulator checks for a key and cannot redirect; these tests need to see exactly which
headers arrived, and whether a request arrived at all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes


ANSWER = "answer from the loopback endpoint [Yes]"
"""What every request answered is told, so a test can look for it in stored results."""


Script = Callable[[str, list[dict[str, str]]], tuple[str, str]]
"""(model, request messages) -> (answer text, finish reason: ``stop`` or ``length``)."""


def _scripted(script: Script | None, model: str, body: dict[str, Any]) -> tuple[str, str]:
    if script is None:
        return ANSWER, "stop"
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    if isinstance(body.get("system"), str):  # Anthropic puts the system prompt apart
        messages = [{"role": "system", "content": body["system"]}, *messages]
    return script(model, [{"role": str(m["role"]), "content": _text(m)} for m in messages])


def _text(message: dict[str, Any]) -> str:
    content = message.get("content", "")
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)


def _openai_answer(model: str, text: str = ANSWER, finish: str = "stop") -> dict[str, object]:
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
    }


def _anthropic_answer(model: str, text: str = ANSWER, finish: str = "stop") -> dict[str, object]:
    return {
        "id": "msg_loopback",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "max_tokens" if finish == "length" else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 3},
    }


class Endpoint:
    """``with Endpoint() as e:`` then point a target's base_url at ``e.url``.

    ``redirect_to``: answer every request ``307`` with this ``Location`` instead.
    ``script``: what to answer, per model and request (default: :data:`ANSWER`).
    """

    def __init__(self, *, redirect_to: str | None = None, script: Script | None = None) -> None:
        self.seen: list[Seen] = []
        self.redirect_to = redirect_to
        self.script = script
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._answer()

            def do_GET(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner._lock:
                    owner.seen.append(Seen(self.command, self.path, headers, body))
                if owner.redirect_to is not None:
                    self.send_response(307)
                    self.send_header("location", owner.redirect_to + self.path)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                request = json.loads(body or b"{}")
                model = str(request.get("model", "loopback"))
                anthropic = self.path.endswith("/messages") and "anthropic-version" in headers
                text, finish = _scripted(owner.script, model, request)
                answer = (
                    _anthropic_answer(model, text, finish)
                    if anthropic
                    else _openai_answer(model, text, finish)
                )
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL (``/v1``), as a target's ``base_url`` names it."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def credentials(self) -> list[str]:
        """Every credential header value that reached this endpoint."""
        with self._lock:
            return [
                f"{name}: {value}"
                for seen in self.seen
                for name, value in seen.headers.items()
                if name in ("authorization", "x-api-key", "api-key")
            ]

    def __enter__(self) -> Endpoint:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
