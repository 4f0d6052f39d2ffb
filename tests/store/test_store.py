from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import select

from promptcompat import store
from promptcompat.errors import NotFoundError, StoreError, VersionEditedError
from promptcompat.replay import snapshot_hash
from promptcompat.runs import RunSpec
from promptcompat.store.tables.core import Call, Snapshot
from promptcompat.suite import Message, PromptVersion


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    engine = store.open_engine(database_url)
    yield engine
    engine.dispose()


def version(content: str) -> PromptVersion:
    return PromptVersion(
        prompt="p",
        version="v1",
        messages=(Message("user", content),),
        variables=(),
        content_hash=content.encode().hex(),
        path=Path("prompts/p/versions/v1.yaml"),
        released=True,  # in prompts.lock (drafts may change: tests/store/test_baselines.py)
    )


def test_migrations_create_the_schema_and_are_idempotent(
    empty_database: Callable[[], str],
) -> None:
    url = empty_database()
    db = store.open_engine(url)
    tables = set(inspect(db).get_table_names())
    assert {
        "run",
        "call",
        "snapshot",
        "baseline",
        "case_result",
        "finding",
        "run_call",
        "prompt_version",
        "alembic_version",
    } <= tables
    again = store.open_engine(url)
    with again.connect() as conn:
        assert (
            conn.execute(text("select version_num from alembic_version")).scalar()
            == store.SCHEMA_REVISION
        )
    db.dispose()
    again.dispose()


def test_an_edited_version_is_refused_and_the_first_hash_kept(db: Engine) -> None:
    with store.session_scope(db) as session:
        store.record_prompt_versions(session=session, versions=[version("hello")])
    with pytest.raises(VersionEditedError) as info, store.session_scope(db) as session:
        store.record_prompt_versions(session=session, versions=[version("hello, edited")])
    assert "prompts/p/versions/v1.yaml" in str(info.value)
    with store.session_scope(db) as session:  # the same content is still fine
        store.record_prompt_versions(session=session, versions=[version("hello")])


def call(key: str, *, text_: str | None) -> Call:
    return Call(
        cache_key=key,
        prompt="p",
        version="v1",
        case_id="c1",
        target="openai:m",
        sample=0,
        status="ok" if text_ is not None else "error",
        snapshot_hash=snapshot_hash(text_) if text_ is not None else None,
        error_reason=None if text_ is not None else "transient",
    )


def test_snapshots_are_stored_once_and_failed_calls_are_replaced(db: Engine) -> None:
    with store.session_scope(db) as session:
        run = store.create_run(session=session, spec=RunSpec(), total_calls=3)
        store.save_calls(session=session, run_id=run.id, calls=[call("k2", text_=None)], texts={})
    same = "the same answer"
    with store.session_scope(db) as session:
        store.save_calls(
            session=session,
            run_id=run.id,
            calls=[call("k1", text_=same), call("k2", text_=same)],
            texts={snapshot_hash(same): same},
        )
    with store.session_scope(db) as session:
        assert len(session.exec(select(Snapshot)).all()) == 1
        rows = session.exec(select(Call)).all()
        assert sorted(r.cache_key for r in rows) == ["k1", "k2"]
        assert all(r.status == "ok" for r in rows)
        assert set(store.answered_calls(session=session, keys=["k1", "k2", "k3"])) == {"k1", "k2"}


def test_runs_are_found_by_unique_prefix(db: Engine) -> None:
    with store.session_scope(db) as session:
        run = store.create_run(session=session, spec=RunSpec(), total_calls=0)
    with store.session_scope(db) as session:
        assert store.get_run(session=session, run_id=run.id[:8]).id == run.id
        with pytest.raises(NotFoundError):
            store.get_run(session=session, run_id="nope")


def test_unopenable_database_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        store.open_engine("notadialect://x")


def test_schema_revision_constant_is_alembic_head(db: Engine) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(store.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == store.SCHEMA_REVISION
    assert store.schema_revision(db) == store.SCHEMA_REVISION


def test_case_result_rows_must_carry_every_column(db: Engine) -> None:
    # Rows bypass the models' defaults, so a column left out must fail, not be stored NULL.
    with store.session_scope(db) as session, pytest.raises(ValueError, match="'seq'"):
        store.save_case_results(session=session, results=[{"id": "r", "run_id": "x"}], findings=[])
