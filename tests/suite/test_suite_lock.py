"""Released versions are immutable: prompts.lock records them, load_suite enforces it."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from clirun import cli
from suite_samples import VERSION_YAML, MakePrompt

from promptcompat.errors import SuiteError, VersionEditedError
from promptcompat.suite import load_suite, lock_versions


def test_editing_a_released_version_is_refused(prompts_dir: Path, tmp_path: Path) -> None:
    path = prompts_dir / "extract_contact" / "versions" / "v1.yaml"
    recorded = json.loads((prompts_dir / "prompts.lock").read_text())["extract_contact"]["v1"]
    path.write_text(path.read_text().replace("sales team", "support team"))
    with pytest.raises(VersionEditedError) as caught:
        load_suite(prompts_dir)
    error = caught.value
    assert error.where == "prompts/extract_contact/versions/v1.yaml"
    assert recorded in error.message
    assert "create a new version file" in error.message

    draft = shutil.copytree(prompts_dir, tmp_path / "draft" / "prompts")
    (draft / "prompts.lock").unlink()
    current = load_suite(draft).prompts["extract_contact"].versions["v1"].content_hash
    assert current != recorded
    assert current in error.message


def test_layout_only_edit_of_a_released_version_is_fine(prompts_dir: Path) -> None:
    path = prompts_dir / "prime_check" / "versions" / "v1.yaml"
    path.write_text(
        "# Same content, other layout: keys reordered, quoted, block lists.\n"
        "messages:\n"
        "  - content: 'Is {{ n }} a prime number? Think step by step, then end your answer"
        " with [Yes] or [No].'\n"
        "    role: user\n"
        "variables:\n"
        "  - n\n"
    )
    assert load_suite(prompts_dir).prompts["prime_check"].versions["v1"].lines == (3,)


def test_deleting_a_released_version_is_refused(prompts_dir: Path) -> None:
    (prompts_dir / "triage_ticket" / "versions" / "v2.yaml").unlink()
    with pytest.raises(VersionEditedError, match=r"released version v2 .* file is gone") as caught:
        load_suite(prompts_dir)
    assert caught.value.where == "prompts/triage_ticket/versions/v2.yaml"


def test_deleting_a_released_prompt_is_refused(prompts_dir: Path) -> None:
    shutil.rmtree(prompts_dir / "prime_check")
    with pytest.raises(VersionEditedError, match="prompt folder is gone") as caught:
        load_suite(prompts_dir)
    assert caught.value.where == "prompts/prime_check"


def test_lock_versions_adds_only_new_versions(prompts_dir: Path) -> None:
    lock_path = prompts_dir / "prompts.lock"
    before = json.loads(lock_path.read_text())
    v3 = prompts_dir / "extract_contact" / "versions" / "v3.yaml"
    v3.write_text((prompts_dir / "extract_contact" / "versions" / "v1.yaml").read_text() + "\n")
    v3.write_text(v3.read_text().replace("sales team", "sales and partnerships team"))

    suite = load_suite(prompts_dir)
    assert suite.prompts["extract_contact"].unlocked == ("v3",)
    assert lock_versions(suite) == [("extract_contact", "v3")]

    after = json.loads(lock_path.read_text())
    expected = suite.prompts["extract_contact"].versions["v3"].content_hash
    assert after == {**before, "extract_contact": {**before["extract_contact"], "v3": expected}}
    text = lock_path.read_bytes().decode()
    assert text == json.dumps(after, indent=2, sort_keys=True) + "\n"

    reloaded = load_suite(prompts_dir)
    assert reloaded.prompts["extract_contact"].unlocked == ()
    assert lock_versions(reloaded) == []
    assert lock_path.read_text() == text
    assert not list(prompts_dir.glob(".prompts.lock.*")), "no temporary file left behind"


def test_unlocked_draft_may_change_until_locked(make_prompt: MakePrompt) -> None:
    root = make_prompt()
    assert not (root / "prompts.lock").exists()
    assert load_suite(root).prompts["hello"].unlocked == ("v1",)
    (root / "hello" / "versions" / "v1.yaml").write_text(VERSION_YAML.replace("hello", "hi"))
    suite = load_suite(root)
    assert lock_versions(suite) == [("hello", "v1")]
    (root / "hello" / "versions" / "v1.yaml").write_text(VERSION_YAML)
    with pytest.raises(VersionEditedError):
        load_suite(root)


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ('{"hello": {"v1": "abc"', "prompts/prompts.lock:1", "invalid JSON"),
        ('["hello"]', "prompts/prompts.lock", "expected"),
        ('{"hello": {"v1": "not-a-digest"}}', "prompts/prompts.lock", "not a sha256"),
    ],
)
def test_malformed_lock_file(make_prompt: MakePrompt, text: str, where: str, says: str) -> None:
    root = make_prompt()
    (root / "prompts.lock").write_text(text)
    with pytest.raises(SuiteError, match=says) as caught:
        load_suite(root)
    assert caught.value.where == where


def test_lock_writes_a_file_others_can_read(prompts_dir: Path, tmp_path: Path) -> None:
    # prompts.lock is committed like code: the mode of any new file (0666 less the umask), not
    # the 0600 a temporary file is made with.
    (prompts_dir / "prompts.lock").unlink()
    env = {**os.environ, "PROMPTCOMPAT_PROMPTS_DIR": str(prompts_dir)}
    env["PROMPTCOMPAT_HOME"] = str(tmp_path / "home")
    old = os.umask(0o022)  # the CLI subprocess inherits it
    try:
        done = cli("lock", env=env, cwd=tmp_path)
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stdout + done.stderr
    assert stat.S_IMODE((prompts_dir / "prompts.lock").stat().st_mode) == 0o644
    assert json.loads((prompts_dir / "prompts.lock").read_text("utf-8"))
