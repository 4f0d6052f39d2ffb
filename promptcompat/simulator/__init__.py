"""The local simulator: scripted model versions behind the real OpenAI and Anthropic protocols.

``serve`` runs it in the foreground (``promptcompat simulate``); ``SimulatorProcess`` runs it
as a child process for tests, demos and benchmarks. The behaviour is specified in
docs/simulator-protocol.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from promptcompat.simulator.process import SimulatorProcess, parse_listening_line

if TYPE_CHECKING:
    from promptcompat.simulator.server import serve

__all__ = ["SimulatorProcess", "parse_listening_line", "serve"]


def __getattr__(name: str) -> Any:
    # serve pulls in uvicorn; a launcher-only import (the tests' parent process) skips it.
    if name == "serve":
        from promptcompat.simulator.server import serve

        return serve
    raise AttributeError(name)
