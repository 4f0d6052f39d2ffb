"""Per-prompt rule policy: severity overrides and waivers, declared in ``prompt.yaml``.

.. code-block:: yaml

    rules:                        # override a rule's default severity: ERR | WARN | INFO
      json.field_added: WARN
      json.value_changed at $.escalate: ERR   # only at this JSON path (and below)
    waivers:                      # accept a known finding for a while, with a reason
      - rule: json.field_removed
        path: $.phone             # optional: only at this JSON path (and below); * = any run
        reason: the CRM stopped importing phone numbers (CRM-231)
        expires: 2027-03-31       # the waiver applies through this day

An override replaces the rule's default severity; the rates still temper it (noise stays
INFO, a rise that is not significant is at most WARN: ``noise.severity_for``). A waiver turns
the findings it covers into INFO, marked waived with its reason. Once past its expiry date a
waiver no longer applies, and it is itself reported (``waiver.expired``, WARN) on the first
case of every comparison of the prompt and on every case where it would have applied. The
date comes from the caller (``today``), so tests control the clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any

from promptcompat.errors import SuiteError
from promptcompat.rules import CATALOG, SEVERITIES, Finding, rule
from promptcompat.rules.noise import Severity, severity_for
from promptcompat.suite.files import YamlFile

WAIVED_PREFIX = "waived until "
"""Messages of waived findings start with this, for people; the finding's ``status`` (and the
stored finding's ``waived``) is what code reads."""
WAIVER_KEYS = {"rule", "path", "reason", "expires"}


def path_pattern(path: str) -> re.Pattern[str]:
    """A JSON path as waivers and overrides write it: ``*`` matches any run, and a path also
    covers what lies below it (``$.address`` covers ``$.address.city``)."""
    body = ".*".join(re.escape(part) for part in path.split("*"))
    return re.compile(rf"{body}(?:[.\[].*)?", re.S)


@dataclass(frozen=True)
class PathOverride:
    """``json.value_changed at $.escalate: ERR``: a rule's severity at one JSON path."""

    rule: str
    path: str
    severity: Severity

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        return path_pattern(self.path)

    def covers_at(self, rule_id: str, path: str | None) -> bool:
        return rule_id == self.rule and path is not None and bool(self._pattern.fullmatch(path))


@dataclass(frozen=True)
class Waiver:
    rule: str
    reason: str
    expires: date
    path: str | None = None
    where: str = ""
    """``prompts/x/prompt.yaml:12``: where the waiver is declared."""

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        return None if self.path is None else path_pattern(self.path)

    def covers(self, finding: Finding) -> bool:
        return self.covers_at(finding.rule, finding.path)

    def covers_at(self, rule_id: str, path: str | None) -> bool:
        """Whether findings of ``rule_id`` at ``path`` fall under this waiver."""
        if rule_id != self.rule:
            return False
        if self._pattern is None:
            return True
        return path is not None and self._pattern.fullmatch(path) is not None

    def active(self, today: date) -> bool:
        return today <= self.expires

    def describe(self) -> str:
        at = f" at {self.path}" if self.path else ""
        return f"{self.rule}{at}"


@dataclass(frozen=True)
class RulePolicy:
    severities: Mapping[str, Severity] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    path_severities: tuple[PathOverride, ...] = ()
    """Overrides at a JSON path (``rule at $.path: SEVERITY``); they win over ``severities``."""

    def __bool__(self) -> bool:
        return bool(self.severities or self.waivers or self.path_severities)

    def severity_of(self, rule_id: str, path: str | None) -> Severity | None:
        """The prompt's override for ``rule_id`` at ``path``: the last path override that
        covers it, else the rule's override, else None (the catalog's default applies)."""
        for override in reversed(self.path_severities):
            if override.covers_at(rule_id, path):
                return override.severity
        return self.severities.get(rule_id)

    def apply(
        self, findings: Sequence[Finding], *, today: date, report_expired: bool = False
    ) -> list[Finding]:
        """Overrides, then waivers; plus ``waiver.expired`` for the expired ones that matter.

        ``report_expired``: report every expired waiver (the first case of a comparison does),
        not only those that would have covered one of these findings.
        """
        if not self:
            return list(findings)
        out: list[Finding] = []
        expired: dict[Waiver, None] = {}
        if report_expired:
            expired.update((w, None) for w in self.waivers if not w.active(today))
        for finding in findings:
            override = self.severity_of(finding.rule, finding.path)
            if override is not None and finding.status != "waived":
                finding = replace(
                    finding, severity=severity_for(finding.rule, override, finding.status)
                )
            for waiver in self.waivers:
                if not waiver.covers(finding):
                    continue
                if waiver.active(today):
                    finding = replace(
                        finding,
                        severity="INFO",
                        status="waived",
                        message=f"{WAIVED_PREFIX}{waiver.expires.isoformat()} "
                        f"({waiver.reason}); was {finding.severity}: {finding.message}",
                    )
                    break
                expired[waiver] = None
            out.append(finding)
        out.extend(self._expired_finding(w) for w in expired)
        return out

    def silences(self, rule_id: str, path: str | None, *, today: date) -> bool:
        """Whether this policy waives ``rule_id`` at ``path`` or sets it below its default.

        Such a finding no longer stands for the symptoms it explains, so they are reported on
        their own (``rules.suppress``): waiving a removed field accepts the change, not an
        output that breaks the declared schema.
        """
        override = self.severity_of(rule_id, path)
        demoted = SEVERITIES.index  # ERR, WARN, INFO: a higher index is a lower severity
        if override is not None and demoted(override) > demoted(rule(rule_id).severity):
            return True
        return any(w.active(today) and w.covers_at(rule_id, path) for w in self.waivers)

    def _expired_finding(self, waiver: Waiver) -> Finding:
        default = rule("waiver.expired").severity
        return Finding(
            "waiver.expired",
            self.severities.get("waiver.expired", default),
            f"the waiver of {waiver.describe()} expired on {waiver.expires.isoformat()} "
            f"({waiver.where}; reason: {waiver.reason}); it no longer applies",
        )


