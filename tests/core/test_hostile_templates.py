"""A hostile prompt version in a pull request: every case is an ERROR, no provider is called."""

from __future__ import annotations

from pathlib import Path

import pytest
from inline import run_inline
from sqlalchemy import Engine

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.report import build_report
from promptcompat.runs import RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.suite import load_suite

HOSTILE = {
    "mro": "{{ ''.__class__.__mro__ }}",
    "globals": "{{ cycler.__init__.__globals__ }}",
    "string_bomb": "{{ 'a' * 10**9 }}",
    # Jinja's ** is left-associative: 9**9**9 is (9**9)**9, harmless; this one is not.
    "power_bomb": "{{ 9**(9**9) }}",
    "loop_bomb": "{% for i in range(10**6) %}{{ n }}{% endfor %}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_version_errors_every_case_without_calls(
    name: str, engine: Engine, settings: Settings, prompts_dir: Path, sim: SimulatorProcess
) -> None:
    (prompts_dir / "prime_check" / "versions" / "v3.yaml").write_text(
        f'variables: [n]\nmessages:\n  - role: user\n    content: "{HOSTILE[name]}"\n'
    )
    suite = load_suite(prompts_dir)
    run_id, stats = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("prime_check",), candidate_version="v3"),
        settings=settings,
    )
    with store.session_scope(engine) as session:
        report = build_report(session=session, run_id=run_id).to_json()
    cases = report["cases"]
    assert cases and {c["verdict"] for c in cases} == {"ERROR"}
    errors = [f for f in cases[0]["findings"] if f["rule"] == "call.error"]
    assert errors and "v3.yaml" in errors[0]["message"]
    # Only the baseline side (v1) reached the simulator.
    assert sim.stats()["requests"] == stats.executed == len(suite.prompts["prime_check"].cases)
    assert report["run"]["status"] == "completed_with_errors"
