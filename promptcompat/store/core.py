"""The snapshot store: engine, migrations and the functions that read and write it.

Every function takes a ``session`` and leaves the commit to the caller unless it says so.
"""

from __future__ import annotations

import atexit
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    URL,
    Connection,
    Engine,
    event,
    func,
    inspect,
    literal,
    make_url,
    text,
    update,
)
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlmodel import Session, col, create_engine, select

from promptcompat.errors import StoreError, StoreUnavailableError, VersionEditedError
from promptcompat.store import projects, reserve
from promptcompat.store import runs as _runs
from promptcompat.store.call_rows import CALL_COLUMNS, CallRow
from promptcompat.store.sql import chunks, upsert
from promptcompat.store.tables.core import (
    Baseline,
    Call,
    CaseResult,
    FindingRecord,
    PromptVersionRecord,
    Run,
    RunCall,
    Snapshot,
    utcnow,
)
from promptcompat.suite import PromptVersion
from promptcompat.suite.turns import TEXT, TURN, OutputKind

# The run lifecycle lives in store_runs.py; callers keep using store.<function>.
abort_finalize = _runs.abort_finalize
add_provider_calls = _runs.add_provider_calls
begin_finalize = _runs.begin_finalize
clear_results = _runs.clear_results
create_run = _runs.create_run
delete_run = _runs.delete_run
find_run = _runs.find_run
finish_run = _runs.finish_run
get_run = _runs.get_run
latest_runs = _runs.latest_runs
recover_orphans = _runs.recover_orphans
refresh_progress = _runs.refresh_progress
renew_lease = _runs.renew_lease
run_by_idempotency_key = _runs.run_by_idempotency_key
scrub_finished_plans = _runs.scrub_finished_plans
sent_calls = _runs.sent_calls
set_status = _runs.set_status

MIGRATIONS = Path(__file__).with_name("migrations")
SCHEMA_REVISION = "0012"
"""The newest migration's revision id (a test keeps it equal to Alembic's head)."""


def open_engine(url: str, *, migrate_schema: bool = True, recover: bool = True) -> Engine:
    """An engine for ``url``, with the schema brought to the latest migration.

    ``postgresql://`` (and ``postgres://``) URLs go through psycopg 3, the driver of the
    ``postgres`` extra, as ``postgresql+psycopg://`` does.

    ``recover``: first end the runs whose process is gone (``store_runs.recover_orphans``), so
    whichever command opens the store next finds them ``failed``, not ``running`` for ever.
    """
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        parsed = _with_driver(make_url(url))
        server = parsed.get_backend_name() != "sqlite"
        # A pooled connection a server restart closed is replaced on checkout instead of
        # failing the request that drew it (one round trip per checkout).
        engine = create_engine(parsed, pool_pre_ping=server)
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(f"cannot open the database: {exc}", where=_safe_url(url)) from None
    except ImportError as exc:
        raise StoreError(
            f"cannot open the database: its driver is not installed ({exc.name}); for "
            "PostgreSQL: pip install 'promptcompat[postgres]'",
            where=_safe_url(url),
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        _sqlite_engines.add(engine)
        reserve.keep(engine)
    else:
        event.listen(engine, "handle_error", _unavailable_error(_safe_url(url)))
    if migrate_schema:
        migrate(engine)
    if migrate_schema and recover:  # only a schema at the newest revision has the owner
        try:
            with session_scope(engine) as session:
                _runs.recover_orphans(session=session)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the store's runs: {exc}", where=_safe_url(url)) from None
    return engine


def _with_driver(url: URL) -> URL:
    # SQLAlchemy's default PostgreSQL driver is psycopg2, which we do not install; the
    # ``postgres://`` spelling (Heroku, many PaaS) it refuses outright.
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _unavailable_error(where: str) -> Callable[[ExceptionContext], BaseException | None]:
    def translate(context: ExceptionContext) -> BaseException | None:
        # A server that is down or restarting is a condition to wait out, not a failure of
        # the operation: StoreUnavailableError is a 503 with Retry-After in the API and a
        # retry in the worker. Pre-ping failures are SQLAlchemy's to handle (it reconnects);
        # Ctrl-C amid a statement drops the connection too, but stays a KeyboardInterrupt
        # (only a driver's error is wrapped in a DBAPIError).
        error = context.sqlalchemy_exception
        if context.is_pre_ping or not isinstance(error, DBAPIError):
            return None
        connecting = context.connection is None and isinstance(error, OperationalError)
        if not (context.is_disconnect or connecting):
            return None
        reason = str(context.original_exception).strip().splitlines()
        detail = reason[0] if reason else type(context.original_exception).__name__
        return StoreUnavailableError(f"the database is unreachable: {detail}", where=where)

    return translate


_sqlite_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


@atexit.register
def _close_sqlite_engines() -> None:
    # Closing the last connection moves SQLite's write-ahead log into the database file, so
    # the file alone is the whole store again (a copy of it misses nothing). The console
    # script skips the interpreter's teardown, which used to close them (promptcompat.cli.entry).
    for engine in list(_sqlite_engines):
        engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the API, a progress poll) see a run while it writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Freed bytes are zeroed, so redacted or purged data does not linger in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _safe_url(url: str) -> str:
    # Never echo a password that is part of a database URL.
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database url>"


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty or unversioned database."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