def parse_policy(doc: YamlFile, data: dict[str, Any]) -> RulePolicy:
    """The ``rules:`` and ``waivers:`` keys of a prompt.yaml; errors name the line."""
    severities: dict[str, Severity] = {}
    at_paths: list[PathOverride] = []
    raw_rules = data.get("rules", {})
    if not isinstance(raw_rules, dict):
        raise SuiteError(
            "'rules' maps rule ids to a severity (ERR, WARN or INFO)", where=doc.at("rules")
        )
    for key, severity in raw_rules.items():
        rule_id, at, path = key.partition(" at ") if isinstance(key, str) else (key, "", "")
        rule_id, path = rule_id.strip() if isinstance(rule_id, str) else rule_id, path.strip()
        _known_rule(doc, rule_id, "rules", key)
        if at and not path.startswith("$"):
            raise SuiteError(
                f"{key!r}: a rule at a path is written `rule at $.path` (a JSON path from $)",
                where=doc.at("rules", key),
            )
        if severity not in SEVERITIES:
            raise SuiteError(
                f"severity of {key} must be one of {', '.join(SEVERITIES)}",
                where=doc.at("rules", key),
            )
        if at:
            at_paths.append(PathOverride(rule_id, path, severity))
        else:
            severities[rule_id] = severity
    raw_waivers = data.get("waivers", [])
    if not isinstance(raw_waivers, list):
        raise SuiteError("'waivers' is a list of waivers", where=doc.at("waivers"))
    waivers = [_waiver(doc, item, i) for i, item in enumerate(raw_waivers)]
    return RulePolicy(severities, tuple(waivers), tuple(at_paths))


def _known_rule(doc: YamlFile, rule_id: Any, *path: str | int) -> None:
    if not isinstance(rule_id, str) or rule_id not in CATALOG:
        raise SuiteError(
            f"unknown rule id {rule_id!r} (`promptcompat rules` lists them)", where=doc.at(*path)
        )


def _waiver(doc: YamlFile, item: Any, index: int) -> Waiver:
    where = doc.at("waivers", index)
    if not isinstance(item, dict):
        raise SuiteError("a waiver is {rule, reason, expires, path?}", where=where)
    doc.check_keys(item, WAIVER_KEYS, "waivers", index)
    for key in ("rule", "reason", "expires"):
        if key not in item:
            raise SuiteError(f"a waiver needs {key!r} (rule, reason, expires)", where=where)
    _known_rule(doc, item["rule"], "waivers", index, "rule")
    reason = item["reason"]
    if not isinstance(reason, str) or not reason.strip():
        raise SuiteError("a waiver's reason is a non-empty string", where=where)
    expires = item["expires"]
    if isinstance(expires, datetime):
        expires = expires.date()
    elif isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            expires = None
    if not isinstance(expires, date):
        raise SuiteError(
            "a waiver's expires is a date, YYYY-MM-DD", where=doc.at("waivers", index, "expires")
        )
    path = item.get("path")
    if path is not None and (not isinstance(path, str) or not path):
        raise SuiteError("a waiver's path is a string such as $.phone", where=where)
    return Waiver(item["rule"], reason.strip(), expires, path, where)
