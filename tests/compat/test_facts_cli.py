"""The fact diff as a user meets it: `promptcompat run` on a free-text prompt, answered by a
scripted endpoint through the OpenAI SDK, read back from the JSON report."""

from __future__ import annotations

import pytest
from scripted_suite import RunResult, ScriptedPrompt, run_suite

SUMMARY = (
    "The rollback succeeded and no customer data was lost. Traffic was moved to 3 regions "
    "between 13-15 May. The root cause was an expired TLS certificate on the EU gateway."
)
PROMPTS = {
    "incident": ScriptedPrompt(
        cases={
            "flipped": "Summarise incident 41.",
            "reworded": "Summarise incident 42.",
            "keyfacts": "Summarise incident 43.",
        },
        old={"flipped": SUMMARY, "reworded": SUMMARY, "keyfacts": SUMMARY},
        new={
            "flipped": "The rollback also failed, so some customer data was lost. Traffic was "
            "moved to 2 regions between 3-5 May. The root cause was an expired TLS certificate "
            "on the EU gateway.",
            "reworded": "No customer data was lost, and the rollback succeeded. Between May 13 "
            "and 15, traffic was moved to three regions. The root cause was an expired TLS "
            "certificate on the EU gateway.",
            "keyfacts": SUMMARY.replace("The rollback succeeded", "The rollback failed"),
        },
        facts={"keyfacts": ["rollback succeeded", "13 May", "the customers were told"]},
    ),
    "resume": ScriptedPrompt(
        cases={"fr": "Résume l'incident 44."},
        old={"fr": "Le rollback a réussi et aucune donnée client n'a été perdue."},
        new={"fr": "Le rollback a échoué et des données client ont été perdues."},
        facts={"fr": ["rollback réussi"]},
    ),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return run_suite(tmp_path_factory.mktemp("facts"), PROMPTS)


def test_changed_facts_in_free_text_are_no_longer_compatible(run: RunResult) -> None:
    assert run.verdict("incident", "flipped") == "CHANGED"
    assert {"facts.polarity_flipped", "facts.number_changed", "facts.date_changed"} <= run.rules(
        "incident", "flipped", "WARN"
    )
    changed = run.finding("incident", "flipped", "facts.number_changed")
    assert "'3 regions' -> '2 regions'" in changed["message"]
    assert run.verdict("incident", "reworded") == "COMPATIBLE"


def test_a_contradicted_key_fact_breaks_the_case_and_the_undecided_wait_for_a_judge(
    run: RunResult,
) -> None:
    assert run.returncode == 1  # a BREAKING case
    assert run.verdict("incident", "keyfacts") == "BREAKING"
    missing = run.finding("incident", "keyfacts", "facts.key_fact_missing")
    assert missing["severity"] == "ERR"
    assert "'rollback succeeded' is contradicted" in missing["message"]
    facts = run.report["prompts"]["incident"]["coverage"]["facts"]
    assert facts["checked"] == 3 and facts["undecided_facts"] == 1
    line = run.report["prompts"]["incident"]["coverage"]["line"]
    assert "the fact diff compared numbers, dates, names and negations" in line
    assert "1 key fact(s) undecided (for a judge)" in line


def test_another_language_is_not_checked_and_says_so(run: RunResult) -> None:
    assert run.verdict("resume", "fr") == "COMPATIBLE"
    assert not {r for r in run.rules("resume", "fr") if r.startswith("facts.")}
    coverage = run.report["prompts"]["resume"]["coverage"]
    assert coverage["facts"]["not_checked"] == {"fr": 1}
    assert "facts not checked on 1 of 1 cases (not English: fr)" in coverage["line"]
