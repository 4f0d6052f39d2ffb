"""Severity overrides and waivers applied to findings, with a clock the test controls."""

from __future__ import annotations

from datetime import date

from promptcompat.rules import Finding
from promptcompat.suite.policy import WAIVED_PREFIX, RulePolicy, Waiver

TODAY = date(2026, 11, 23)


def finding(rule: str, severity: str = "ERR", path: str | None = None, **kw: object) -> Finding:
    return Finding(rule, severity, "msg", path, **kw)  # type: ignore[arg-type]


def test_an_active_waiver_makes_the_finding_info_and_says_why() -> None:
    waiver = Waiver("json.field_removed", "CRM-231", date(2027, 1, 31), "$.phone")
    out = RulePolicy(waivers=(waiver,)).apply(
        [finding("json.field_removed", path="$.phone")], today=TODAY
    )
    assert len(out) == 1
    f = out[0]
    assert (f.severity, f.status) == ("INFO", "waived")
    assert f.message.startswith(WAIVED_PREFIX + "2027-01-31 (CRM-231); was ERR: ")


def test_waiver_paths_cover_descendants_and_globs_only() -> None:
    def covers(pattern: str, path: str | None) -> bool:
        waiver = Waiver("json.field_removed", "r", date(2027, 1, 1), pattern)
        return waiver.covers(finding("json.field_removed", path=path))

    assert covers("$.address", "$.address")
    assert covers("$.address", "$.address.city")
    assert covers("$.items", "$.items[3].qty")
    assert not covers("$.address", "$.address_line")
    assert covers("$.items[*].qty", "$.items[12].qty")
    assert not covers("$.items[*].qty", "$.items[12].price")
    assert not covers("$.phone", None)
    assert Waiver("json.field_removed", "r", date(2027, 1, 1)).covers(finding("json.field_removed"))
    assert not Waiver("json.type_changed", "r", date(2027, 1, 1)).covers(
        finding("json.field_removed")
    )


def test_a_waiver_applies_through_its_expiry_day_then_is_reported() -> None:
    waiver = Waiver("drift.verbosity", "longer answers ok", date(2026, 11, 23), where="p.yaml:9")
    policy = RulePolicy(waivers=(waiver,))
    on_the_day = policy.apply([finding("drift.verbosity", "WARN")], today=TODAY)
    assert [f.status for f in on_the_day] == ["waived"]
    after = policy.apply([finding("drift.verbosity", "WARN")], today=date(2026, 11, 24))
    assert [(f.rule, f.severity) for f in after] == [
        ("drift.verbosity", "WARN"),
        ("waiver.expired", "WARN"),
    ]
    assert "expired on 2026-11-23 (p.yaml:9; reason: longer answers ok)" in after[1].message


def test_an_expired_waiver_is_reported_even_when_nothing_fires_on_first_cases() -> None:
    waiver = Waiver("drift.verbosity", "r", date(2026, 1, 1))
    policy = RulePolicy(waivers=(waiver,))
    assert policy.apply([], today=TODAY) == []
    first = policy.apply([], today=TODAY, report_expired=True)
    assert [f.rule for f in first] == ["waiver.expired"]


def test_overrides_change_the_default_and_rates_still_temper_it() -> None:
    policy = RulePolicy(severities={"json.field_added": "ERR", "drift.format_marker_lost": "WARN"})
    out = policy.apply(
        [
            finding("json.field_added", "INFO"),
            finding("json.field_added", "INFO", path="$.x", status="noise"),
            finding("json.field_added", "INFO", path="$.y", status="not_significant"),
            finding("drift.format_marker_lost", "ERR"),
            finding("json.field_removed", "ERR"),
        ],
        today=TODAY,
    )
    assert [f.severity for f in out] == ["ERR", "INFO", "WARN", "WARN", "ERR"]


def test_an_empty_policy_changes_nothing() -> None:
    findings = [finding("json.field_removed")]
    assert RulePolicy().apply(findings, today=TODAY) == findings


def test_silences_what_an_active_waiver_covers_or_an_override_demotes() -> None:
    waiver = Waiver("json.field_removed", "r", date(2026, 11, 23), "$.name")
    policy = RulePolicy(
        severities={"json.type_changed": "WARN", "json.field_added": "ERR"}, waivers=(waiver,)
    )
    assert policy.silences("json.field_removed", "$.name", today=TODAY)
    assert not policy.silences("json.field_removed", "$.email", today=TODAY)
    assert not policy.silences("json.field_removed", "$.name", today=date(2026, 11, 24))
    assert policy.silences("json.type_changed", "$.age", today=TODAY)  # ERR -> WARN
    assert not policy.silences("json.field_added", "$.x", today=TODAY)  # raised, not demoted
    assert not RulePolicy().silences("json.field_removed", "$.name", today=TODAY)
