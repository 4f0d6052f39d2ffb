"""What a prompt suite is made of: prompts, their versions, cases and messages.

The loader (``promptcompat.suite.load``) builds these from ``prompts/``; every other layer
reads them. They are frozen: a loaded suite is a value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from promptcompat.suite.contract import Contract
from promptcompat.suite.policy import RulePolicy
from promptcompat.suite.user_checks import UserCheck

Mode = Literal[
    "FORWARD",
    "BACKWARD",
    "FULL",
    "NONE",
    "FORWARD_TRANSITIVE",
    "BACKWARD_TRANSITIVE",
    "FULL_TRANSITIVE",
]


MODES: tuple[str, ...] = get_args(Mode)


Role = Literal["system", "user", "assistant", "tool"]
"""``tool`` only in a conversation history: the result of an earlier tool call."""


ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True)
class ToolCall:
    """One tool call of an assistant turn, as the model made it (provider-neutral)."""

    id: str
    name: str
    arguments: Any | None
    """The arguments parsed as JSON; None when ``raw_arguments`` is not JSON."""
    raw_arguments: str
    """The arguments exactly as the model wrote them (what an executor would receive)."""


@dataclass(frozen=True)
class Message:
    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    """An assistant turn's tool calls (in a history)."""
    tool_call_id: str | None = None
    """A ``tool`` message: the id of the call it answers."""


@dataclass(frozen=True)
class Tool:
    """A tool a version declares once; each provider gets it in its own form."""

    name: str
    description: str
    parameters: dict[str, Any]
    """JSON Schema of the arguments."""


ResponseFormatKind = Literal["json_schema", "json_object"]


ToolOrder = Literal["strict", "unordered", "subset", "superset"]
"""How a prompt's tool calls are compared (``tool_order`` in prompt.yaml): ``strict``, the same
calls in the same order; ``unordered``, the same calls in any order; ``subset``, the candidate
may leave out calls the baseline made; ``superset``, the candidate may make calls the baseline
did not."""

TOOL_ORDERS: tuple[str, ...] = get_args(ToolOrder)


@dataclass(frozen=True)
class ResponseFormat:
    """Structured output the version asks for: a JSON Schema (``strict`` or not) or JSON mode."""

    kind: ResponseFormatKind
    name: str = "output"
    schema: dict[str, Any] | None = None
    strict: bool = False


@dataclass(frozen=True)
class Fixture:
    """What a tool returns in an agent loop, for calls whose arguments include ``arguments``
    (None: for any call, the tool's default)."""

    result: str
    arguments: dict[str, Any] | None = None


@dataclass(frozen=True)
class Case:
    id: str
    vars: dict[str, Any]
    reference: Any | None = None
    source: str = ""
    """Where the case was defined, e.g. ``prompts/extract/cases.jsonl:7``."""
    facts: tuple[str, ...] = ()
    """Key facts the answer must convey (``facts:``), checked by the fact diff where it can."""
    fixtures: dict[str, tuple[Fixture, ...]] = field(default_factory=dict)
    """Per tool, its results in an agent loop (``max_steps``), first match wins."""


@dataclass(frozen=True)
class PromptVersion:
    prompt: str
    version: str
    messages: tuple[Message, ...]
    """Unrendered Jinja2 templates, one per chat message."""
    variables: tuple[str, ...]
    """Declared variables; the loader checks the templates use no others."""
    content_hash: str
    """sha256 hex of the version's canonical content (messages + variables)."""
    path: Path
    source: str = ""
    """The version file as shown in errors, e.g. ``prompts/extract/versions/v2.yaml``."""
    lines: tuple[int, ...] = ()
    """Per message, the line of the version file where its template starts (0: unknown)."""
    released: bool = False
    """Recorded in ``prompts.lock``: immutable. A draft (not yet locked) may still change."""
    tools: tuple[Tool, ...] = ()
    tool_choice: str | None = None
    """``auto``, ``none``, ``required`` or the name of one declared tool; None: provider default."""
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    history: tuple[HistorySlot, ...] = ()
    """Where the case's conversation histories go among ``messages`` (``- history: turns``)."""

    @property
    def options(self) -> RequestOptions:
        """What the version asks of the model besides its messages."""
        return RequestOptions(
            tools=self.tools,
            tool_choice=self.tool_choice,
            parallel_tool_calls=self.parallel_tool_calls,
            response_format=self.response_format,
        )


