"""How often one embedded run of the example suite goes to the store.

Counted on the engine (SQLAlchemy's ``begin`` event: one per transaction) while ``run`` starts
the run inline on the simulator. Before the run starters kept their plan in memory, a cold run
opened 16 transactions and read the planned calls back twice (to execute them, and to
evaluate them) after writing them; now it writes them once and never reads them back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

from promptcompat.config import Settings
from promptcompat.runs import InlineStarter, RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.suite import Suite

COLD_TRANSACTIONS = 9
"""Measured 8: write the run and its plan; mark it running; link the cache's answers and
claim the rest; write the answers (two batches: 256 calls, then the rest with the progress
recount); take the evaluation; evaluate; count and finish. Bound: measured + 1."""
WARM_TRANSACTIONS = 7
"""Measured 6: as cold, without answers to write (all from the cache). Bound: measured + 1."""


@dataclass
class Traffic:
    transactions: int = 0
    planned_call: Counter[str] = field(default_factory=Counter)
    """Statements on the planned calls' table, by their first word (INSERT, SELECT...)."""


@contextmanager
def traffic(engine: Engine) -> Iterator[Traffic]:
    seen = Traffic()

    def begin(_: Any) -> None:
        seen.transactions += 1

    def statement(*args: Any) -> None:
        sql = str(args[2]).lower()
        if "planned_call" in sql:
            seen.planned_call[sql.split()[0]] += 1

    event.listen(engine, "begin", begin)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "begin", begin)
        event.remove(engine, "before_cursor_execute", statement)


def test_an_embedded_run_writes_its_plan_once_in_few_transactions(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    # Answers are written every flush interval: a long one makes their batches (and so the
    # count) independent of the machine's speed. Every answer still lands in one final batch.
    steady = settings.model_copy(update={"flush_interval": 600.0})
    starter = InlineStarter(engine, steady)

    with traffic(engine) as cold:
        first = starter.start(suite=suite, request=RunRequest())
    assert first.stats is not None and first.stats.provider_calls == sim.stats()["requests"] > 0
    assert cold.transactions <= COLD_TRANSACTIONS, cold
    # Written once (in chunks), read back never: the one SELECT is the completeness count.
    assert cold.planned_call["insert"] >= 1 and cold.planned_call["select"] <= 1, cold

    with traffic(engine) as warm:
        again = starter.start(suite=suite, request=RunRequest())
    assert again.stats is not None and again.stats.executed == 0
    assert warm.transactions <= WARM_TRANSACTIONS, warm
    assert warm.planned_call["select"] <= 1, warm
