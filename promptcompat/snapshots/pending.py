"""Pending snapshot files: changed results waiting beside the accepted ones for a reviewer.

After a run, every candidate output that differs from the accepted file of its (prompt
version, target), or that has no accepted file yet, is written to the ``.pending.json`` file
beside it, never over the accepted one. Accepting a pending case moves it into the accepted
file (and into the store's baselines); rejecting drops it. Both work per case.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from promptcompat import store
from promptcompat.errors import ConfigError
from promptcompat.snapshots import files
from promptcompat.snapshots.files import CaseNote, NoteFinding, SnapshotFile, SnapshotSample
from promptcompat.snapshots.sync import load_snapshot, loop_steps
from promptcompat.store.tables.core import CaseResult
from promptcompat.suite import Suite

_RANK = {"ERROR": 0, "BREAKING": 1, "CHANGED": 2, "COMPATIBLE": 3}


@dataclass
class PendingItem:
    """One pending case of one pending file."""

    root: Path
    """The snapshots directory the file is in."""
    path: Path
    pending: SnapshotFile
    case_id: str
    accepted: SnapshotFile | None
    compared: SnapshotFile | None = None
    """When this version has no accepted output for the case: the accepted file of the
    version the run compared it with (same target), so the diff shows what the edit changed."""

    @property
    def label(self) -> str:
        return (
            f"{self.pending.prompt}/{self.pending.version} @ {self.pending.target}: {self.case_id}"
        )

    @property
    def note(self) -> CaseNote | None:
        return self.pending.notes.get(self.case_id)


def write_pending(
    *,
    session: Session,
    run_id: str,
    root: Path,
    suite: Suite,
    max_output_bytes: int = files.DEFAULT_MAX_OUTPUT_BYTES,
) -> list[Path]:
    """Write the run's changed candidate outputs as pending files; returns the files written."""
    results = [r for r in store.case_results(session=session, run_id=run_id) if r.direction != "AA"]
    rules: dict[str, set[str]] = defaultdict(set)
    findings: dict[str, list[NoteFinding]] = defaultdict(list)
    for record in store.findings_for_run(session=session, run_id=run_id):
        if record.severity in ("ERR", "WARN"):
            rules[record.case_result_id].add(record.rule)
            findings[record.case_result_id].append(
                NoteFinding(rule=record.rule, severity=record.severity, message=record.message)
            )
    keys = sorted({k for r in results for k in r.candidate_keys})
    calls = store.load_calls(session=session, keys=keys)
    texts = store.load_outputs(
        session=session, hashes=sorted({c.snapshot_hash for c in calls.values() if c.snapshot_hash})
    )
    trajectories = loop_steps(session=session, calls=calls)
    by_side: dict[tuple[str, str, str], list[CaseResult]] = defaultdict(list)
    for r in results:
        by_side[(r.prompt, r.candidate_version, r.candidate_target)].append(r)
    written: list[Path] = []
    for (prompt, version, target), rows in sorted(by_side.items()):
        accepted = _read_accepted(root, prompt, version, target, max_output_bytes)
        pending_file = files.pending_path(root, prompt, version, target)
        pending = (
            files.load(root, pending_file, max_output_bytes=max_output_bytes)
            if pending_file.is_file()
            else SnapshotFile(prompt=prompt, version=version, target=target)
        )
        pending.version_hash = _version_hash(suite, prompt, version) or pending.version_hash
        if accepted is not None and not _same_content(accepted, pending):
            accepted = None  # accepted for an earlier content of a draft: not this one's
        changed = False
        for r in sorted(rows, key=lambda r: _RANK.get(r.verdict, 9), reverse=True):
            samples: list[SnapshotSample] = []
            for key in r.candidate_keys:
                call = calls.get(key)
                if call is None or call.status != "ok" or call.snapshot_hash is None:
                    break  # a failed sample: nothing complete to review
                samples.append(
                    SnapshotSample(
                        sample=len(samples),
                        cache_key=key,
                        output=texts[call.snapshot_hash].text,
                        kind=texts[call.snapshot_hash].kind,
                        served_model=call.served_model,
                        finish_reason=call.finish_reason,
                        output_tokens=call.output_tokens,
                        steps=trajectories.get(key, ()),
                    )
                )
            else:
                # An agent loop that reaches the same answer by other steps is a change too.
                answers = [s.answer for s in samples]
                if accepted is not None and accepted.answers(r.case_id) == answers:
                    if r.case_id in pending.cases:  # the change went away: nothing to review
                        del pending.cases[r.case_id]
                        pending.notes.pop(r.case_id, None)
                        changed = True
                    continue
                pending.cases[r.case_id] = samples
                pending.notes[r.case_id] = CaseNote(
                    verdict=r.verdict,
                    rules=tuple(sorted(rules[r.id])),
                    run_id=run_id,
                    baseline_version=r.baseline_version,
                    findings=tuple(
                        sorted(findings[r.id], key=lambda f: (f.severity != "ERR", f.rule))
                    ),
                )
                changed = True
        if not changed:
            continue
        if pending.cases:
            files.write(pending_file, pending, root=root, pending=True)
            written.append(pending_file)
        else:
            files.remove(root, pending_file)
    return written


