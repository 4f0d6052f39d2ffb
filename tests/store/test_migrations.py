"""Migrations are atomic and one process at a time (issue 14.10), on SQLite and PostgreSQL.

Two first runs on a fresh store used to race (one exited 2 with ``table prompt_version
already exists``), and a first run interrupted midway left a store on which every command,
``migrate`` included, failed the same way. The processes here are the real command line
(``db_faults.py`` adds crashes and pauses at the database driver, nothing else).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from clirun import cli
from pgcluster import wait_until
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from promptcompat import store
from promptcompat.store.tables.core import PromptVersionRecord, Run

FAULTS = Path(__file__).with_name("db_faults.py")
HEAD = f"schema at revision {store.SCHEMA_REVISION}"
# What a migrating process sends first: the lock (fixed code) or the schema (the old race).
MIGRATION_START = re.compile(r"^(BEGIN IMMEDIATE|SELECT pg_advisory_xact_lock|CREATE TABLE)")
STAMP = re.compile(r"^(INSERT INTO|UPDATE) alembic_version")


def env_for(url: str, home: Path, **faults: str) -> dict[str, str]:
    return {
        **os.environ,
        "PROMPTCOMPAT_DATABASE_URL": url,
        "PROMPTCOMPAT_HOME": str(home),
        **faults,
    }


def start_faulty(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(FAULTS), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def tables(url: str) -> set[str]:
    engine = store.open_engine(url, migrate_schema=False)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_two_first_runs_at_once_both_succeed(
    empty_database: Callable[[], str], tmp_path: Path
) -> None:
    url = empty_database()
    go, first_trace, second_trace = tmp_path / "go", tmp_path / "a.log", tmp_path / "b.log"
    # The first stops midway through creating the schema ("run" is its second table) ...
    first = start_faulty(
        "migrate",
        env=env_for(
            url,
            tmp_path / "a",
            FAULT_TRACE=str(first_trace),
            FAULT_PAUSE_AT=r"^CREATE TABLE run\b",
            FAULT_GO=str(go),
        ),
        cwd=tmp_path,
    )
    try:
        wait_until(
            lambda: any(line.startswith("CREATE TABLE run") for line in lines(first_trace)),
            timeout=60,
            what="the first process to be midway through migrating",
        )
        # ... while the second starts migrating the same empty store.
        second = start_faulty(
            "migrate", env=env_for(url, tmp_path / "b", FAULT_TRACE=str(second_trace)), cwd=tmp_path
        )
        wait_until(
            lambda: (
                second.poll() is not None
                or any(MIGRATION_START.match(line) for line in lines(second_trace))
            ),
            timeout=60,
            what="the second process to start migrating",
        )
    finally:
        go.touch()
    for proc in (first, second):
        code, output = finish(proc)
        assert code == 0, output
        assert HEAD in output


def test_a_first_run_killed_at_any_migration_step_leaves_a_store_that_works(
    empty_database: Callable[[], str], tmp_path: Path
) -> None:
    # The statements of a whole first migration, as the command sends them.
    clean_url, trace = empty_database(), tmp_path / "clean.log"
    code, output = finish(
        start_faulty(
            "migrate", env=env_for(clean_url, tmp_path, FAULT_TRACE=str(trace)), cwd=tmp_path
        )
    )
    assert code == 0, output
    statements = lines(trace)
    stamps = [n for n, line in enumerate(statements, 1) if STAMP.match(line)]
    # One per version (counted from the files: a branch may number past a revision that
    # another branch adds in parallel).
    assert len(stamps) == len(list((store.MIGRATIONS / "versions").glob("[0-9]*.py")))
    # alembic_version first, then the first version's: prompt_version, run, ...
    creates = [n for n, line in enumerate(statements, 1) if line.startswith("CREATE TABLE")]
    # The migration's own commit: the first after the last stamp (the command commits again
    # later, e.g. when it ends runs whose process is gone, over a schema complete by then).
    commit = min(n for n, line in enumerate(statements, 1) if line == "COMMIT" and n > stamps[-1])
    # Killed midway through the first version's tables, just before the last version's stamp
    # (all DDL done), and just before the commit. And the Ctrl-C amid the first
    # tables. The versions run in one transaction, so a kill before any earlier stamp leaves
    # what these do; every point costs a whole migration.
    kill_points = sorted({creates[2], stamps[-1], commit})
    points = [*(str(n) for n in kill_points), f"{creates[2]}/INT"]
    schema = tables(clean_url)

    # One store per point; one process forks a command per point (imports paid once).
    urls = {point: empty_database() for point in points}
    plan = ";".join(f"{point}={url}" for point, url in urls.items())
    code, output = finish(
        start_faulty("migrate", env=env_for(clean_url, tmp_path, FAULT_KILLS=plan), cwd=tmp_path)
    )
    assert code == 0, output
    statuses = dict(line.split() for line in output.splitlines() if line[:1].isdigit())
    for point, url in urls.items():
        where = statements[int(point.partition("/")[0]) - 1]
        interrupted = point.endswith("/INT")
        expected = 130 if interrupted else -signal.SIGKILL  # the CLI's exit on Ctrl-C
        assert statuses[point] == str(expected), (point, where, output)
        assert tables(url) == set(), where  # the schema is where it was: nowhere

    # The first run the issue describes (interrupted amid the first tables), then the command.
    again = cli("migrate", env=env_for(urls[f"{creates[2]}/INT"], tmp_path), cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert HEAD in again.stdout
    for point, url in urls.items():  # every other command starts by opening the store
        store.open_engine(url).dispose()
        assert tables(url) == schema, point


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("with_data", [False, True], ids=["empty", "with-data"])
def test_a_store_an_older_release_left_half_migrated(
    empty_database: Callable[[], str], tmp_path: Path, with_data: bool
) -> None:
    # What an interrupted first run of a release without atomic migrations left behind: some
    # of the first version's tables and an empty alembic_version.
    url = empty_database()
    engine = store.open_engine(url, migrate_schema=False)
    SQLModel.metadata.create_all(
        engine,
        tables=[PromptVersionRecord.__table__, Run.__table__],  # type: ignore[list-item]
    )
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    if with_data:
        with store.session_scope(engine) as session:
            session.add(
                PromptVersionRecord(
                    prompt="p", version="v1", content_hash="h", variables=[], messages=[]
                )
            )
    engine.dispose()

    result = cli("migrate", env=env_for(url, tmp_path), cwd=tmp_path)

    if not with_data:  # nothing was ever stored: the migration starts over
        assert result.returncode == 0, result.stderr
        assert HEAD in result.stdout
        return
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "tables with data (prompt_version) but no schema revision" in message
    assert "Traceback" not in result.stderr
    engine = store.open_engine(url, migrate_schema=False)
    with engine.connect() as connection:  # refused, not dropped
        rows = connection.execute(text("SELECT prompt, version FROM prompt_version")).all()
        assert [tuple(row) for row in rows] == [("p", "v1")]
    engine.dispose()
