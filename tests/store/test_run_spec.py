"""``Run.spec`` is a typed model over a JSON column: specs stored before it still parse, and it
writes the shape they had. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import JSON, Engine, column, table, update
from sqlalchemy import select as sa_select

from promptcompat import store
from promptcompat.report import build_report
from promptcompat.runs import RunRequest, RunSpec
from promptcompat.store.tables.run_spec import ComparisonSpec, RetirementWarning, SideSpec

OLD = "openai:gpt-sim-2024-05-13?temperature=0"
NEW = "anthropic:claude-sim-4-20250514"
# A spec exactly as the releases before the typed model wrote it (runs/run.py's dict): every
# reader used ``.get`` with a default, and some keys came only when set.
TODAYS_SPEC: dict[str, Any] = {
    "request": {
        "prompts": ["prime_check"],
        "baseline": None,
        "candidate": NEW,
        "candidate_version": None,
        "samples": 2,
        "labels": {"release_event": "7", "release_kind": "release"},
        "aa": False,
    },
    "comparisons": [
        {
            "prompt": "prime_check",
            "direction": "FORWARD",
            "baseline": {"version": "v1", "target": OLD},
            "candidate": {"version": "v1", "target": NEW},
        },
        {
            "prompt": "prime_check",
            "direction": "AA",
            "baseline": {"version": "v1", "target": OLD},
            "candidate": {"version": "v1", "target": OLD, "resample": True},
        },
    ],
    "modes": {"prime_check": "FORWARD"},
    "redact": {"prime_check": {"ticket": "T-\\d+"}},
    "deprecations": [
        {
            "prompt": "prime_check",
            "target": OLD,
            "retires": "2026-01-31",
            "days_left": 12,
            "successor": "openai:gpt-sim-2025-06-01",
            "message": "prime_check is pinned to gpt-sim-2024-05-13, which retires in 12 days",
        }
    ],
    "queue": "q-old",
    "version_hashes": {"prime_check": {"v1": "ab" * 32}},
}
RAW_RUN = table("run", column("id"), column("spec", JSON))
"""The run table seen without the typed column: what the database holds."""


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    engine = store.open_engine(database_url)
    yield engine
    engine.dispose()


def stored_as(engine: Engine, spec: dict[str, Any]) -> str:
    """A run whose spec column holds ``spec`` as written by another version."""
    with store.session_scope(engine) as session:
        run_id = store.create_run(session=session, spec=RunSpec(), total_calls=0).id
        session.execute(update(RAW_RUN).where(RAW_RUN.c.id == run_id).values(spec=spec))
    return run_id


def raw_spec(engine: Engine, run_id: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(
            sa_select(RAW_RUN.c.spec).where(RAW_RUN.c.id == run_id)
        ).scalar_one()


def test_a_spec_of_todays_shape_parses_into_the_typed_model(db: Engine) -> None:
    run_id = stored_as(db, TODAYS_SPEC)
    with store.session_scope(db) as session:
        spec = store.get_run(session=session, run_id=run_id).spec
        report = build_report(session=session, run_id=run_id).to_json()
    assert spec.request == RunRequest(
        prompts=("prime_check",),
        candidate=NEW,
        samples=2,
        labels={"release_event": "7", "release_kind": "release"},
    )
    assert spec.comparisons[0] == ComparisonSpec(
        prompt="prime_check",
        direction="FORWARD",
        baseline=SideSpec(version="v1", target=OLD),
        candidate=SideSpec(version="v1", target=NEW),
    )
    assert spec.comparisons[1].candidate.resample and not spec.comparisons[1].baseline.resample
    assert spec.modes == {"prime_check": "FORWARD"}
    assert spec.redact == {"prime_check": {"ticket": "T-\\d+"}}
    assert spec.deprecations == (RetirementWarning.model_validate(TODAYS_SPEC["deprecations"][0]),)
    assert spec.queue == "q-old"
    assert spec.version_hashes == {"prime_check": {"v1": "ab" * 32}}
    assert spec.execution is None  # not recorded then
    # What readers made of it then, they make of it now: the report's comparisons and warnings.
    assert [
        {k: c[k] for k in ("prompt", "direction", "baseline", "candidate")}
        for c in report["comparisons"]
    ] == TODAYS_SPEC["comparisons"]
    assert report["deprecations"] == TODAYS_SPEC["deprecations"]
    assert report["run"]["samples"] == 2


@pytest.mark.parametrize(
    "stored",
    [
        {},
        {"comparisons": [], "modes": {}, "request": {"samples": 1}},
        {"request": {"prompts": ["a"], "samples": 3}, "a key of a later release": {"x": 1}},
    ],
)
def test_older_or_newer_specs_take_defaults_for_missing_keys(
    db: Engine, stored: dict[str, Any]
) -> None:
    run_id = stored_as(db, stored)
    with store.session_scope(db) as session:
        spec = store.get_run(session=session, run_id=run_id).spec
        report = build_report(session=session, run_id=run_id).to_json()
    request = stored.get("request", {})
    assert spec.request.samples == request.get("samples", 1) == report["run"]["samples"]
    assert spec.request.prompts == tuple(request.get("prompts", ()))
    assert spec.comparisons == () and spec.deprecations == () and spec.version_hashes == {}
    assert spec.queue is None and spec.execution is None and spec.redact == {}
    assert report["comparisons"] == [] and report["deprecations"] == []


def test_a_spec_is_written_in_the_shape_earlier_releases_read(db: Engine) -> None:
    spec = RunSpec.model_validate(TODAYS_SPEC)
    with store.session_scope(db) as session:
        run_id = store.create_run(session=session, spec=spec, total_calls=0).id
    assert raw_spec(db, run_id) == TODAYS_SPEC  # nothing added, nothing left out
    bare = RunSpec.model_validate({**TODAYS_SPEC, "deprecations": [], "queue": None})
    with store.session_scope(db) as session:
        bare_id = store.create_run(session=session, spec=bare, total_calls=0).id
    # Optional entries only when set, as before ("queue" and "deprecations" were).
    assert set(raw_spec(db, bare_id)) == {
        "request",
        "comparisons",
        "modes",
        "redact",
        "version_hashes",
    }
    with store.session_scope(db) as session:
        assert store.get_run(session=session, run_id=bare_id).spec == bare


def test_the_request_digest_is_unchanged() -> None:
    """Idempotency: the hash of a request stored by an earlier release must match the same
    request submitted again now (it was the dataclass's ``asdict``, JSON-encoded)."""
    request = RunRequest(prompts=("a", "b"), candidate="openai:m", samples=3, labels={"k": "v"})
    then = {
        "prompts": ["a", "b"],
        "baseline": None,
        "candidate": "openai:m",
        "candidate_version": None,
        "samples": 3,
        "labels": {"k": "v"},
        "aa": False,
    }
    blob = json.dumps(then, sort_keys=True, separators=(",", ":"))
    assert request.digest() == hashlib.sha256(blob.encode()).hexdigest()
