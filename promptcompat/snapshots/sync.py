"""Keeping the database's accepted baselines and the ``snapshots/`` files in agreement.

``export`` writes the ``Baseline`` table to files, ``import_files`` loads files into the store
(snapshot, call and baseline rows, so an imported output also answers its call from the cache),
``verify`` says where the two differ, and ``obsolete`` finds files and cases that no prompt
version, case or target of the suite references any more.

Only prompt versions of the suite cross between the two: a file of a prompt or version the
suite does not have is reported and not imported, and a baseline of one is not exported. Their
names are the suite's, checked when it loaded, so no row of the store (which may come from a
cached database) or field of a file names where a file is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from promptcompat import store
from promptcompat.errors import VersionEditedError
from promptcompat.replay import snapshot_hash
from promptcompat.snapshots import files
from promptcompat.snapshots.files import SnapshotFile, SnapshotSample, SnapshotStep
from promptcompat.store.redaction import RunRedaction
from promptcompat.store.tables.core import Baseline, Call
from promptcompat.suite import Suite
from promptcompat.suite.targets import parse_target

GroupKey = tuple[str, str, str]  # prompt, version, target label


@dataclass
class VerifyResult:
    only_in_store: list[str] = field(default_factory=list)
    only_in_files: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)
    """Files ``import`` skips (no such prompt or version in the suite): never in agreement."""

    @property
    def agree(self) -> bool:
        return not (self.only_in_store or self.only_in_files or self.different or self.not_imported)


@dataclass
class ExportResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Baselines of a prompt or version the suite does not have, with the reason."""


@dataclass
class ImportResult:
    loaded: int = 0
    """Samples loaded."""
    skipped: list[str] = field(default_factory=list)
    """Files of a prompt or version the suite does not have, with the reason."""


def store_groups(*, session: Session, suite: Suite | None = None) -> dict[GroupKey, SnapshotFile]:
    """The accepted baselines of the store, as the files that would hold them."""
    every = session.exec(select(Baseline)).all()
    # A file holds one content of its version: the suite's (a draft's earlier contents keep
    # their baselines in the store, not in files), else the newest accepted.
    chosen: dict[GroupKey, tuple[bool, datetime, str]] = {}
    for b in every:
        key = (b.prompt, b.version, b.target)
        rank = (b.version_hash == _version_hash(suite, b.prompt, b.version), b.accepted_at)
        if key not in chosen or rank > chosen[key][:2]:
            chosen[key] = (*rank, b.version_hash)
    baselines = [b for b in every if b.version_hash == chosen[(b.prompt, b.version, b.target)][2]]
    current = {key: digest for key, (_, _, digest) in chosen.items()}
    calls = store.load_calls(session=session, keys=sorted({b.cache_key for b in baselines}))
    texts = store.load_outputs(session=session, hashes=sorted({b.snapshot_hash for b in baselines}))
    trajectories = loop_steps(session=session, calls=calls)
    groups: dict[GroupKey, SnapshotFile] = {}
    for b in baselines:
        key = (b.prompt, b.version, b.target)
        if key not in groups:
            groups[key] = SnapshotFile(
                prompt=b.prompt, version=b.version, target=b.target, version_hash=current[key]
            )
        call = calls.get(b.cache_key)
        stored = texts.get(b.snapshot_hash)
        groups[key].cases.setdefault(b.case_id, []).append(
            SnapshotSample(
                sample=b.sample,
                cache_key=b.cache_key,
                output=stored.text if stored else "",
                kind=stored.kind if stored else "text",
                served_model=call.served_model if call else None,
                finish_reason=call.finish_reason if call else None,
                output_tokens=call.output_tokens if call else None,
                steps=trajectories.get(b.cache_key, ()),
            )
        )
    return groups


