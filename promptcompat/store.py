"""The snapshot store: engine, migrations and the functions that read and write it.

Every function takes a ``session`` and leaves the commit to the caller unless it says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, create_engine, select

from promptcompat.errors import NotFoundError, StoreError, VersionEditedError
from promptcompat.models import (
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

MIGRATIONS = Path(__file__).with_name("migrations")
SCHEMA_REVISION = "0001"
"""The newest migration's revision id (a test keeps it equal to Alembic's head)."""
_CHUNK = 500  # SQLite caps bound parameters; stay well below.


def open_engine(url: str, *, migrate_schema: bool = True) -> Engine:
    """An engine for ``url``, with the schema brought to the latest migration."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(f"cannot open the database: {exc}", where=_safe_url(url)) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if migrate_schema:
        migrate(engine)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the API, a progress poll) see a run while it writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
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


def migrate(engine: Engine) -> None:
    """Apply Alembic migrations up to head (a no-op, without loading Alembic, when current)."""
    if schema_revision(engine) == SCHEMA_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"migrating the database failed: {exc}") from None


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


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# --- prompt versions -------------------------------------------------------------------------


def record_prompt_versions(*, session: Session, versions: Iterable[PromptVersion]) -> None:
    """Remember each version's hash; a version whose content changed since is an error."""
    for pv in versions:
        known = session.exec(
            select(PromptVersionRecord).where(
                PromptVersionRecord.prompt == pv.prompt, PromptVersionRecord.version == pv.version
            )
        ).first()
        if known is None:
            session.add(
                PromptVersionRecord(
                    prompt=pv.prompt,
                    version=pv.version,
                    content_hash=pv.content_hash,
                    variables=list(pv.variables),
                    messages=[{"role": m.role, "content": m.content} for m in pv.messages],
                )
            )
        elif known.content_hash != pv.content_hash:
            raise VersionEditedError(
                f"version {pv.version} of {pv.prompt} was already replayed with content "
                f"{known.content_hash[:12]} and now has {pv.content_hash[:12]}; released versions "
                "are immutable: add a new version instead",
                where=str(pv.path),
            )


# --- runs ------------------------------------------------------------------------------------


def create_run(*, session: Session, spec: dict[str, Any], total_calls: int) -> Run:
    run = Run(spec=spec, total_calls=total_calls, status="running")
    session.add(run)
    session.flush()
    return run


def get_run(*, session: Session, run_id: str) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        # Allow an unambiguous prefix, as git does for commits.
        matches = session.exec(select(Run).where(Run.id.startswith(run_id))).all()
        if len(matches) == 1:
            return matches[0]
        raise NotFoundError(f"no run {run_id!r}")
    return run


def latest_runs(*, session: Session, limit: int = 20) -> Sequence[Run]:
    return session.exec(select(Run).order_by(Run.created_at.desc()).limit(limit)).all()  # type: ignore[attr-defined]


def add_progress(
    *, session: Session, run_id: str, done: int, cached: int, provider_calls: int, errors: int
) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id)  # type: ignore[arg-type]
        .values(
            done_calls=Run.done_calls + done,
            cached_calls=Run.cached_calls + cached,
            provider_calls=Run.provider_calls + provider_calls,
            error_calls=Run.error_calls + errors,
        )
    )


def finish_run(*, session: Session, run_id: str, status: str, error: str | None = None) -> None:
    run = get_run(session=session, run_id=run_id)
    run.status = status
    run.error = error
    run.finished_at = utcnow()
    session.add(run)


# --- calls and snapshots ---------------------------------------------------------------------


def answered_calls(*, session: Session, keys: Sequence[str]) -> dict[str, Call]:
    """Calls already answered successfully, by cache key: these cost no provider call."""
    found: dict[str, Call] = {}
    for chunk in _chunks(keys):
        for call in session.exec(
            select(Call).where(Call.cache_key.in_(chunk), Call.status == "ok")  # type: ignore[attr-defined]
        ):
            found[call.cache_key] = call
    return found


