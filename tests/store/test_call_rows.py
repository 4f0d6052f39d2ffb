"""``CallRow`` mirrors the ``Call`` table by hand (for speed): keep the two from drifting apart."""

from __future__ import annotations

from promptcompat.store.call_rows import CallRow
from promptcompat.store.tables.core import Call


def test_call_row_has_the_columns_and_defaults_of_the_call_table() -> None:
    values = {
        "cache_key": "k",
        "prompt": "p",
        "version": "v1",
        "case_id": "c",
        "target": "openai:m",
        "sample": 0,
    }
    row = CallRow(**values).to_row()
    model = Call(**values).model_dump(exclude={"id"})
    assert set(row) == set(model)
    assert {k: v for k, v in row.items() if k != "created_at"} == {
        k: v for k, v in model.items() if k != "created_at"
    }