def loop_steps(*, session: Session, calls: dict[str, Call]) -> dict[str, tuple[SnapshotStep, ...]]:
    """Per agent-loop call among ``calls``, its steps as a file holds them (in order; a loop
    whose steps are not all answered in the store gets none)."""
    keyed = {
        key: [str(k) for k in call.request["steps"]]
        for key, call in calls.items()
        if isinstance(call.request, dict) and isinstance(call.request.get("steps"), list)
    }
    if not keyed:
        return {}
    # The session may be bound to a project, which links the loops, not their steps.
    rows = store.load_calls(
        session=session, keys=sorted({k for ks in keyed.values() for k in ks}), loop_steps=True
    )
    outputs = store.load_outputs(
        session=session,
        hashes=sorted({r.snapshot_hash for r in rows.values() if r.snapshot_hash}),
        loop_steps=True,
    )
    found: dict[str, tuple[SnapshotStep, ...]] = {}
    for key, keys in keyed.items():
        steps: list[SnapshotStep] = []
        for step in keys:
            row = rows.get(step)
            stored = outputs.get(row.snapshot_hash) if row and row.snapshot_hash else None
            if stored is None:
                break
            steps.append(SnapshotStep(cache_key=step, output=stored.text, kind=stored.kind))
        else:
            found[key] = tuple(steps)
    return found


def export(*, session: Session, root: Path, suite: Suite) -> ExportResult:
    """Write the accepted baselines of the suite's prompt versions to ``root``.

    Raises:
        SuiteError: a file would resolve outside ``root`` (a symlink in it); nothing more
            is written then.
    """
    result = ExportResult()
    for (prompt, version, target), snap in sorted(
        store_groups(session=session, suite=suite).items()
    ):
        reason = _not_in_suite(prompt, version, suite)
        if reason:
            result.skipped.append(f"{prompt}/{version} @ {target} ({reason})")
            continue
        path = files.accepted_path(root, prompt, version, target)
        files.check_inside(root, path)
        text = files.render(snap)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        files.write(path, snap, root=root)
        result.written.append(path)
    return result


def import_files(
    *,
    session: Session,
    root: Path,
    suite: Suite,
    accepted_by: str = "snapshots",
    redaction: RunRedaction | None = None,
    max_output_bytes: int = files.DEFAULT_MAX_OUTPUT_BYTES,
) -> ImportResult:
    """Load the accepted files under ``root`` into the store.

    The files win: a baseline of the store that differs is replaced. Files are written from
    the (redacted) store, but a hand-edited one may hold personal data: ``redaction`` applies
    the same redaction as a run before anything is stored. Every file is read and checked
    before anything is stored, so a refused file leaves the store as it was. A file of a
    prompt or version the suite does not have is not loaded: it is in ``skipped``.

    Raises:
        VersionEditedError: a file was accepted for a version whose content has changed
            since (the version was edited in place).
        SuiteError: a malformed file, one not where its prompt, version and target say, one
            outside ``root`` (a symlink), or an output over ``max_output_bytes``.
    """
    result = ImportResult()
    wanted: list[SnapshotFile] = []
    for path in files.iter_files(root, pending=False):
        snap = files.load(root, path, max_output_bytes=max_output_bytes)
        reason = _not_in_suite(snap.prompt, snap.version, suite)
        if reason:
            result.skipped.append(f"{files.show(root, path)} ({reason})")
            continue
        check_version(snap, suite, where=files.show(root, path))
        # A file without a hash predates them: it was accepted for the content of today.
        snap.version_hash = snap.version_hash or _version_hash(suite, snap.prompt, snap.version)
        wanted.append(snap)
    for snap in wanted:
        result.loaded += load_snapshot(
            session=session, snap=snap, accepted_by=accepted_by, redaction=redaction
        )
    return result


def check_version(snap: SnapshotFile, suite: Suite | None, *, where: str) -> None:
    """A snapshot of a released version whose content changed since means the version was
    edited. A draft's snapshot of an earlier content is that content's (``obsolete`` lists
    it): drafts may change."""
    if _is_draft(suite, snap.prompt, snap.version):
        return
    current = _version_hash(suite, snap.prompt, snap.version)
    if current and snap.version_hash and current != snap.version_hash:
        raise VersionEditedError(
            f"{snap.prompt} {snap.version} was edited in place: its accepted snapshots were "
            f"made from content {snap.version_hash[:12]}, the version now hashes to "
            f"{current[:12]}; released versions are immutable: add a new version instead",
            where=where,
        )