MIGRATION_LOCK = 0x70636D67
"""PostgreSQL advisory lock key held while migrating (any constant; ours is "pcmg")."""


def migrate(engine: Engine) -> None:
    """Apply Alembic migrations up to head (a no-op, without loading Alembic, when current).

    Atomic and one process at a time: every pending version's DDL and its stamp apply in one
    transaction, so an interrupted migration leaves the schema where it was; and a second
    process (two first runs at once, a worker starting beside ``migrate``) waits for the
    first's transaction, then finds the schema current.
    """
    if schema_revision(engine) == SCHEMA_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with _migration_transaction(engine) as connection:
            _drop_an_interrupted_first_migration(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"migrating the database failed: {exc}") from None


@contextmanager
def _migration_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the store's migration lock."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":  # PostgreSQL's DDL is transactional
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            yield connection
        return
    # pysqlite opens a transaction only before INSERT/UPDATE/DELETE, so DDL would commit
    # statement by statement. As in SQLAlchemy's pysqlite "transactional DDL" recipe, the
    # driver's own transaction handling is turned off for this connection (AUTOCOMMIT) and we
    # begin one ourselves; IMMEDIATE takes the write lock now, so a second process waits
    # (busy_timeout) instead of finding the database empty too.
    with engine.connect() as connection:
        own = connection.execution_options(isolation_level="AUTOCOMMIT")
        with own.begin():  # commits (or rolls back) the driver's transaction begun below
            own.exec_driver_sql("BEGIN IMMEDIATE")
            yield own


def _drop_an_interrupted_first_migration(connection: Connection) -> None:
    """Start over a first migration that an older promptcompat left half done.

    Before migrations were atomic, a first run interrupted (or racing another) left some of
    the tables and no revision, on which every command failed ("table ... already exists").
    Such a store cannot hold data (no command got past migrating), so its tables are dropped
    and the migration runs from the start; one that holds rows is refused, never dropped.
    """
    if _revision(connection) is not None:
        return
    from sqlmodel import SQLModel

    from promptcompat.store.tables import review as models_review  # noqa: F401
    from promptcompat.store.tables import watch as models_watch  # noqa: F401

    present = set(inspect(connection).get_table_names())
    ours = [table for table in SQLModel.metadata.sorted_tables if table.name in present]
    if not ours:
        return
    for table in ours:
        if connection.execute(sa_select(literal(1)).select_from(table).limit(1)).first():
            raise StoreError(
                f"the database has promptcompat tables with data ({table.name}) but no schema "
                "revision (alembic_version); it was not made by promptcompat's migrations: "
                "restore a backup or point PROMPTCOMPAT_DATABASE_URL at another database"
            )
    SQLModel.metadata.drop_all(connection, tables=ours)
    connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    revision: str | None = connection.execute(
        text("SELECT version_num FROM alembic_version")
    ).scalar()
    return revision


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# --- prompt versions -------------------------------------------------------------------------


