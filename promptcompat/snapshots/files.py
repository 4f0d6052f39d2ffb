"""``snapshots/``: accepted baselines as files that are reviewed and committed like code.

One file per (prompt version, target): ``snapshots/<prompt>/<version>/<target-slug>.json``.
A changed result never overwrites it: it goes to ``<target-slug>.pending.json`` beside it
until a reviewer accepts or rejects it. The layout of a file::

    {
      "format": "promptcompat.snapshots/2",
      "prompt": "extract_contact",
      "version": "v1",
      "version_hash": "<sha256 of the version's content>",
      "target": "openai:gpt-sim-2024-05-13?temperature=0",
      "cases": {
        "<case id>": [
          {"cache_key": "...", "finish_reason": "stop", "output": "...", ...}
        ]
      }
    }

A sample's output is written so that a pull request's diff shows the changed line or field
(format 2): one of

    "output": "a one-line text"
    "output_lines": ["a text", "of several lines"]          (joined with "\n")
    "output_json": {"a": "JSON output"}, "output_layout": "spaced" | "compact" | "indented"
    "turn": {"content": "...", "refusal": null,
             "tool_calls": [{"id": "...", "name": "...", "arguments": {...}}]}

``output_json`` is used only when the layout gives back the exact text (so the stored output
and its hash do not change); a ``turn`` is an answer with tool calls or a refusal, its
``content`` itself in lines when it has several. Format 1 files (``output`` only) are read.

An agent loop's sample (a prompt with ``max_steps``) also carries its trajectory: ``steps``,
one entry per model call of the loop in order, each ``{"cache_key": ..., <its output as
above>}``; the last step is the loop's answer. A comparison against the file then sees the
steps (``compat/diff.py`` compares loops where their trajectories part). Steps are optional:
a format 2 file written before them is still read (its loops compare on their answers).

Keys are in a fixed order (header first, cases sorted by id, sample fields sorted), lines end
in LF and every case is its own block, so a change to one case is a diff of that block only.
Nothing that varies between identical answers (latency, cost, dates) is written.

Snapshot files arrive in pull requests, so nothing in one is trusted to name a path: a file is
read only where its own ``prompt``, ``version`` and ``target`` say it belongs, every path read,
written or deleted must resolve inside the snapshots root (no ``..``, no symlink out of it), and
an output is held to the cap a provider's answer is (``max_output_bytes``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptcompat.config import Settings
from promptcompat.errors import ConfigError, SuiteError
from promptcompat.suite.files import parse_json, write_text_atomically
from promptcompat.suite.targets import parse_target
from promptcompat.suite.turns import (
    TEXT,
    TURN,
    OutputKind,
    display,
    read_turn,
    turn_document,
    turn_json,
)

FORMAT_NAME = "promptcompat.snapshots"
FORMAT_VERSION = 2
FORMAT = f"{FORMAT_NAME}/{FORMAT_VERSION}"
ACCEPTED_SUFFIX = ".json"
PENDING_SUFFIX = ".pending.json"
SAMPLE_FIELDS = ("cache_key", "finish_reason", "output", "output_tokens", "sample", "served_model")
OUTPUT_FIELDS = ("output", "output_lines", "output_json", "turn")
"""The ways a sample holds its output (exactly one of them)."""
JSON_LAYOUTS: dict[str, dict[str, Any]] = {
    "spaced": {},
    "compact": {"separators": (",", ":")},
    "indented": {"indent": 2},
}
"""``json.dumps`` arguments that give back a JSON output's exact text."""
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# A prompt, version or case name as the suite allows it (suite.NAME) and as a single path
# component: no separator, and no leading dot (the suite skips those, and "." / ".." climb).
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
_CASE_ID = re.compile(r"[A-Za-z0-9_.-]+")  # suite.NAME: case ids are no path component
_CACHE_KEY = re.compile(r"[0-9a-f]{64}")
_MAX_LABEL_CHARS = 200
"""Longest served model or finish reason a sample may carry (providers send a few dozen)."""
DEFAULT_MAX_OUTPUT_BYTES: int = Settings.model_fields["max_output_bytes"].default
"""The cap on a provider's answer, which an output read from a file is held to as well."""