def load_snapshot(
    *,
    session: Session,
    snap: SnapshotFile,
    accepted_by: str,
    cases: set[str] | None = None,
    redaction: RunRedaction | None = None,
) -> int:
    """Store the samples of ``snap`` (only ``cases`` when given) as accepted baselines of
    the content ``snap.version_hash`` of its version."""
    texts: dict[str, str] = {}
    turns: set[str] = set()
    calls: list[Call] = []
    steps: list[Call] = []
    for case_id, samples in snap.cases.items():
        if cases is not None and case_id not in cases:
            continue
        for s in samples:
            call = _file_call(snap, case_id, s.sample, s.cache_key, s.output, s.kind, texts, turns)
            call.served_model = s.served_model
            call.finish_reason = s.finish_reason
            call.output_tokens = s.output_tokens
            if s.steps:
                # An agent loop: its steps are calls of their own, which the loop's call
                # names in order (as a run stores them), so a comparison sees the trajectory.
                call.request = {**call.request, "steps": [t.cache_key for t in s.steps]}
                steps.extend(
                    _file_call(snap, case_id, s.sample, t.cache_key, t.output, t.kind, texts, turns)
                    for t in s.steps
                )
            calls.append(call)
    if not calls:
        return 0
    if redaction is not None:
        rows, texts, turns = redaction.apply([*steps, *calls], texts, turns)
        steps, calls = rows[: len(steps)], rows[len(steps) :]
    known = store.answered_calls(session=session, keys=[c.cache_key for c in calls])
    fresh = [c for c in calls if c.cache_key not in known]
    for c in calls:
        # A loop's call stored from a file written before steps were: it learns them now.
        old = known.get(c.cache_key)
        if old is not None and "steps" in c.request and "steps" not in (old.request or {}):
            old.request = {**old.request, "steps": c.request["steps"]}
            session.add(old)
    # Answered calls and stored outputs are never replaced; a failed call of the same key is
    # replaced by the answer the file holds.
    store.save_results(session=session, calls=[*steps, *fresh], texts=texts, turns=turns)
    session.flush()
    slots = [
        store.BaselineSlot(c.prompt, c.version, snap.version_hash, c.target, c.case_id, c.sample)
        for c in calls
    ]
    store.accept_baselines(
        session=session,
        accepted=list(zip(slots, calls, strict=True)),
        accepted_by=accepted_by,
        replace=True,
    )
    return len(calls)


def _file_call(
    snap: SnapshotFile,
    case_id: str,
    sample: int,
    key: str,
    output: str,
    kind: str,
    texts: dict[str, str],
    turns: set[str],
) -> Call:
    """The answered call a file's output stands for (its text added to ``texts``)."""
    digest = snapshot_hash(output)
    texts[digest] = output
    if kind == "turn":
        turns.add(digest)
    return Call(
        cache_key=key,
        prompt=snap.prompt,
        version=snap.version,
        case_id=case_id,
        target=snap.target,
        sample=sample,
        request={"from_snapshot_file": True},
        status="ok",
        snapshot_hash=digest,
    )


def verify(
    *,
    session: Session,
    root: Path,
    suite: Suite,
    max_output_bytes: int = files.DEFAULT_MAX_OUTPUT_BYTES,
) -> VerifyResult:
    """Where the store's accepted baselines and the accepted files disagree."""
    result = VerifyResult(
        obsolete=obsolete(root=root, suite=suite, max_output_bytes=max_output_bytes)
    )
    in_store = store_groups(session=session, suite=suite)
    in_files: dict[GroupKey, SnapshotFile] = {}
    for path in files.iter_files(root, pending=False):
        snap = files.load(root, path, max_output_bytes=max_output_bytes)
        reason = _not_in_suite(snap.prompt, snap.version, suite)
        if reason:
            result.not_imported.append(f"{files.show(root, path)} ({reason})")
            continue
        in_files[(snap.prompt, snap.version, snap.target)] = snap
    for key in sorted(set(in_store) | set(in_files)):
        label = "/".join(key)
        if key not in in_files:
            result.only_in_store.append(label)
        elif key not in in_store:
            result.only_in_files.append(label)
        else:
            ours, theirs = _digest(in_store[key]), _digest(in_files[key])
            for case_id in sorted(set(ours) | set(theirs)):
                if ours.get(case_id) != theirs.get(case_id):
                    result.different.append(f"{label}: case {case_id}")
    return result