def record_prompt_versions(*, session: Session, versions: Iterable[PromptVersion]) -> None:
    """Remember each content of each version replayed, under its hash.

    A draft (not in ``prompts.lock``) may change freely: each content it is replayed with is
    kept beside the earlier ones. A version replayed released is immutable from then on, even
    without the lock file: another content of it is an error.

    Raises:
        VersionEditedError: the version was replayed released with another content.
    """
    for pv in versions:
        records = session.exec(
            select(PromptVersionRecord).where(
                PromptVersionRecord.prompt == pv.prompt, PromptVersionRecord.version == pv.version
            )
        ).all()
        released = next((r for r in records if r.released), None)
        if released is not None and released.content_hash != pv.content_hash:
            raise VersionEditedError(
                f"version {pv.version} of {pv.prompt} was replayed as released with content "
                f"{released.content_hash[:12]} and now has {pv.content_hash[:12]}; released "
                "versions are immutable: add a new version instead",
                where=str(pv.path),
            )
        same = next((r for r in records if r.content_hash == pv.content_hash), None)
        if same is None:
            # An upsert: two runs recording the same new content at once both succeed.
            statement = upsert(session, PromptVersionRecord).on_conflict_do_nothing(
                index_elements=["prompt", "version", "content_hash"]
            )
            session.execute(
                statement,
                {
                    "prompt": pv.prompt,
                    "version": pv.version,
                    "content_hash": pv.content_hash,
                    "variables": list(pv.variables),
                    "messages": [{"role": m.role, "content": m.content} for m in pv.messages],
                    "first_seen": utcnow(),
                    "released": pv.released,
                },
            )
        if pv.released and (same is None or not same.released):
            session.execute(
                update(PromptVersionRecord)
                .where(
                    col(PromptVersionRecord.prompt) == pv.prompt,
                    col(PromptVersionRecord.version) == pv.version,
                    col(PromptVersionRecord.content_hash) == pv.content_hash,
                )
                .values(released=True)
            )


def planned_version_hash(*, session: Session, run: Run, prompt: str, version: str) -> str:
    """The content of ``prompt`` ``version`` that ``run`` replayed, by its hash.

    Raises:
        StoreError: a run planned before the store kept draft contents apart, of a version
            replayed with several contents since: which one it replayed is not known.
    """
    planned = run.spec.version_hashes.get(prompt, {}).get(version)
    if planned:
        return str(planned)
    # Runs planned before migration 0008: the version had a single recorded content then.
    known = set(
        session.exec(
            select(PromptVersionRecord.content_hash).where(
                PromptVersionRecord.prompt == prompt, PromptVersionRecord.version == version
            )
        )
    )
    if len(known) != 1:
        raise StoreError(
            f"run {run.id[:8]} does not record which content of {prompt} {version} it replayed, "
            "and the store has several: replay it in a new run",
            where=f"{prompt}/{version}",
        )
    return known.pop()


# --- calls and snapshots ---------------------------------------------------------------------


def answered_calls(*, session: Session, keys: Sequence[str]) -> dict[str, Call]:
    """Calls already answered successfully, by cache key: these cost no provider call."""
    found: dict[str, Call] = {}
    for chunk in chunks(keys):
        for call in session.exec(
            select(Call).where(Call.cache_key.in_(chunk), Call.status == "ok")  # type: ignore[attr-defined]
        ):
            found[call.cache_key] = call
    return found


def answered_keys(*, session: Session, keys: Sequence[str]) -> set[str]:
    """The keys of ``answered_calls`` alone: no row objects built (the warm path's check)."""
    found: set[str] = set()
    for chunk in chunks(keys):
        found.update(
            session.exec(
                select(Call.cache_key).where(
                    col(Call.cache_key).in_(chunk), col(Call.status) == "ok"
                )
            )
        )
    return found


def save_calls(
    *,
    session: Session,
    run_id: str,
    calls: Sequence[Call | CallRow],
    texts: dict[str, str],
    turns: AbstractSet[str] = frozenset(),
) -> None:
    """Store new call results and their snapshots (``save_results``), and link them to the
    run."""
    save_results(session=session, calls=calls, texts=texts, turns=turns)
    link_calls(session=session, run_id=run_id, keys=[c.cache_key for c in calls], cached=False)