@dataclass(frozen=True)
class HistorySlot:
    """``- history: <variable>`` in a version's messages: the case's turns go here."""

    position: int
    """How many of the version's message templates come before the history."""
    variable: str
    line: int = 0
    """The line of the version file that places it."""


@dataclass(frozen=True)
class RequestOptions:
    """The request beyond its messages: tools and structured output (provider-neutral).

    Each provider translates it to its own form (``promptcompat/providers``); all of it enters
    the cache key and the version's content hash, only when set, so requests without it keep
    the keys and hashes they always had.
    """

    tools: tuple[Tool, ...] = ()
    tool_choice: str | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None

    @property
    def empty(self) -> bool:
        return self == _NO_OPTIONS

    def canonical(self) -> dict[str, Any]:
        """The set fields as plain JSON values (for hashes and the stored request)."""
        out: dict[str, Any] = {}
        if self.tools:
            out["tools"] = [
                {"name": t.name, "description": t.description, "parameters": t.parameters}
                for t in self.tools
            ]
        if self.tool_choice is not None:
            out["tool_choice"] = self.tool_choice
        if self.parallel_tool_calls is not None:
            out["parallel_tool_calls"] = self.parallel_tool_calls
        if self.response_format is not None:
            rf = self.response_format
            out["response_format"] = (
                {"type": rf.kind}
                if rf.kind == "json_object"
                else {"type": rf.kind, "name": rf.name, "schema": rf.schema, "strict": rf.strict}
            )
        return out


_NO_OPTIONS = RequestOptions()


@dataclass(frozen=True)
class Prompt:
    name: str
    description: str
    mode: Mode
    contract: Contract
    deployed: str
    """The version in production (what FORWARD replays on a new model)."""
    pinned: str
    """Target string of the model the deployed version is pinned to."""
    candidates: tuple[str, ...]
    """Target strings of models to check FORWARD against."""
    versions: dict[str, PromptVersion]
    """Ordered oldest to newest."""
    cases: tuple[Case, ...]
    path: Path
    unlocked: tuple[str, ...] = field(default=())
    """Versions not yet recorded in the lock file (drafts that may still change)."""
    policy: RulePolicy = field(default_factory=RulePolicy)
    """Severity overrides and waivers (``rules:`` and ``waivers:``)."""
    checks: tuple[UserCheck, ...] = ()
    """The check functions of the prompt's ``checks.py``, if any."""
    redact: dict[str, str] = field(default_factory=dict)
    """Label to regex: values redacted before storage besides the built-in detectors."""
    tool_order: ToolOrder = "unordered"
    """How the candidate's tool calls must line up with the baseline's (``ToolOrder``)."""
    judge: str | None = None
    """Target string of the judge model for this prompt (``judge:`` in prompt.yaml); None:
    the ``judge`` setting decides (the suite-wide judge, if any)."""
    semantic: tuple[str, ...] = ()
    """JSON paths of free-text fields of a JSON output whose meaning the judge checks
    (``semantic:`` in prompt.yaml)."""
    max_steps: int | None = None
    """Set: each case with ``fixtures`` runs as an agent loop of at most this many model
    calls, its tool calls answered from them."""


@dataclass(frozen=True)
class Suite:
    root: Path
    prompts: dict[str, Prompt]


def content_hash(
    messages: tuple[Message, ...],
    variables: tuple[str, ...],
    *,
    options: RequestOptions = _NO_OPTIONS,
    history: tuple[HistorySlot, ...] = (),
) -> str:
    """sha256 of the canonical JSON of a version: YAML layout does not count, content does.

    Tools, structured output and history slots are added only when the version has them: a
    version without them hashes as it always did (locks and baselines stay valid).
    """
    canonical: dict[str, Any] = {
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "variables": sorted(variables),
    }
    canonical.update(options.canonical())
    if history:
        canonical["history"] = [[slot.position, slot.variable] for slot in history]
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