def obsolete(
    *, root: Path, suite: Suite, max_output_bytes: int = files.DEFAULT_MAX_OUTPUT_BYTES
) -> list[str]:
    """Files (or cases in them) that no prompt version, case or target references."""
    found: list[str] = []
    for pending in (False, True):
        for path in files.iter_files(root, pending=pending):
            snap = files.load(root, path, max_output_bytes=max_output_bytes)
            reason = _obsolete_reason(snap, suite)
            if reason:
                found.append(f"{files.show(root, path)} ({reason})")
                continue
            case_ids = {c.id for c in suite.prompts[snap.prompt].cases}
            found.extend(
                f"{files.show(root, path)}: case {case_id} (no such case)"
                for case_id in sorted(set(snap.cases) - case_ids)
            )
    return found


def remove_obsolete(
    *, root: Path, suite: Suite, max_output_bytes: int = files.DEFAULT_MAX_OUTPUT_BYTES
) -> list[str]:
    """Delete obsolete files and drop obsolete cases from the others; returns what went."""
    removed: list[str] = []
    # Every file read (and so checked) first: a refused one stops the clean-up before
    # anything is deleted.
    found = [
        (path, pending, files.load(root, path, max_output_bytes=max_output_bytes))
        for pending in (False, True)
        for path in files.iter_files(root, pending=pending)
    ]
    for path, pending, snap in found:
        if _obsolete_reason(snap, suite):
            files.remove(root, path)
            removed.append(files.show(root, path))
            continue
        case_ids = {c.id for c in suite.prompts[snap.prompt].cases}
        gone = sorted(set(snap.cases) - case_ids)
        if gone:
            for case_id in gone:
                del snap.cases[case_id]
                snap.notes.pop(case_id, None)
                removed.append(f"{files.show(root, path)}: case {case_id}")
            files.write(path, snap, root=root, pending=pending)
    return removed


def _not_in_suite(prompt: str, version: str, suite: Suite) -> str:
    found = suite.prompts.get(prompt)
    if found is None:
        return f"no prompt {prompt!r} in {suite.root.name}/"
    if version not in found.versions:
        return f"prompt {prompt} has no version {version!r}"
    return ""


def _obsolete_reason(snap: SnapshotFile, suite: Suite) -> str:
    prompt = suite.prompts.get(snap.prompt)
    if prompt is None:
        return "no such prompt; not imported"
    if snap.version not in prompt.versions:
        return "no such version; not imported"
    current = prompt.versions[snap.version].content_hash
    if _is_draft(suite, snap.prompt, snap.version) and snap.version_hash not in ("", current):
        return "accepted for an earlier content of the draft"
    targets = {parse_target(t).label for t in (prompt.pinned, *prompt.candidates)}
    if snap.target not in targets:
        return "target no longer pinned or a candidate"
    return ""


def _digest(snap: SnapshotFile) -> dict[str, list[tuple[int, str, tuple[str, ...]]]]:
    """Per case, each sample's output hash and (an agent loop's) steps' keys and hashes."""
    grouped: dict[str, list[tuple[int, str, tuple[str, ...]]]] = defaultdict(list)
    for case_id, samples in snap.cases.items():
        grouped[case_id] = sorted(
            (
                s.sample,
                snapshot_hash(s.output),
                tuple(f"{t.cache_key}:{snapshot_hash(t.output)}" for t in s.steps),
            )
            for s in samples
        )
    return grouped


def _is_draft(suite: Suite | None, prompt: str, version: str) -> bool:
    found = suite.prompts.get(prompt) if suite is not None else None
    pv = found.versions.get(version) if found is not None else None
    return pv is not None and not pv.released


def _version_hash(suite: Suite | None, prompt: str, version: str) -> str:
    if suite is None or prompt not in suite.prompts:
        return ""
    found = suite.prompts[prompt].versions.get(version)
    return found.content_hash if found else ""