def pending_items(
    root: Path,
    *,
    selector: str | None = None,
    case: str | None = None,
    max_output_bytes: int = files.DEFAULT_MAX_OUTPUT_BYTES,
) -> list[PendingItem]:
    """Pending cases under ``root``, optionally only ``prompt[/version[/target]]`` and ``case``.

    Raises:
        SuiteError: a pending file is malformed, not where its fields say, outside ``root``,
            or holds an output over ``max_output_bytes`` (accepting it would store it).
    """
    wanted = [p for p in (selector or "").split("/", 2) if p]
    items: list[PendingItem] = []
    for path in files.iter_files(root, pending=True):
        snap = files.load(root, path, max_output_bytes=max_output_bytes)
        parts = (snap.prompt, snap.version, snap.target)
        if not _matches(wanted, parts):
            continue
        accepted = _read_accepted(root, snap.prompt, snap.version, snap.target, max_output_bytes)
        for case_id in sorted(snap.cases):
            if case is not None and case_id != case:
                continue
            note = snap.notes.get(case_id)
            compared = None
            if note and note.baseline_version and note.baseline_version != snap.version:
                compared = _read_accepted(
                    root, snap.prompt, note.baseline_version, snap.target, max_output_bytes
                )
            items.append(PendingItem(root, path, snap, case_id, accepted, compared))
    return items


def _read_accepted(
    root: Path, prompt: str, version: str, target: str, max_output_bytes: int
) -> SnapshotFile | None:
    path = files.accepted_path(root, prompt, version, target)
    return files.load(root, path, max_output_bytes=max_output_bytes) if path.is_file() else None


def _matches(wanted: list[str], parts: tuple[str, str, str]) -> bool:
    for i, value in enumerate(wanted):
        if i == 2:
            if value not in (parts[2], files.target_slug(parts[2])):
                return False
        elif value != parts[i]:
            return False
    return True


def diff_text(item: PendingItem) -> str:
    """Unified diff of the accepted outputs against the pending ones (all of it when new)."""
    before = item.accepted.shown(item.case_id) if item.accepted else []
    label = "accepted"
    if not before and item.compared is not None:
        before = item.compared.shown(item.case_id)
        label = f"accepted {item.compared.version}"
    after = item.pending.shown(item.case_id)
    chunks: list[str] = []
    for i in range(max(len(before), len(after))):
        old = before[i] if i < len(before) else ""
        new = after[i] if i < len(after) else ""
        lines = difflib.unified_diff(
            old.splitlines(),
            new.splitlines(),
            fromfile=f"{label} sample {i}" if i < len(before) else "(no accepted snapshot)",
            tofile=f"pending {item.pending.version} sample {i}",
            lineterm="",
        )
        chunks.append("\n".join(lines))
    return "\n".join(c for c in chunks if c)


def accept(
    *,
    session: Session,
    root: Path,
    item: PendingItem,
    reviewer: str,
    max_output_bytes: int = files.DEFAULT_MAX_OUTPUT_BYTES,
) -> None:
    """Move a pending case into the accepted file and the store's baselines."""
    snap = item.pending
    accepted_file = files.accepted_path(root, snap.prompt, snap.version, snap.target)
    accepted = _read_accepted(root, snap.prompt, snap.version, snap.target, max_output_bytes)
    if accepted is None or not _same_content(accepted, snap):
        # A file holds the outputs of one content of its version: a draft edited since its
        # last acceptance starts over (the store keeps the earlier content's baselines).
        accepted = SnapshotFile(
            prompt=snap.prompt, version=snap.version, target=snap.target, version_hash=""
        )
    accepted.version_hash = snap.version_hash or accepted.version_hash
    accepted.cases[item.case_id] = snap.cases[item.case_id]
    files.write(accepted_file, accepted, root=root)
    load_snapshot(session=session, snap=accepted, accepted_by=reviewer, cases={item.case_id})
    _drop(item, max_output_bytes)


def reject(*, item: PendingItem, max_output_bytes: int = files.DEFAULT_MAX_OUTPUT_BYTES) -> None:
    """Drop a pending case; the accepted file stays as it is."""
    _drop(item, max_output_bytes)


def _drop(item: PendingItem, max_output_bytes: int) -> None:
    # Re-read: several items of one file are decided in turn.
    snap = (
        files.load(item.root, item.path, max_output_bytes=max_output_bytes)
        if item.path.is_file()
        else item.pending
    )
    snap.cases.pop(item.case_id, None)
    snap.notes.pop(item.case_id, None)
    if snap.cases:
        files.write(item.path, snap, root=item.root, pending=True)
    else:
        files.remove(item.root, item.path)


def require_selection(selector: str | None, *, every: bool) -> None:
    if selector is None and not every:
        raise ConfigError(
            "name what to decide (PROMPT, PROMPT/VERSION or PROMPT/VERSION/TARGET) or pass --all"
        )


def _same_content(accepted: SnapshotFile, pending: SnapshotFile) -> bool:
    """Whether both files are of the same content of their version (unknown counts as same)."""
    return not (accepted.version_hash and pending.version_hash) or (
        accepted.version_hash == pending.version_hash
    )


def _version_hash(suite: Suite, prompt: str, version: str) -> str:
    found = suite.prompts.get(prompt)
    pv = found.versions.get(version) if found else None
    return pv.content_hash if pv else ""
