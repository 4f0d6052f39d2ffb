"""Redaction must not change what the example suite finds: same verdicts, same findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from inline import run_inline
from sqlalchemy import Engine
from sqlmodel import select

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.runs import RunRequest
from promptcompat.store.tables.core import CaseResult, FindingRecord
from promptcompat.suite import Suite

Outcome = set[tuple[str, str, str, str, tuple[tuple[str, str | None, str], ...]]]


def outcome(engine: Engine, suite: Suite, settings: Settings) -> tuple[Outcome, list[str]]:
    run_id, _ = run_inline(engine=engine, suite=suite, request=RunRequest(), settings=settings)
    with store.session_scope(engine) as session:
        rows = session.exec(select(CaseResult).where(CaseResult.run_id == run_id)).all()
        found: dict[str, list[tuple[str, str | None, str]]] = {}
        for f in session.exec(select(FindingRecord).where(FindingRecord.run_id == run_id)):
            if f.rule == "budget.latency":
                continue  # measured wall time: differs between any two runs
            found.setdefault(f.case_result_id, []).append((f.rule, f.path, f.severity))
        diffs = [r.text_diff for r in rows]
    result = {
        (r.prompt, r.case_id, r.direction, r.verdict, tuple(sorted(found.get(r.id, []))))
        for r in rows
    }
    return result, diffs


def test_example_suite_verdicts_and_findings_are_unchanged_with_redaction(
    suite: Suite, settings: Settings, tmp_path: Path
) -> None:
    assert settings.redact_detectors  # on by default
    redacted, diffs = outcome(store.open_engine(f"sqlite:///{tmp_path / 'on.db'}"), suite, settings)
    plain_settings = settings.model_copy(update={"redact_detectors": []})
    plain, plain_diffs = outcome(
        store.open_engine(f"sqlite:///{tmp_path / 'off.db'}"), suite, plain_settings
    )
    assert len(redacted) > 100
    assert redacted == plain
    # The diffs are the same diffs, over placeholders: as many, and as many lines.
    assert sorted(d.count("\n") for d in diffs) == sorted(d.count("\n") for d in plain_diffs)
    assert any("<EMAIL_1>" in d for d in diffs)
    assert not any("@brightwave.io" in d for d in diffs)
    assert any("@brightwave.io" in d for d in plain_diffs)


def test_unknown_detector_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from pydantic import ValidationError

    from promptcompat.errors import ConfigError
    from promptcompat.store.redaction import enabled_detectors

    monkeypatch.setenv("PROMPTCOMPAT_REDACT_DETECTORS", '["email", "names"]')
    with pytest.raises(ValidationError, match=r"unknown detector\(s\) names"):
        Settings()
    # A value set past validation is still refused where redaction starts.
    odd = settings.model_copy(update={"redact_detectors": ["names"]})
    with pytest.raises(ConfigError, match="unknown redaction detector") as info:
        enabled_detectors(odd)
    assert info.value.where == "PROMPTCOMPAT_REDACT_DETECTORS"
