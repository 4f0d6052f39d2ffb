"""The fact diff (``compat.facts``): what free text states, compared with every baseline sample.

The issue's cases (an incident summary and a booking chat) through ``compare_case`` as a run
compares a case, plus the extraction itself, noise among baseline samples, JSON free-text
fields, other languages and key facts (``facts:`` of a case).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from promptcompat.compat.diff import CaseDiff, Sample, compare_case
from promptcompat.compat.facts import extract_facts, fact_findings, key_fact_status
from promptcompat.suite import Case
from promptcompat.suite.contract import Contract

INCIDENT = (
    "The rollback succeeded and no customer data was lost. Traffic was moved to 3 regions "
    "between 13–15 May. The root cause was an expired TLS certificate on the EU gateway."
)
BOOKING = "Your booking: 2 nights in Lisbon from 4 June at the Hotel Miramar, total €340."


def _compare(
    baseline: list[str],
    candidate: list[str],
    *,
    instructions: str | None = None,
    facts: tuple[str, ...] = (),
    contract: Contract | None = None,
) -> CaseDiff:
    return compare_case(
        baseline=[Sample(text=t) for t in baseline],
        candidate=[Sample(text=t) for t in candidate],
        contract=contract or Contract(),
        instructions=instructions,
        case=Case(id="c1", vars={}, facts=facts),
    )


def _rules(diff: CaseDiff, *severities: str) -> set[str]:
    wanted = severities or ("ERR", "WARN")
    return {f.rule for f in diff.findings if f.severity in wanted}


def test_extracts_numbers_dates_names_identifiers_and_polarity() -> None:
    facts = extract_facts(
        "Traffic moved to 3 regions on 13–15 May 2024 at 10:30 am; mail ops@acme.io or see "
        "https://acme.io/status. Ticket INC-2043 was filed by Alice Smith in New York. "
        "It costs $1,200 (about 5 percent more) and takes three hours, 5 km away. "
        "The rollback did not succeed.\n- first item\n- second item"
    )
    assert {(q.value, q.unit) for q in facts.quantities} >= {
        (Decimal(3), ""),
        (Decimal(1200), "usd"),
        (Decimal(5), "%"),
        (Decimal(3), "h"),
        (Decimal(5), "km"),
    }
    assert {(d.year, d.month, d.day) for d in facts.dates if d.other is None} >= {
        (2024, 5, 13),
        (2024, 5, 15),
    }
    assert any(d.other == "t10:30" for d in facts.dates)
    assert {"ops@acme.io", "https://acme.io/status", "INC-2043", "Alice Smith", "New York"} <= set(
        facts.entities
    )
    assert facts.items == ("first item", "second item")
    rollback = next(c for c in facts.clauses if "rollback" in c.text)
    assert rollback.polarity == -1
    # "did not fail" is positive again; "not only" negates nothing
    assert extract_facts("The rollback did not fail.").clauses[0].polarity == 1
    assert extract_facts("It is not only fast but cheap.").clauses[0].polarity == 1


def test_the_issue_incident_summary_is_no_longer_compatible() -> None:
    candidate = (
        "The rollback also failed, so some customer data was lost. Traffic was moved to "
        "2 regions between 3–5 May. The root cause was an expired TLS certificate on the EU "
        "gateway."
    )
    diff = _compare([INCIDENT], [candidate])
    assert diff.verdict == "CHANGED"
    assert {"facts.polarity_flipped", "facts.number_changed", "facts.date_changed"} <= _rules(diff)
    messages = " ".join(f.message for f in diff.findings)
    assert "'3 regions' -> '2 regions'" in messages
    assert "'13–15 May' -> '3–5 May'" in messages
    assert diff.coverage is not None and diff.coverage.facts == "checked"


def test_a_dropped_root_cause_and_an_invented_fact_are_reported() -> None:
    dropped = INCIDENT.split(" The root cause")[0]
    diff = _compare([INCIDENT], [dropped])
    assert "facts.fact_dropped" in _rules(diff)
    assert "EU" in next(f.message for f in diff.findings if f.rule == "facts.fact_dropped")
    invented = INCIDENT + " The on-call engineer, Marco Rossi, was paged 4 times."
    diff = _compare([INCIDENT], [invented])
    added = next(f for f in diff.findings if f.rule == "facts.fact_added")
    assert "Marco Rossi" in added.message and "4 times" in added.message


def test_a_forgotten_city_is_a_changed_entity_and_the_request_vouches_for_added_ones() -> None:
    porto = BOOKING.replace("Lisbon", "Porto")
    diff = _compare([BOOKING], [porto])
    assert _rules(diff) == {"facts.entity_changed"}
    # a name the request gave is not invented
    with_guest = BOOKING + " The room is booked for Anna Weber."
    assert "facts.fact_added" in _rules(_compare([BOOKING], [with_guest]))
    assert "facts.fact_added" not in _rules(
        _compare([BOOKING], [with_guest], instructions="Book a room for Anna Weber in Lisbon.")
    )


@pytest.mark.parametrize(
    "paraphrase",
    [
        # reordered, reworded, numbers in words, another date format, a pleasantry
        "No customer data was lost, and the rollback succeeded. Between May 13 and 15, traffic "
        "was moved to three regions. The root cause was an expired TLS certificate on the EU "
        "gateway. I hope this helps!",
        "- The rollback succeeded; no customer data was lost.\n- Traffic was moved to 3 "
        "regions between 13 and 15 May.\n- Root cause: an expired TLS certificate on the EU "
        "gateway.",
        "The rollback succeeded and customer data wasn't lost. Traffic was moved to 3 regions "
        "between 13–15 May. The root cause was an expired TLS certificate on the EU gateway.",
    ],
)
def test_paraphrases_stay_compatible(paraphrase: str) -> None:
    diff = _compare([INCIDENT], [paraphrase])
    assert diff.verdict == "COMPATIBLE", diff.findings


def test_a_fact_that_varies_among_baseline_samples_is_noise() -> None:
    base = [
        "Traffic was moved to 3 regions after the outage.",
        "Traffic was moved to 4 regions after the outage.",
        "Traffic was moved to 3 regions after the outage.",
        "Traffic was moved to 5 regions after the outage.",
    ]
    cand = ["Traffic was moved to 2 regions after the outage."] * 4
    diff = _compare(base, cand)
    finding = next(f for f in diff.findings if f.rule == "facts.number_changed")
    assert finding.severity == "INFO" and finding.status == "noise"
    assert diff.verdict == "COMPATIBLE"
    steady = ["Traffic was moved to 3 regions after the outage."] * 4
    finding = next(f for f in _compare(steady, cand).findings if f.rule == "facts.number_changed")
    assert (finding.severity, finding.hits, finding.baseline_hits) == ("WARN", 4, 0)


def test_open_ended_answers_are_not_compared_fact_by_fact() -> None:
    # two different stories share few facts by nature: nothing is "dropped" or "added"
    one = "Once upon a time, Mira sailed to Crete with 3 friends. They found a cave and a map."
    two = "Long ago, a boy named Tomas climbed Mount Olympus alone. He met an old shepherd."
    assert not {r for r in _rules(_compare([one], [two])) if r.startswith("facts.")}


def test_free_text_fields_of_a_json_output_are_compared_at_their_path() -> None:
    base = (
        '{"status": "resolved", "summary": "The rollback succeeded and no customer data was lost."}'
    )
    cand = (
        '{"status": "resolved", "summary": "The rollback failed and some customer data was lost."}'
    )
    diff = _compare([base], [cand], contract=Contract(format="json"))
    flipped = next(f for f in diff.findings if f.rule == "facts.polarity_flipped")
    assert flipped.path == "$.summary"


def test_other_languages_are_not_checked_and_never_alarm() -> None:
    base = (
        "Le rollback a réussi et aucune donnée client n'a été perdue. "
        "Le trafic a été déplacé vers 3 régions."
    )
    cand = (
        "Le rollback a échoué et des données client ont été perdues. "
        "Le trafic a été déplacé vers 2 régions."
    )
    diff = _compare([base], [cand], facts=("rollback failed",))
    assert not {f.rule for f in diff.findings if f.rule.startswith("facts.")}
    assert diff.coverage is not None
    assert diff.coverage.facts == "not checked (fr)"
    assert diff.coverage.undecided_facts == ("rollback failed",)
    assert fact_findings([base], cand) == []


def test_fact_findings_is_the_face_for_a_judge() -> None:
    findings = fact_findings([BOOKING, BOOKING], BOOKING.replace("4 June", "14 June"))
    assert [(f.rule, f.severity) for f in findings] == [("facts.date_changed", "WARN")]


@pytest.mark.parametrize(
    ("statement", "answer", "status"),
    [
        ("rollback failed", "The rollback failed at 10:30.", "conveyed"),
        ("rollback failed", "The rollback did not succeed.", "conveyed"),
        ("rollback failed", "The rollback succeeded.", "contradicted"),
        ("25 May", "It happened on May 25th.", "conveyed"),
        ("25 May", "It happened on 24 May.", "missing"),
        ("3 regions", "Traffic moved to three regions.", "conveyed"),
        ("Lisbon", "Your stay in Porto is booked.", "missing"),
        ("customers were informed", "We told every affected client.", "undecided"),
    ],
)
def test_key_facts_are_decided_where_a_fact_decides(
    statement: str, answer: str, status: str
) -> None:
    assert key_fact_status(statement, extract_facts(answer))[0] == status


def test_key_facts_of_a_case_fail_it_and_leave_the_undecided_to_a_judge() -> None:
    base = "The rollback failed on 25 May; customers were informed."
    cand = "The rollback succeeded on 25 May; we told every client."
    diff = _compare([base], [cand], facts=("rollback failed", "25 May", "customers were informed"))
    missing = [f for f in diff.findings if f.rule == "facts.key_fact_missing"]
    assert [(f.severity, f.path) for f in missing] == [("ERR", None)]
    assert "'rollback failed' is contradicted" in missing[0].message
    assert diff.verdict == "BREAKING"
    assert diff.coverage is not None
    assert diff.coverage.undecided_facts == ("customers were informed",)
    # the baseline missing a key fact too: the baseline's own rate makes it noise
    also_missing = _compare(["It went fine."], ["It went well."], facts=("25 May",))
    assert {f.severity for f in also_missing.findings if f.rule == "facts.key_fact_missing"} == {
        "INFO"
    }


def test_the_fact_diff_alone_predicts_labelled_pairs_for_calibration() -> None:
    from promptcompat.compat.calibration import fact_diff_predictions
    from promptcompat.store.judging import LabelledPair

    pairs = [
        LabelledPair(baseline="3 regions were down.", candidate="2 regions were down.",
                     label="different"),
        LabelledPair(baseline="The rollback succeeded.", candidate="The rollback succeeded.",
                     label="equivalent"),
        LabelledPair(baseline="Les trois régions sont tombées.",
                     candidate="Deux régions sont tombées.", label="different"),
    ]  # fmt: skip
    # The French pair is not read: never a "different" from a text it cannot check.
    assert fact_diff_predictions(pairs) == ["different", "equivalent", "equivalent"]