def save_calls(
    *, session: Session, run_id: str, calls: Sequence[Call], texts: dict[str, str]
) -> None:
    """Store new call results (replacing an earlier failed attempt) and their snapshots.

    ``texts`` maps snapshot hash to output text; a snapshot already stored is not written again.
    """
    hashes = list(texts)
    known: set[str] = set()
    for chunk in _chunks(hashes):
        known.update(
            session.exec(select(Snapshot.content_hash).where(Snapshot.content_hash.in_(chunk)))  # type: ignore[attr-defined]
        )
    for content_hash, output in texts.items():
        if content_hash not in known:
            session.add(Snapshot(content_hash=content_hash, text=output, size=len(output)))
    keys = [c.cache_key for c in calls]
    previous: dict[str, Call] = {}
    for chunk in _chunks(keys):
        for old in session.exec(select(Call).where(Call.cache_key.in_(chunk))):  # type: ignore[attr-defined]
            previous[old.cache_key] = old
    for call in calls:
        prior = previous.get(call.cache_key)
        if prior is not None:
            # A failed call is retried by a later run; keep one row per key.
            for field in Call.model_fields:
                if field not in ("id", "cache_key"):
                    setattr(prior, field, getattr(call, field))
            session.add(prior)
        else:
            session.add(call)
    link_calls(session=session, run_id=run_id, keys=keys, cached=False)


def link_calls(*, session: Session, run_id: str, keys: Iterable[str], cached: bool) -> None:
    """Record that the run used these calls; linking a call twice is a no-op."""
    rows = [{"run_id": run_id, "cache_key": key, "cached": cached} for key in keys]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(RunCall).on_conflict_do_nothing()
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(RunCall).on_conflict_do_nothing()
    else:  # pragma: no cover - other databases are not supported targets
        raise StoreError(f"unsupported database dialect {dialect!r}")
    for start in range(0, len(rows), _CHUNK):
        session.execute(statement, rows[start : start + _CHUNK])


def load_calls(*, session: Session, keys: Sequence[str]) -> dict[str, Call]:
    found: dict[str, Call] = {}
    for chunk in _chunks(keys):
        for call in session.exec(select(Call).where(Call.cache_key.in_(chunk))):  # type: ignore[attr-defined]
            found[call.cache_key] = call
    return found


def load_texts(*, session: Session, hashes: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(hashes):
        for snap in session.exec(select(Snapshot).where(Snapshot.content_hash.in_(chunk))):  # type: ignore[attr-defined]
            found[snap.content_hash] = snap.text
    return found


# --- baselines -------------------------------------------------------------------------------


def baselines_for(
    *, session: Session, prompt: str, version: str, target: str
) -> dict[tuple[str, int], Baseline]:
    rows = session.exec(
        select(Baseline).where(
            Baseline.prompt == prompt, Baseline.version == version, Baseline.target == target
        )
    )
    return {(b.case_id, b.sample): b for b in rows}


def accept_baseline(*, session: Session, call: Call, accepted_by: str) -> Baseline:
    """Make ``call``'s output the accepted baseline for its case and sample."""
    if call.snapshot_hash is None:
        raise StoreError(f"call {call.cache_key[:12]} failed; a failure cannot be a baseline")
    existing = session.exec(
        select(Baseline).where(
            Baseline.prompt == call.prompt,
            Baseline.version == call.version,
            Baseline.target == call.target,
            Baseline.case_id == call.case_id,
            Baseline.sample == call.sample,
        )
    ).first()
    baseline = existing or Baseline(
        prompt=call.prompt,
        version=call.version,
        target=call.target,
        case_id=call.case_id,
        sample=call.sample,
        cache_key=call.cache_key,
        snapshot_hash=call.snapshot_hash,
    )
    baseline.cache_key = call.cache_key
    baseline.snapshot_hash = call.snapshot_hash
    baseline.accepted_by = accepted_by
    baseline.accepted_at = utcnow()
    session.add(baseline)
    return baseline


# --- results ---------------------------------------------------------------------------------


def save_case_result(
    *, session: Session, result: CaseResult, findings: Sequence[FindingRecord]
) -> None:
    session.add(result)
    for finding in findings:
        finding.case_result_id = result.id
        finding.run_id = result.run_id
        session.add(finding)


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
