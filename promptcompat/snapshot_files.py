"""``snapshots/``: accepted baselines as files that are reviewed and committed like code.

One file per (prompt version, target): ``snapshots/<prompt>/<version>/<target-slug>.json``.
A changed result never overwrites it: it goes to ``<target-slug>.pending.json`` beside it
until a reviewer accepts or rejects it. The layout of a file::

    {
      "format": "promptcompat.snapshots/1",
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

Keys are in a fixed order (header first, cases sorted by id, sample fields sorted), lines end
in LF and every case is its own block, so a change to one case is a diff of that block only.
Nothing that varies between identical answers (latency, cost, dates) is written.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptcompat.errors import SuiteError
from promptcompat.suite_files import parse_json

FORMAT_NAME = "promptcompat.snapshots"
FORMAT_VERSION = 1
FORMAT = f"{FORMAT_NAME}/{FORMAT_VERSION}"
ACCEPTED_SUFFIX = ".json"
PENDING_SUFFIX = ".pending.json"
SAMPLE_FIELDS = ("cache_key", "finish_reason", "output", "output_tokens", "sample", "served_model")
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SnapshotSample:
    sample: int
    cache_key: str
    output: str
    served_model: str | None = None
    finish_reason: str | None = None
    output_tokens: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "cache_key": self.cache_key,
            "finish_reason": self.finish_reason,
            "output": self.output,
            "output_tokens": self.output_tokens,
            "sample": self.sample,
            "served_model": self.served_model,
        }


@dataclass(frozen=True)
class CaseNote:
    """Why a pending case is pending: the verdict and rules of the run that produced it."""

    verdict: str
    rules: tuple[str, ...] = ()
    run_id: str = ""
    baseline_version: str = ""
    """The version the run compared against (a new version's diff is shown against it)."""


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


def target_slug(label: str) -> str:
    """A file name for a target label (the file itself holds the exact label)."""
    return _SLUG_UNSAFE.sub("_", label).strip("_") or "target"


def accepted_path(root: Path, prompt: str, version: str, target: str) -> Path:
    return root / prompt / version / (target_slug(target) + ACCEPTED_SUFFIX)


def pending_path(root: Path, prompt: str, version: str, target: str) -> Path:
    return root / prompt / version / (target_slug(target) + PENDING_SUFFIX)


def is_pending(path: Path) -> bool:
    return path.name.endswith(PENDING_SUFFIX)


def iter_files(root: Path, *, pending: bool) -> Iterator[Path]:
    """Snapshot files under ``root`` (accepted or pending ones), in a stable order."""
    if not root.is_dir():
        return
    for path in sorted(root.glob("*/*/*.json")):
        if is_pending(path) == pending:
            yield path


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


def write(path: Path, snap: SnapshotFile, *, pending: bool = False) -> None:
    """Write atomically (a crash leaves the old file or the new one, never half of one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render(snap, pending=pending)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: Path, *, where: str | None = None) -> SnapshotFile:
    """Read and validate a snapshot file.

    Raises:
        SuiteError: not JSON, an unknown or newer format, or a malformed field (names the file).
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
            snap.cases[str(case_id)] = [_sample(s, str(case_id)) for s in samples]
        for case_id, note in (data.get("notes") or {}).items():
            snap.notes[str(case_id)] = CaseNote(
                verdict=str(note.get("verdict", "")),
                rules=tuple(str(r) for r in note.get("rules", [])),
                run_id=str(note.get("run_id", "")),
                baseline_version=str(note.get("baseline_version", "")),
            )
    except (ValueError, TypeError, AttributeError) as exc:
        raise SuiteError(str(exc), where=where) from None
    return snap


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value


def _sample(raw: Any, case_id: str) -> SnapshotSample:
    if not isinstance(raw, dict):
        raise ValueError(f"case {case_id}: a sample is an object")
    output, key = raw.get("output"), raw.get("cache_key")
    if not isinstance(output, str) or not isinstance(key, str):
        raise ValueError(f"case {case_id}: a sample needs a string output and cache_key")
    tokens = raw.get("output_tokens")
    return SnapshotSample(
        sample=int(raw.get("sample", 0)),
        cache_key=key,
        output=output,
        served_model=raw.get("served_model"),
        finish_reason=raw.get("finish_reason"),
        output_tokens=int(tokens) if tokens is not None else None,
    )
