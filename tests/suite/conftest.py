"""Fixtures for suite tests: a minimal valid prompt written to real files, ready to break."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_samples import PROMPT_YAML, VERSION_YAML, MakePrompt


@pytest.fixture
def make_prompt(tmp_path: Path) -> MakePrompt:
    """Write ``prompts/<name>/`` with a valid prompt; keyword arguments replace files.

    ``prompt`` and ``versions`` ({"v1": text}) replace the defaults; ``files`` adds
    other files by relative path. Returns the suite root (``.../prompts``).
    """

    def make(
        name: str = "hello",
        *,
        prompt: str = PROMPT_YAML,
        versions: dict[str, str] | None = None,
        files: dict[str, str] | None = None,
    ) -> Path:
        root = tmp_path / "prompts"
        folder = root / name
        (folder / "versions").mkdir(parents=True, exist_ok=True)
        (folder / "prompt.yaml").write_text(prompt, encoding="utf-8")
        for version, text in ({"v1": VERSION_YAML} if versions is None else versions).items():
            (folder / "versions" / f"{version}.yaml").write_text(text, encoding="utf-8")
        for relative, text in (files or {}).items():
            (folder / relative).write_text(text, encoding="utf-8")
        return root

    return make
