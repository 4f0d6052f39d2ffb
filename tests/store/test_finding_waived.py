"""A waiver is a field of the stored finding (``finding.waived``), not a prefix of its message."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlmodel import select

from promptcompat import store
from promptcompat.report.run_report import finding_view
from promptcompat.store.tables.core import CaseResult, FindingRecord, Run


def _finding(run_id: str, result_id: str, message: str, *, waived: bool) -> FindingRecord:
    return FindingRecord(
        case_result_id=result_id,
        run_id=run_id,
        rule="json.field_removed",
        severity="INFO",
        path="$.name",
        message=message,
        waived=waived,
    )


def test_the_report_reads_the_field_and_the_migration_fills_it_from_old_messages(
    db_url: str,
) -> None:
    engine = store.open_engine(db_url)
    with store.session_scope(engine) as session:
        run = Run()
        session.add(run)
        session.flush()
        result = CaseResult(
            run_id=run.id,
            comparison=0,
            prompt="p",
            direction="FORWARD",
            baseline_version="v1",
            baseline_target="openai:a",
            candidate_version="v1",
            candidate_target="openai:b",
            case_id="c1",
            verdict="COMPATIBLE",
        )
        session.add(result)
        session.flush()
        # The field decides, whatever the message says.
        session.add(_finding(run.id, result.id, "a message in other words", waived=True))
        session.add(_finding(run.id, result.id, "waived until, said a model", waived=False))
        # A row as stored before the field: the message said it.
        session.add(
            _finding(
                run.id, result.id, "waived until 2027-01-31 (CRM-231); was ERR: x", waived=False
            )
        )
    with store.session_scope(engine) as session:
        rows = session.exec(select(FindingRecord).order_by(FindingRecord.id)).all()  # type: ignore[arg-type]
        assert [finding_view(r).waived for r in rows] == [True, False, False]
        assert [finding_view(r).status == "waived" for r in rows] == [True, False, False]

    # Down to the revision before the field and up again: rows get it from their message (the
    # first row's message never said it, so only what was stored before the field is restored).
    config = Config()
    config.set_main_option("script_location", str(store.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    store.migrate(engine)
    with store.session_scope(engine) as session:
        rows = session.exec(select(FindingRecord).order_by(FindingRecord.id)).all()  # type: ignore[arg-type]
        assert [r.waived for r in rows] == [False, False, True]
    engine.dispose()
