"""Acceptance: personal data seeded in cases is nowhere in what promptcompat writes.

The privacy suite (corpus.py) is replayed through the simulator, which echoes the data into
outputs; afterwards the bytes of the database (and its -wal), every file under the home
(reports), the captured logs and the webhook payloads are searched for every seeded value.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from corpus import sentinels
from inline import run_inline
from sqlalchemy import Engine
from sqlmodel import select

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.privacy.redact import PLACEHOLDER
from promptcompat.report import build_report, write_report
from promptcompat.runs import RunRequest
from promptcompat.store.tables.core import Call, CaseResult, FindingRecord, PlannedCallRecord
from promptcompat.store.tables.watch import ReleaseEvent, ReleaseRun
from promptcompat.suite import load_suite
from promptcompat.watch.notify import build_payload, slack_message


def _leaks(blob: bytes) -> list[str]:
    return [s for s in sentinels() if s.encode() in blob or s.lower().encode() in blob]


def test_nothing_seeded_is_found_in_the_store_files_logs_or_webhooks(
    privacy_engine: Engine,
    privacy_settings: Settings,
    privacy_prompts: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="promptcompat")
    run_id, _ = run_inline(
        engine=privacy_engine,
        suite=load_suite(privacy_prompts),
        request=RunRequest(),
        settings=privacy_settings,
    )
    with store.session_scope(privacy_engine) as session:
        report = build_report(session=session, run_id=run_id)
        calls = list(session.exec(select(Call)))
        texts = store.load_texts(
            session=session, hashes=[c.snapshot_hash for c in calls if c.snapshot_hash]
        )
        planned = list(session.exec(select(PlannedCallRecord)))
        findings = list(session.exec(select(FindingRecord)))
    assert report.run.status == "completed"
    written = write_report(report, privacy_settings.home / "reports")
    # The simulator did echo the data (so outputs were redacted, not merely clean) ...
    echoed = {m.group(1) for t in texts.values() for m in PLACEHOLDER.finditer(t)}
    assert echoed >= {"EMAIL", "PHONE", "CARD", "IBAN", "IP", "SECRET", "CUSTOMER_ID"}
    assert any('"email": "<EMAIL_1>"' in t for t in texts.values())
    # ... requests kept their redacted form, and the plan no longer holds the real one.
    assert all("<" in json.dumps(c.request) for c in calls)
    assert all(p.messages == [] for p in planned)
    assert {f.rule for f in findings} >= {"privacy.pii_introduced"}

    event = ReleaseEvent(id=1, kind="release", account="openai", model_id="gpt-sim-2025-06-01")
    event.created_at = datetime.now(UTC)
    release = ReleaseRun(
        event_id=1,
        baseline="openai:gpt-sim-2024-05-13?temperature=0",
        candidate="openai:gpt-sim-2025-06-01?temperature=0",
        prompts=["echo"],
    )
    payload = build_payload(
        report=report, event=event, release_run=release, settings=privacy_settings
    )
    webhooks = json.dumps([payload, slack_message(payload)]).encode()

    privacy_engine.dispose()
    db = Path(privacy_settings.resolved_database_url().removeprefix("sqlite:///"))
    files = [p for p in privacy_settings.home.rglob("*") if p.is_file()]
    assert db in files and written in files
    for path in files:
        assert _leaks(path.read_bytes()) == [], path
    assert _leaks(caplog.text.encode()) == []
    assert _leaks(webhooks) == []
    assert b"<EMAIL_1>" in db.read_bytes() + b"".join(
        p.read_bytes() for p in files if p.name.endswith("-wal")
    )


def test_a_candidate_newly_emitting_an_email_gets_the_pii_finding(
    privacy_engine: Engine, privacy_settings: Settings, privacy_prompts: Path
) -> None:
    run_id, _ = run_inline(
        engine=privacy_engine,
        suite=load_suite(privacy_prompts),
        request=RunRequest(prompts=("contacts",)),
        settings=privacy_settings,
    )
    with store.session_scope(privacy_engine) as session:
        report = build_report(session=session, run_id=run_id).to_json()
        rows = list(session.exec(select(CaseResult).where(CaseResult.run_id == run_id)))
        findings = list(session.exec(select(FindingRecord).where(FindingRecord.run_id == run_id)))
    (case,) = [c for c in report["cases"] if c["direction"] == "BACKWARD"]
    assert case["verdict"] == "BREAKING"
    pii = [f for f in findings if f.rule == "privacy.pii_introduced"]
    assert len(pii) == 1 and pii[0].severity == "ERR"
    assert "EMAIL" in pii[0].message and "@" not in pii[0].message
    assert "<EMAIL_1>" in rows[0].text_diff and "brightwave.io" not in rows[0].text_diff


def test_same_value_is_the_same_placeholder_in_baseline_and_candidate(
    privacy_engine: Engine, privacy_settings: Settings, privacy_prompts: Path
) -> None:
    """FORWARD on the echo prompt: a paraphrasing candidate quotes the same placeholder, so
    the email itself is no change and no PII finding."""
    run_id, _ = run_inline(
        engine=privacy_engine,
        suite=load_suite(privacy_prompts),
        request=RunRequest(prompts=("echo",), candidate="openai:sim-paraphrase?temperature=0"),
        settings=privacy_settings,
    )
    with store.session_scope(privacy_engine) as session:
        findings = list(session.exec(select(FindingRecord).where(FindingRecord.run_id == run_id)))
        rows = list(session.exec(select(CaseResult).where(CaseResult.run_id == run_id)))
    assert rows and not [f for f in findings if f.rule == "privacy.pii_introduced"]
    email = next(r for r in rows if r.case_id == "email")
    assert "<EMAIL_1>" in email.text_diff
