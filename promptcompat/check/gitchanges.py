"""What a pull request changed in the prompt suite, read from git.

The changes are taken between the merge base of ``REF`` and ``HEAD`` (what ``git diff
REF...HEAD`` shows) and the working tree, untracked files included, so the same check works in
CI on the PR's head commit and locally before committing. The suite as it was at the merge
base is read with ``git archive`` into a temporary directory and loaded like any suite.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from promptcompat.errors import ConfigError, PromptCompatError
from promptcompat.suite import Suite, load_suite
from promptcompat.suite.lockfile import LOCK_FILE

_TIMEOUT = 60


@dataclass
class GitChanges:
    ref: str
    merge_base: str
    files: list[str] = field(default_factory=list)
    """Changed paths relative to the prompts directory (POSIX)."""
    base_suite: Suite | None = None
    base_error: str | None = None
    """Why the suite at the merge base could not be loaded (then every touched prompt is new)."""

    @property
    def touched_prompts(self) -> set[str]:
        return {f.split("/", 1)[0] for f in self.files if "/" in f}

    @property
    def lock_changed(self) -> bool:
        return LOCK_FILE in self.files


def git(root: Path, *args: str) -> bytes:
    """Run a read-only git command in ``root``; its output, or a ConfigError naming it."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise ConfigError("git is not installed (check --base needs it)") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"git {' '.join(args)} took longer than {_TIMEOUT} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(
            f"git {' '.join(args)} failed: {message[-1] if message else done.returncode}",
            where=str(root),
        )
    return done.stdout


def changes_since(prompts_dir: Path, ref: str, *, workdir: Path) -> GitChanges:
    """The files under ``prompts_dir`` changed since the merge base of ``ref`` and HEAD.

    ``workdir`` receives the suite as it was at the merge base.

    Raises:
        ConfigError: not a git repository, an unknown ``ref``, git missing.
    """
    prompts_dir = prompts_dir.resolve()
    top = Path(git(prompts_dir, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    rel = prompts_dir.relative_to(top).as_posix() if prompts_dir != top else "."
    try:
        git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ConfigError:
        raise ConfigError(f"unknown git ref {ref!r} (fetch it first: fetch-depth 0)") from None
    base = git(top, "merge-base", ref, "HEAD").decode().strip()
    out = git(top, "diff", "--name-only", "--no-renames", "-z", base, "--", rel)
    untracked = git(top, "ls-files", "--others", "--exclude-standard", "-z", "--", rel)
    prefix = "" if rel == "." else rel + "/"
    names = {n for n in (out + untracked).decode("utf-8").split("\0") if n}
    changes = GitChanges(
        ref=ref,
        merge_base=base,
        files=sorted(n.removeprefix(prefix) for n in names if n.startswith(prefix)),
    )
    target = workdir / "prompts"
    target.mkdir(parents=True, exist_ok=True)
    archive = (
        git(top, "archive", "--format=tar", base, "--", rel) if _exists(top, base, rel) else b""
    )
    if not archive:
        changes.base_error = f"{rel} did not exist at {base[:12]}"
        return changes
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = []
        for member in tar.getmembers():
            if not member.name.startswith(prefix) and prefix:
                continue
            member.name = member.name.removeprefix(prefix)
            if member.name:
                members.append(member)
        tar.extractall(target, members=members, filter="data")
    try:
        changes.base_suite = load_suite(target)
    except PromptCompatError as exc:
        changes.base_error = str(exc)
    return changes


def _exists(top: Path, commit: str, rel: str) -> bool:
    try:
        git(top, "cat-file", "-e", f"{commit}:{'' if rel == '.' else rel}")
    except ConfigError:
        return False
    return True