def save_results(
    *,
    session: Session,
    calls: Sequence[Call | CallRow],
    texts: dict[str, str],
    turns: AbstractSet[str] = frozenset(),
) -> None:
    """Store call results and their snapshots.

    ``texts`` maps snapshot hash to output text; ``turns`` are the hashes among them whose
    text is a turn document (an answer with tool calls or a refusal). Both writes are upserts,
    because several workers write at once: a snapshot already stored is kept
    (content-addressed), and a result replaces an earlier failed one for its key but never an
    answered one (a late duplicate from a worker whose lease was taken over must not
    overwrite the answer).
    """
    if texts:
        snapshots = [
            {
                "content_hash": h,
                "text": t,
                "size": len(t),
                "created_at": utcnow(),
                "kind": TURN if h in turns else TEXT,
            }
            for h, t in texts.items()
        ]
        statement = upsert(session, Snapshot).on_conflict_do_nothing(
            index_elements=["content_hash"]
        )
        for part in chunks(snapshots):
            session.execute(statement, list(part))
    if calls:
        rows = [
            c.to_row() if isinstance(c, CallRow) else c.model_dump(exclude={"id"}) for c in calls
        ]
        insert = upsert(session, Call)
        replaced = {name: insert.excluded[name] for name in rows[0] if name != "cache_key"}
        statement = insert.on_conflict_do_update(
            index_elements=["cache_key"], set_=replaced, where=col(Call.status) != "ok"
        )
        for part in chunks(rows):
            session.execute(statement, list(part))


def link_calls(*, session: Session, run_id: str, keys: Iterable[str], cached: bool) -> None:
    """Record that the run used these calls; linking a call twice is a no-op."""
    rows = [{"run_id": run_id, "cache_key": key, "cached": cached} for key in keys]
    if not rows:
        return
    statement = upsert(session, RunCall).on_conflict_do_nothing()
    for part in chunks(rows):
        session.execute(statement, list(part))


