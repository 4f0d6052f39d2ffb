"""Where redaction is applied: to a run's call results on their way into the store.

Every result of a provider call reaches the database through ``store.save_calls``; its two
callers (the replay flusher and ``execution.give_up_shard``) pass the rows through
:meth:`RunRedaction.apply` first, so rendered requests, outputs and error messages are
redacted before they are written anywhere. Reports, the API, webhooks and snapshot files are
all built from the store, so they only ever see placeholders.

The cache key of a call stays the hash of the *real* rendered request: two cases that differ
only in a redacted value must not share an answer. The key is a SHA-256 over the whole
request, not over a value alone, so it does not reveal a value either.

Rendered requests also wait in ``planned_call`` until workers have sent them (a worker needs
the real text); :func:`scrub_plan` empties them once the run has finished, and SQLite's
``secure_delete`` (store.py) zeroes the freed bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, col

from promptcompat.config import Settings
from promptcompat.errors import ConfigError
from promptcompat.privacy.redact import KINDS, Redactor
from promptcompat.store.call_rows import CallRow
from promptcompat.store.tables.core import Call, PlannedCallRecord, Run
from promptcompat.suite import Suite, ToolCall
from promptcompat.suite.turns import Turn, read_turn, turn_document

Row = TypeVar("Row", Call, CallRow)


def enabled_detectors(settings: Settings) -> list[str]:
    unknown = sorted(set(settings.redact_detectors) - set(KINDS))
    if unknown:
        raise ConfigError(
            f"unknown redaction detector(s) {', '.join(unknown)}; known: {', '.join(KINDS)}",
            where="PROMPTCOMPAT_REDACT_DETECTORS",
        )
    return list(settings.redact_detectors)


def spec_entry(custom_by_prompt: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """The run spec's ``redact`` field: each prompt's own regexes (none: left out)."""
    return {name: dict(patterns) for name, patterns in custom_by_prompt.items() if patterns}


class RunRedaction:
    """The redactors of one run: the enabled detectors plus each prompt's own regexes."""

    def __init__(self, enabled: Iterable[str], custom: Mapping[str, Mapping[str, str]]) -> None:
        self._enabled = list(enabled)
        self._custom = custom
        self._by_prompt: dict[str, Redactor] = {}

    @classmethod
    def for_run(cls, *, session: Session, run_id: str, settings: Settings) -> RunRedaction:
        run = session.get(Run, run_id)
        custom: Mapping[str, Mapping[str, str]] = {}
        if run is not None:
            custom = run.spec.redact
        return cls(enabled_detectors(settings), custom)

    @classmethod
    def for_suite(cls, settings: Settings, suite: Suite) -> RunRedaction:
        """For results that enter the store outside a run (``snapshots import``)."""
        return cls(
            enabled_detectors(settings), {name: p.redact for name, p in suite.prompts.items()}
        )

    def redactor(self, prompt: str) -> Redactor:
        found = self._by_prompt.get(prompt)
        if found is None:
            found = self._by_prompt[prompt] = Redactor.build(
                self._enabled, self._custom.get(prompt)
            )
        return found

    def apply(
        self,
        calls: Sequence[Row],
        texts: Mapping[str, str],
        turns: AbstractSet[str] = frozenset(),
    ) -> tuple[list[Row], dict[str, str], set[str]]:
        """The rows, snapshot texts and turn hashes (``texts`` that are turn documents) as they
        may be stored (hashes of the redacted text).

        One numbering per call: the request's values first, then the output's, so the same
        case value is the same placeholder in every call of the case. A turn document is
        redacted field by field (text, refusal, every string in the arguments), so it stays
        the JSON it was.
        """
        out_texts: dict[str, str] = {}
        out_turns: set[str] = set()
        for call in calls:
            redactor = self.redactor(call.prompt)
            if not redactor.active:
                if call.snapshot_hash is not None and call.snapshot_hash in texts:
                    out_texts[call.snapshot_hash] = texts[call.snapshot_hash]
                    if call.snapshot_hash in turns:
                        out_turns.add(call.snapshot_hash)
                continue
            redact = redactor.for_call()
            request: dict[str, Any] = dict(call.request)
            request["messages"] = [
                _redact_json({**m, "content": redact(str(m.get("content", "")))}, redact)
                for m in request.get("messages", [])
            ]
            call.request = request
            if call.snapshot_hash is not None and call.snapshot_hash in texts:
                is_turn = call.snapshot_hash in turns
                text = texts[call.snapshot_hash]
                if is_turn:
                    turn = read_turn(text, "turn")
                    text = turn_document(
                        Turn(
                            text=redact(turn.text),
                            tool_calls=tuple(_redact_call(c, redact) for c in turn.tool_calls),
                            refusal=None if turn.refusal is None else redact(turn.refusal),
                        )
                    )
                else:
                    text = redact(text)
                call.snapshot_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
                out_texts[call.snapshot_hash] = text
                if is_turn:
                    out_turns.add(call.snapshot_hash)
            if call.error_message:
                call.error_message = redact(call.error_message)
        return list(calls), out_texts, out_turns


def _redact_json(value: Any, redact: Callable[[str], str]) -> Any:
    """Every string inside ``value`` (keys left alone) redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_json(v, redact) for v in value]
    if isinstance(value, dict):
        return {k: _redact_json(v, redact) for k, v in value.items()}
    return value


def _redact_call(call: ToolCall, redact: Callable[[str], str]) -> ToolCall:
    if call.arguments is None:
        return ToolCall(call.id, call.name, None, redact(call.raw_arguments))
    arguments = _redact_json(call.arguments, redact)
    raw = json.dumps(arguments, ensure_ascii=False)
    return ToolCall(call.id, call.name, arguments, raw)


def scrub_plan(*, session: Session, run_id: str) -> None:
    """Forget a finished run's rendered requests (its calls keep the redacted copies)."""
    session.execute(
        update(PlannedCallRecord).where(col(PlannedCallRecord.run_id) == run_id).values(messages=[])
    )
