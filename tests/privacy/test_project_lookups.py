"""Shared calls and outputs belong to a project through its runs and baselines (projects.py):
checked row by row, and through indexes, so a bound session's lookups do not grow with the
store's history."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from promptcompat import store
from promptcompat.runs import RunSpec
from promptcompat.store import projects
from promptcompat.store.call_rows import CallRow


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    engine = store.open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with store.session_scope(engine) as session:
        for project, key in (("alpha", "A"), ("beta", "B")):
            run = store.create_run(session=session, spec=RunSpec(), total_calls=1, project=project)
            store.save_calls(
                session=session, run_id=run.id, calls=[_call(key)], texts={f"h{key}": key}
            )
        # C is alpha's only through a baseline: the run that made it is gone.
        store.save_results(session=session, calls=[_call("C")], texts={"hC": "C"})
        projects.bind(session, "alpha")
        slot = store.BaselineSlot("p", "v1", "h-v1", "openai:m", "C", 0)
        store.accept_baseline(session=session, slot=slot, call=_call("C"), accepted_by="test")
    return engine


def _call(key: str) -> CallRow:
    return CallRow(
        cache_key=key,
        prompt="p",
        version="v1",
        case_id=key,
        target="openai:m",
        sample=0,
        snapshot_hash=f"h{key}",
    )


@pytest.mark.parametrize(
    ("project", "visible"), [("alpha", {"A", "C"}), ("beta", {"B"}), ("gamma", set())]
)
def test_a_project_sees_the_calls_and_outputs_of_its_runs_and_baselines(
    db: Engine, project: str, visible: set[str]
) -> None:
    with store.session_scope(db) as session:
        projects.bind(session, project)
        calls = store.load_calls(session=session, keys=["A", "B", "C"])
        texts = store.load_texts(session=session, hashes=["hA", "hB", "hC"])
    assert set(calls) == visible
    assert set(texts) == {f"h{key}" for key in visible}


def test_bound_lookups_of_calls_and_outputs_go_by_key(db: Engine) -> None:
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    with store.session_scope(db) as session:
        projects.bind(session, "alpha")
        event.listen(db, "before_cursor_execute", capture)
        try:
            store.load_calls(session=session, keys=["A"])
            store.load_texts(session=session, hashes=["hA"])
        finally:
            event.remove(db, "before_cursor_execute", capture)
    assert len(statements) == 2
    with db.connect() as conn:
        for statement, params in statements:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            plan = [row[3] for row in rows]
            assert plan and not [step for step in plan if step.startswith("SCAN")], plan
            # Each shared row is looked up by its own key, never by reading every link or
            # baseline of the project (what grew with history).
            per_project = [
                step
                for step in plan
                if re.match(r"SEARCH (run_call|call|baseline)\b", step)
                and not re.search(r"\((cache_key|snapshot_hash)=|AND cache_key=", step)
            ]
            assert not per_project, plan