@dataclass(frozen=True)
class SnapshotStep:
    """One model call of an agent loop's trajectory, as a file holds it."""

    cache_key: str
    output: str
    kind: OutputKind = TEXT

    def to_dict(self) -> dict[str, Any]:
        return {"cache_key": self.cache_key, **output_fields(self.output, self.kind)}


@dataclass(frozen=True)
class SnapshotSample:
    sample: int
    cache_key: str
    output: str
    """The output as the store holds it (a turn: its JSON document)."""
    served_model: str | None = None
    finish_reason: str | None = None
    output_tokens: int | None = None
    kind: OutputKind = TEXT
    steps: tuple[SnapshotStep, ...] = ()
    """An agent loop's model calls in order (the last is this answer); empty otherwise."""

    def to_dict(self) -> dict[str, Any]:
        data = {
            "cache_key": self.cache_key,
            "finish_reason": self.finish_reason,
            **output_fields(self.output, self.kind),
            "output_tokens": self.output_tokens,
            "sample": self.sample,
            "served_model": self.served_model,
        }
        if self.steps:
            data["steps"] = [step.to_dict() for step in self.steps]
        return data

    @property
    def answer(self) -> tuple[str, tuple[str, ...]]:
        """What a reviewer accepts: the output and, for an agent loop, its steps' outputs."""
        return self.output, tuple(step.output for step in self.steps)

    @property
    def shown(self) -> str:
        """The output as a reviewer reads it (tool calls with pretty arguments); an agent
        loop's step by step, as the run's text diff shows it, since its steps may differ
        where its answer does not."""
        if len(self.steps) > 1:
            return "\n".join(
                f"[step {n}]\n{display(t.output, t.kind)}" for n, t in enumerate(self.steps, 1)
            )
        return display(self.output, self.kind)


def output_fields(text: str, kind: OutputKind) -> dict[str, Any]:
    """How a file holds an output: structure where a diff then shows the changed field or
    line, always giving back exactly ``text``."""
    if kind == TURN:
        turn = turn_json(read_turn(text, kind))
        if "\n" in turn["content"]:
            turn["content"] = turn["content"].split("\n")
        return {"turn": turn}
    if text[:1] in ("{", "["):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict | list) and value:
            for layout, arguments in JSON_LAYOUTS.items():
                if json.dumps(value, ensure_ascii=False, **arguments) == text:
                    fields: dict[str, Any] = {"output_json": value}
                    if layout != "spaced":
                        fields["output_layout"] = layout
                    return fields
    if "\n" in text:
        return {"output_lines": text.split("\n")}
    return {"output": text}