def linked_keys(*, session: Session, run_id: str, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the run already has a result for (answered, cached or failed)."""
    found: set[str] = set()
    for part in chunks(keys):
        found.update(
            session.exec(
                select(RunCall.cache_key).where(
                    RunCall.run_id == run_id,
                    col(RunCall.cache_key).in_(part),
                )
            )
        )
    return found


def load_calls(
    *, session: Session, keys: Sequence[str], loop_steps: bool = False
) -> dict[str, Call]:
    """``loop_steps``: ``keys`` are the steps a visible agent loop names (``LOOP_STEPS``)."""
    found: dict[str, Call] = {}
    options = {projects.LOOP_STEPS: True} if loop_steps else {}
    for chunk in chunks(keys):
        query = select(Call).where(col(Call.cache_key).in_(chunk)).execution_options(**options)
        for call in session.exec(query):
            found[call.cache_key] = call
    return found


def result_rows(
    *, session: Session, keys: Sequence[str], loop_steps: bool = False
) -> dict[str, CallRow]:
    """The calls of ``keys`` as plain rows without their requests: what a run's evaluation
    reads. Columns, not ``Call`` objects: building those cost about 0.15 ms each.
    ``loop_steps``: ``keys`` are the steps a visible agent loop names (``LOOP_STEPS``)."""
    columns = [getattr(Call, name) for name in CALL_COLUMNS if name != "request"]
    options = {projects.LOOP_STEPS: True} if loop_steps else {}
    found: dict[str, CallRow] = {}
    for part in chunks(keys):
        query = sa_select(*columns).where(col(Call.cache_key).in_(part))
        for row in session.execute(query.execution_options(**options)):
            found[row.cache_key] = CallRow(**row._mapping)
    return found


def load_texts(*, session: Session, hashes: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in chunks(hashes):
        query = sa_select(col(Snapshot.content_hash), col(Snapshot.text)).where(
            col(Snapshot.content_hash).in_(part)
        )
        found.update((content_hash, text) for content_hash, text in session.execute(query))
    return found


def loop_steps(*, session: Session, keys: Sequence[str]) -> dict[str, list[str]]:
    """Of ``keys``, the agent loops' calls and the keys of their steps, in order."""
    found: dict[str, list[str]] = {}
    for part in chunks(keys):
        query = sa_select(col(Call.cache_key), col(Call.request)).where(
            col(Call.cache_key).in_(part)
        )
        for key, request in session.execute(query):
            steps = request.get("steps") if isinstance(request, dict) else None
            if isinstance(steps, list):
                found[key] = [str(s) for s in steps]
    return found


class StoredOutput(NamedTuple):
    text: str
    kind: OutputKind


def load_outputs(
    *, session: Session, hashes: Sequence[str], loop_steps: bool = False
) -> dict[str, StoredOutput]:
    """Like ``load_texts``, with each output's kind (text, or a turn document).
    ``loop_steps``: the outputs of the steps a visible agent loop names (``LOOP_STEPS``)."""
    found: dict[str, StoredOutput] = {}
    options = {projects.LOOP_STEPS: True} if loop_steps else {}
    for part in chunks(hashes):
        query = (
            sa_select(col(Snapshot.content_hash), col(Snapshot.text), col(Snapshot.kind))
            .where(col(Snapshot.content_hash).in_(part))
            .execution_options(**options)
        )
        found.update((h, StoredOutput(text, kind)) for h, text, kind in session.execute(query))
    return found


# --- baselines -------------------------------------------------------------------------------


_BASELINE_SLOT = (
    "project",
    "prompt",
    "version",
    "version_hash",
    "target",
    "case_id",
    "sample",
)
"""The columns of ``uq_baseline_project_case``, the conflict target of the upserts."""


@dataclass(frozen=True, order=True)
class BaselineSlot:
    """Where a baseline belongs: a case and sample of one content of a prompt version, on one
    target (in the session's project).

    Never taken from a call row: identical renders (two cases with the same variables, a
    version that differs only by a template comment) share one call, whose row names only one
    of them."""

    prompt: str
    version: str
    version_hash: str
    """``PromptVersion.content_hash``: a draft's baselines are its content's, not its name's."""
    target: str
    case_id: str
    sample: int

    @classmethod
    def of(cls, row: Baseline) -> BaselineSlot:
        return cls(row.prompt, row.version, row.version_hash, row.target, row.case_id, row.sample)


def baselines_for(
    *, session: Session, prompt: str, version: str, version_hash: str, target: str
) -> dict[tuple[str, int], Baseline]:
    """The accepted baselines of one content of a prompt version on ``target``, by (case,
    sample)."""
    rows = session.exec(
        select(Baseline).where(
            Baseline.project == projects.project_of(session),
            Baseline.prompt == prompt,
            Baseline.version == version,
            Baseline.version_hash == version_hash,
            Baseline.target == target,
        )
    )
    return {(b.case_id, b.sample): b for b in rows}


def accept_baselines(
    *,
    session: Session,
    accepted: Sequence[tuple[BaselineSlot, Call | CallRow]],
    accepted_by: str,
    replace: bool,
) -> dict[BaselineSlot, Baseline]:
    """Make each call's output the accepted baseline of its slot, in the project the session
    is bound to (``default`` when unbound; projects.py); returns the baselines now stored.

    One upsert, so runs evaluating at once agree: with ``replace`` (a reviewer's or the
    snapshot files' decision) the call replaces what was accepted; without it (a first run
    defining what works) an already accepted baseline stays, and the stored one is returned,
    whoever inserted it.

    Raises:
        StoreError: a failed call: a failure cannot be a baseline.
    """
    project = projects.project_of(session)
    rows: dict[BaselineSlot, dict[str, Any]] = {}
    for slot, call in accepted:
        if call.snapshot_hash is None:
            raise StoreError(
                f"call {call.cache_key[:12]} failed; a failure cannot be a baseline",
                where=f"{slot.prompt}/{slot.version}/{slot.case_id}",
            )
        rows[slot] = {
            "project": project,
            "prompt": slot.prompt,
            "version": slot.version,
            "version_hash": slot.version_hash,
            "target": slot.target,
            "case_id": slot.case_id,
            "sample": slot.sample,
            "cache_key": call.cache_key,
            "snapshot_hash": call.snapshot_hash,
            "accepted_at": utcnow(),
            "accepted_by": accepted_by,
        }
    if not rows:
        return {}
    insert = upsert(session, Baseline)
    if replace:
        changed = ("cache_key", "snapshot_hash", "accepted_at", "accepted_by")
        statement = insert.on_conflict_do_update(
            index_elements=_BASELINE_SLOT, set_={name: insert.excluded[name] for name in changed}
        )
    else:
        statement = insert.on_conflict_do_nothing(index_elements=_BASELINE_SLOT)
    # In one order, so that on PostgreSQL two transactions inserting overlapping slots wait
    # for each other instead of deadlocking.
    values = [rows[slot] for slot in sorted(rows)]
    for batch in chunks(values):
        session.execute(statement, list(batch))
    # Read back: the rows as stored (another run's, when it accepted first), refreshed in the
    # session's identity map where an upsert changed them underneath.
    found: dict[BaselineSlot, Baseline] = {}
    by_side: dict[tuple[str, str, str, str], set[str]] = {}
    for slot in rows:
        by_side.setdefault((slot.prompt, slot.version, slot.version_hash, slot.target), set()).add(
            slot.case_id
        )
    for (prompt, version, version_hash, target), case_ids in by_side.items():
        for part in chunks(sorted(case_ids)):
            query = (
                select(Baseline)
                .where(
                    Baseline.project == project,
                    Baseline.prompt == prompt,
                    Baseline.version == version,
                    Baseline.version_hash == version_hash,
                    Baseline.target == target,
                    col(Baseline.case_id).in_(part),
                )
                .execution_options(populate_existing=True)
            )
            for baseline in session.exec(query):
                slot = BaselineSlot.of(baseline)
                if slot in rows:
                    found[slot] = baseline
    return found


def accept_baseline(
    *, session: Session, slot: BaselineSlot, call: Call | CallRow, accepted_by: str
) -> Baseline:
    """Make ``call``'s output the accepted baseline of ``slot``, replacing an earlier one
    (``accept_baselines`` with ``replace``)."""
    return accept_baselines(
        session=session, accepted=[(slot, call)], accepted_by=accepted_by, replace=True
    )[slot]


# --- results ---------------------------------------------------------------------------------


def save_case_results(
    *, session: Session, results: Sequence[dict[str, Any]], findings: Sequence[dict[str, Any]]
) -> None:
    """Insert case results and their findings, given as rows with every column but findings'
    ``id``. Plain rows, not model objects: a 10,000-case run spent 3 s building and flushing
    those."""
    tables = (CaseResult.__table__, FindingRecord.__table__)  # type: ignore[attr-defined]
    for table, rows in zip(tables, (results, findings), strict=True):
        # A column the rows leave out would be stored NULL (model defaults are not applied);
        # only an autoincrement id is the database's to fill.
        required = {c.name for c in table.columns if c is not table.autoincrement_column}
        if rows and (missing := required - rows[0].keys()):
            raise ValueError(f"{table.name} rows lack columns {sorted(missing)}")
        for part in chunks(rows):
            session.execute(sa_insert(table), list(part))


def case_results(*, session: Session, run_id: str) -> Sequence[CaseResult]:
    return session.exec(
        select(CaseResult)
        .where(CaseResult.run_id == run_id)
        .order_by(col(CaseResult.comparison), col(CaseResult.seq))
    ).all()


def findings_for_run(*, session: Session, run_id: str) -> Sequence[FindingRecord]:
    return session.exec(select(FindingRecord).where(FindingRecord.run_id == run_id)).all()


def run_call_stats(*, session: Session, run_id: str) -> dict[str, Any]:
    """Token, cost and latency totals per (prompt, version, target) over a run's calls."""
    rows = session.execute(
        sa_select(
            col(Call.prompt),
            col(Call.version),
            col(Call.target),
            func.count(),
            func.sum(col(Call.input_tokens)),
            func.sum(col(Call.output_tokens)),
            func.sum(col(Call.cost_usd)),
            func.avg(col(Call.latency_ms)),
        )
        .join(RunCall, col(RunCall.cache_key) == col(Call.cache_key))
        .where(col(RunCall.run_id) == run_id)
        .group_by(Call.prompt, Call.version, Call.target)
    ).all()
    return {
        f"{p}|{v}|{t}": {
            "calls": n,
            "input_tokens": int(i or 0),
            "output_tokens": int(o or 0),
            "cost_usd": float(c or 0.0),
            "avg_latency_ms": float(lat or 0.0),
        }
        for p, v, t, n, i, o, c, lat in rows
    }
