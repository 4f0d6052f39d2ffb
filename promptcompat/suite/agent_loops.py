"""Agent loops: a case replayed as model <-> tool steps, its tool calls answered from fixtures.

A prompt with ``max_steps`` runs every case that has ``fixtures`` as a loop (the others as
single calls): the model is called, each tool call it
makes is answered from the case's ``fixtures`` (the first entry whose ``arguments`` the
call's arguments include; an entry without ``arguments`` is the default), the answers go
back as tool results, and so on until the model answers without a tool call or the step
limit. Every step is a call of its own, cached under its own key; the loop's result is the
last turn. The replay engine runs the loop (``promptcompat/replay/engine.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promptcompat.suite.types import Fixture, ToolCall


@dataclass(frozen=True)
class AgentLoop:
    fixtures: dict[str, tuple[Fixture, ...]]
    max_steps: int

    def canonical(self) -> dict[str, Any]:
        """As plain JSON (hashed into the loop's key, stored with a planned call)."""
        return {
            "max_steps": self.max_steps,
            "fixtures": {
                tool: [{"arguments": f.arguments, "result": f.result} for f in entries]
                for tool, entries in sorted(self.fixtures.items())
            },
        }


def loop_from_json(data: dict[str, Any] | None) -> AgentLoop | None:
    if not data:
        return None
    return AgentLoop(
        fixtures={
            tool: tuple(Fixture(result=e["result"], arguments=e["arguments"]) for e in entries)
            for tool, entries in data["fixtures"].items()
        },
        max_steps=int(data["max_steps"]),
    )


def fixture_for(loop: AgentLoop, call: ToolCall) -> Fixture | None:
    """The fixture answering ``call``: the first whose arguments the call's include."""
    arguments = call.arguments if isinstance(call.arguments, dict) else None
    for fixture in loop.fixtures.get(call.name, ()):
        if fixture.arguments is None:
            return fixture
        if arguments is not None and all(
            k in arguments and arguments[k] == v for k, v in fixture.arguments.items()
        ):
            return fixture
    return None