def _output(raw: dict[str, Any], case_id: str) -> tuple[str, OutputKind]:
    """The output text and kind a sample's fields hold (``output_fields`` read back)."""
    present = [name for name in OUTPUT_FIELDS if name in raw]
    if len(present) != 1:
        raise ValueError(
            f"case {case_id}: a sample holds its output in exactly one of "
            f"{', '.join(OUTPUT_FIELDS)}"
        )
    value = raw[present[0]]
    if present[0] == "output":
        if not isinstance(value, str):
            raise ValueError(f"case {case_id}: output must be a string")
        return value, TEXT
    if present[0] == "output_lines":
        if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
            raise ValueError(f"case {case_id}: output_lines must be a list of strings")
        return "\n".join(value), TEXT
    if present[0] == "output_json":
        layout = raw.get("output_layout", "spaced")
        if layout not in JSON_LAYOUTS:
            raise ValueError(
                f"case {case_id}: output_layout must be one of {', '.join(JSON_LAYOUTS)}"
            )
        return json.dumps(value, ensure_ascii=False, **JSON_LAYOUTS[layout]), TEXT
    if not isinstance(value, dict):
        raise ValueError(f"case {case_id}: turn must be an object")
    content = value.get("content", "")
    if isinstance(content, list):
        content = "\n".join(str(line) for line in content)
    calls = value.get("tool_calls") or []
    if not isinstance(calls, list) or not all(
        isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("name"), str)
        for c in calls
    ):
        raise ValueError(
            f"case {case_id}: turn.tool_calls must be a list of {{id, name, arguments}}"
        )
    refusal = value.get("refusal")
    turn = {"content": str(content), "refusal": refusal, "tool_calls": calls}
    document = json.dumps(turn, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # Through the turn reader and back: the stored document is always the canonical one.
    return turn_document(read_turn(document, TURN)), TURN


@dataclass(frozen=True)
class NoteFinding:
    """One finding of a pending case, with the message a reviewer reads."""

    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class CaseNote:
    """Why a pending case is pending: the verdict and findings of the run that produced it."""

    verdict: str
    rules: tuple[str, ...] = ()
    run_id: str = ""
    baseline_version: str = ""
    """The version the run compared against (a new version's diff is shown against it)."""
    findings: tuple[NoteFinding, ...] = ()
    """The ERR and WARN findings (rule, severity, message); empty in files written before."""


@dataclass
class SnapshotFile:
    prompt: str
    version: str
    target: str
    version_hash: str = ""
    cases: dict[str, list[SnapshotSample]] = field(default_factory=dict)
    notes: dict[str, CaseNote] = field(default_factory=dict)
    """Pending files only: per case, what the run said about it."""

    def outputs(self, case_id: str) -> list[str]:
        return [s.output for s in sorted(self.cases.get(case_id, []), key=lambda s: s.sample)]

    def answers(self, case_id: str) -> list[tuple[str, tuple[str, ...]]]:
        """``outputs`` with each agent loop's steps (``SnapshotSample.answer``)."""
        return [s.answer for s in sorted(self.cases.get(case_id, []), key=lambda s: s.sample)]

    def shown(self, case_id: str) -> list[str]:
        """The outputs as a reviewer reads them (``SnapshotSample.shown``)."""
        return [s.shown for s in sorted(self.cases.get(case_id, []), key=lambda s: s.sample)]


def target_slug(label: str) -> str:
    """A file name for a target label (the file itself holds the exact label)."""
    return _SLUG_UNSAFE.sub("_", label).strip("_") or "target"


def accepted_path(root: Path, prompt: str, version: str, target: str) -> Path:
    """Where the accepted file of a prompt version and target lives.

    Raises:
        SuiteError: ``prompt`` or ``version`` is not a name (a path, ``..``).
    """
    return _place(root, prompt, version) / (target_slug(target) + ACCEPTED_SUFFIX)


def pending_path(root: Path, prompt: str, version: str, target: str) -> Path:
    """Where the pending file beside the accepted one lives (raises as ``accepted_path``)."""
    return _place(root, prompt, version) / (target_slug(target) + PENDING_SUFFIX)


def _place(root: Path, prompt: str, version: str) -> Path:
    for what, value in (("prompt", prompt), ("version", version)):
        if not _NAME.fullmatch(value):
            raise SuiteError(
                f"{what} {value!r} is not a name (letters, digits, _ . -, no leading dot): "
                f"a snapshot is never written outside {root.name}/",
                where=f"{prompt}/{version}",
            )
    return root / prompt / version


def is_pending(path: Path) -> bool:
    return path.name.endswith(PENDING_SUFFIX)


def show(root: Path, path: Path) -> str:
    """``snapshots/<prompt>/<version>/<file>``: how messages name a file."""
    try:
        return f"{root.name}/{path.relative_to(root).as_posix()}"
    except ValueError:
        return str(path)


def check_inside(root: Path, path: Path) -> None:
    """Refuse a path that leaves ``root`` once resolved: through ``..`` or a symlink.

    Raises:
        SuiteError: it does (names the path as it lies under ``root``).
    """
    if not path.resolve().is_relative_to(root.resolve()):
        raise SuiteError(
            f"leads outside {root.name}/ (a symlink or ..): refused",
            where=show(root, path),
        )


def iter_files(root: Path, *, pending: bool) -> Iterator[Path]:
    """Snapshot files under ``root`` (accepted or pending ones), in a stable order.

    Raises:
        SuiteError: one of them, or a folder above it, is a symlink to outside ``root``.
    """
    if not root.is_dir():
        return
    for path in sorted(root.glob("*/*/*.json")):
        if is_pending(path) == pending:
            check_inside(root, path)
            yield path


def load(
    root: Path, path: Path, *, max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
) -> SnapshotFile:
    """Read the snapshot file at ``path`` under ``root``, checking it belongs where it lies.

    Its ``prompt`` and ``version`` must be the names of the folders it is in and its
    ``target`` must give its file name: a file elsewhere would otherwise be imported, and
    later exported or accepted, to wherever its fields point.

    Raises:
        SuiteError: as ``read``, or it lies outside ``root`` or not where its fields say.
    """
    where = show(root, path)
    check_inside(root, path)
    snap = read(path, where=where, max_output_bytes=max_output_bytes)
    try:
        prompt_dir, version_dir, name = path.relative_to(root).parts
    except ValueError:
        raise SuiteError(
            f"a snapshot file lies at {root.name}/<prompt>/<version>/<target>.json", where=where
        ) from None
    for what, value, folder in (
        ("prompt", snap.prompt, prompt_dir),
        ("version", snap.version, version_dir),
    ):
        if value != folder:
            raise SuiteError(
                f"names {what} {_brief(value)}, not its folder {folder!r}: {_MISPLACED}",
                where=where,
            )
    try:
        label = parse_target(snap.target).label
    except ConfigError as exc:
        raise SuiteError(f"target {_brief(snap.target)}: {exc.message}", where=where) from None
    if label != snap.target:
        raise SuiteError(
            f"target {_brief(snap.target)} is not written as promptcompat writes it ({label!r})",
            where=where,
        )
    suffix = PENDING_SUFFIX if is_pending(path) else ACCEPTED_SUFFIX
    if target_slug(snap.target) + suffix != name:
        raise SuiteError(
            f"names target {_brief(snap.target)}, not its file's: {_MISPLACED}", where=where
        )
    return snap


_MISPLACED = "a snapshot's prompt, version and target must match its path"


def _brief(value: str) -> str:
    """A field's value for a message: a planted one may be of any length."""
    return repr(value) if len(value) <= 80 else repr(value[:80]) + "..."


def render(snap: SnapshotFile, *, pending: bool = False) -> str:
    """The file's text: fixed key order, two-space indent, one block per case, LF."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "prompt": snap.prompt,
        "version": snap.version,
        "version_hash": snap.version_hash,
        "target": snap.target,
    }
    if pending:
        data["status"] = "pending"
        data["notes"] = {
            case_id: {
                "baseline_version": note.baseline_version,
                "findings": [
                    {"message": f.message, "rule": f.rule, "severity": f.severity}
                    for f in note.findings
                ],
                "rules": list(note.rules),
                "run_id": note.run_id,
                "verdict": note.verdict,
            }
            for case_id, note in sorted(snap.notes.items())
        }
    data["cases"] = {
        case_id: [s.to_dict() for s in sorted(samples, key=lambda s: s.sample)]
        for case_id, samples in sorted(snap.cases.items())
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, snap: SnapshotFile, *, root: Path, pending: bool = False) -> None:
    """Write atomically (a crash leaves the old file or the new one, never half of one).

    The file gets the mode any new file gets (0666 less the umask, so 0644 usually): it is
    committed and read by others.

    Raises:
        SuiteError: ``path`` resolves outside ``root`` (nothing is written).
    """
    check_inside(root, path)  # before mkdir, which would create folders where a symlink leads
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render(snap, pending=pending)
    write_text_atomically(path, text)


def remove(root: Path, path: Path) -> None:
    """Delete a snapshot file (the link itself, never what a symlink points to outside)."""
    check_inside(root, path)
    path.unlink(missing_ok=True)


def read(
    path: Path, *, where: str | None = None, max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
) -> SnapshotFile:
    """Read and validate a snapshot file (``load`` also checks where it lies).

    Raises:
        SuiteError: not JSON, an unknown or newer format, a malformed field, or an output
            larger than ``max_output_bytes`` (names the file, and the case).
    """
    where = where or str(path)
    try:
        data = parse_json(path.read_text(encoding="utf-8"), where)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"invalid JSON: {exc.msg}", where=f"{where}:{exc.lineno}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"cannot read the snapshot file: {exc}", where=where) from None
    if not isinstance(data, dict):
        raise SuiteError("a snapshot file is a JSON object", where=where)
    fmt = data.get("format")
    name, _, number = str(fmt).partition("/")
    if name != FORMAT_NAME or not number.isdigit():
        raise SuiteError(f"not a promptcompat snapshot file (format {fmt!r})", where=where)
    if int(number) > FORMAT_VERSION:
        raise SuiteError(
            f"written in snapshot format {number}, newer than this promptcompat reads "
            f"({FORMAT_VERSION}); upgrade promptcompat",
            where=where,
        )
    try:
        snap = SnapshotFile(
            prompt=_str(data, "prompt"),
            version=_str(data, "version"),
            target=_str(data, "target"),
            version_hash=str(data.get("version_hash") or ""),
        )
        cases = data.get("cases")
        if not isinstance(cases, dict):
            raise ValueError("cases must be an object of case id to samples")
        for case_id, samples in cases.items():
            if not isinstance(samples, list):
                raise ValueError(f"case {case_id}: samples must be a list")
            if not _CASE_ID.fullmatch(case_id):
                raise ValueError(f"case {case_id[:80]!r}: not a case id (letters, digits, _ . -)")
            snap.cases[case_id] = [_sample(s, case_id, max_output_bytes) for s in samples]
        for case_id, note in (data.get("notes") or {}).items():
            snap.notes[str(case_id)] = CaseNote(
                verdict=str(note.get("verdict", "")),
                rules=tuple(str(r) for r in note.get("rules", [])),
                run_id=str(note.get("run_id", "")),
                baseline_version=str(note.get("baseline_version", "")),
                findings=tuple(
                    NoteFinding(
                        rule=str(f["rule"]),
                        severity=str(f["severity"]),
                        message=str(f["message"]),
                    )
                    for f in note.get("findings", [])
                ),
            )
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise SuiteError(str(exc), where=where) from None
    return snap


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value


def _sample(raw: Any, case_id: str, max_output_bytes: int) -> SnapshotSample:
    if not isinstance(raw, dict):
        raise ValueError(f"case {case_id}: a sample is an object")
    key = raw.get("cache_key")
    if not isinstance(key, str):
        raise ValueError(f"case {case_id}: a sample needs a string cache_key")
    output, kind = _output(raw, case_id)
    if not _CACHE_KEY.fullmatch(key):
        raise ValueError(f"case {case_id}: cache_key is not a sha256 hex digest")
    sample = int(raw.get("sample", 0))
    # The cap a provider's answer is held to (providers/): an output this file carries becomes
    # a baseline every run compares with, so a larger one is refused here as it is there.
    size = len(output.encode("utf-8"))
    if size > max_output_bytes:
        raise ValueError(
            f"case {case_id} sample {sample}: output of {size:,} bytes exceeds "
            f"max_output_bytes ({max_output_bytes:,}), the cap on a provider's answer"
        )
    steps = _steps(raw.get("steps"), case_id, sample, max_output_bytes)
    if steps and (steps[-1].output, steps[-1].kind) != (output, kind):
        raise ValueError(
            f"case {case_id} sample {sample}: the last of its steps is not its output "
            "(an agent loop's answer is its last step)"
        )
    labels = {k: raw.get(k) for k in ("served_model", "finish_reason")}
    for name, value in labels.items():
        if value is not None and (not isinstance(value, str) or len(value) > _MAX_LABEL_CHARS):
            raise ValueError(
                f"case {case_id}: {name} must be a string of at most {_MAX_LABEL_CHARS} characters"
            )
    tokens = raw.get("output_tokens")
    return SnapshotSample(
        sample=sample,
        cache_key=key,
        output=output,
        served_model=labels["served_model"],
        finish_reason=labels["finish_reason"],
        output_tokens=int(tokens) if tokens is not None else None,
        kind=kind,
        steps=steps,
    )


def _steps(raw: Any, case_id: str, sample: int, max_output_bytes: int) -> tuple[SnapshotStep, ...]:
    """An agent loop's steps as ``SnapshotStep.to_dict`` writes them (absent: none)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError(f"case {case_id} sample {sample}: steps must be a list")
    steps: list[SnapshotStep] = []
    for number, step in enumerate(raw, start=1):
        where = f"case {case_id} sample {sample} step {number}"
        if not isinstance(step, dict):
            raise ValueError(f"{where}: a step is an object")
        key = step.get("cache_key")
        if not isinstance(key, str) or not _CACHE_KEY.fullmatch(key):
            raise ValueError(f"{where}: cache_key is not a sha256 hex digest")
        output, kind = _output(step, f"{case_id} step {number}")
        size = len(output.encode("utf-8"))
        if size > max_output_bytes:
            raise ValueError(
                f"{where}: output of {size:,} bytes exceeds max_output_bytes "
                f"({max_output_bytes:,}), the cap on a provider's answer"
            )
        steps.append(SnapshotStep(cache_key=key, output=output, kind=kind))
    return tuple(steps)
