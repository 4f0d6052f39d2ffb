"""A loopback OpenAI-compatible server that answers each model with a scripted text."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

Script = Callable[[str, str], str | None]
"""(model, the request's messages joined) -> the answer, or None for an unknown model."""


class ScriptedOpenAI:
    """``with ScriptedOpenAI(script) as s:`` then point a provider at ``s.url``.

    Every chat completion answers what the script says for its model and messages; a model
    the script does not know is a 404, like OpenAI's.
    """

    def __init__(self, script: Script) -> None:
        self.script = script
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
                model = body.get("model", "")
                messages = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
                text = owner.script(model, messages)
                if text is None:
                    status = 404
                    reply: dict[str, object] = {
                        "error": {"message": f"model {model!r} not found", "type": "not_found"}
                    }
                else:
                    status = 200
                    reply = {
                        "id": "chatcmpl-scripted",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": 10,
                            "completion_tokens": len(text) // 4 + 1,
                            "total_tokens": 10 + len(text) // 4 + 1,
                        },
                    }
                data = json.dumps(reply).encode()
                self.send_response(status)
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
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ScriptedOpenAI:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
