"""The check's result as JUnit XML (the Jenkins / Ant ``junit-10.xsd`` dialect CI systems read).

One ``testsuite`` per comparison and one ``testcase`` per case: a case breaking at or above
``--fail-on`` is a ``failure`` (its findings and diff in the body), an ERROR case an ``error``;
problems that stopped the check (an edited release, a git error) are ``error`` test cases of a
``promptcompat`` suite, and request-side findings are test cases of their own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from promptcompat.check.result import CheckCase, CheckResult

# XML 1.0 forbids most control characters, which a model's output may contain.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_junit(result: CheckResult) -> str:
    """The JUnit XML document of a check result (``check.run_check``)."""
    root = ET.Element("testsuites", name="promptcompat check")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    general = _general_suite(result)
    if general is not None:
        root.append(general)
        _add(totals, general)
    by_comparison: dict[int, list[CheckCase]] = defaultdict(list)
    for case in result.cases:
        by_comparison[case.comparison].append(case)
    for comp in result.comparisons:
        cases = by_comparison.get(comp.index, [])
        name = (
            f"{comp.prompt} {comp.direction} {comp.baseline.version}@"
            f"{comp.baseline.target} -> {comp.candidate.version}@"
            f"{comp.candidate.target}"
        )
        suite = ET.SubElement(root, "testsuite", name=_clean(name))
        classname = f"promptcompat.{comp.prompt}.{comp.direction.lower()}"
        failures = errors = skipped = 0
        for case in cases:
            testcase = ET.SubElement(
                suite, "testcase", name=_clean(case.case_id), classname=classname, time="0"
            )
            if case.verdict == "ERROR":
                errors += 1
                reasons = "; ".join(f.message for f in case.findings) or "the call failed"
                element = ET.SubElement(testcase, "error", type="ERROR", message=_clean(reasons))
                element.text = _clean(_body(case))
            elif case.failing:
                failures += 1
                rules = sorted({f.rule for f in case.findings if f.severity != "INFO"})
                element = ET.SubElement(
                    testcase,
                    "failure",
                    type=case.verdict,
                    message=_clean(f"{case.verdict}: {', '.join(rules)}"),
                )
                element.text = _clean(_body(case))
            elif not comp.enforced:
                skipped += 1
                ET.SubElement(testcase, "skipped", message="mode NONE: recorded, not enforced")
            elif case.verdict == "CHANGED":
                out = ET.SubElement(testcase, "system-out")
                out.text = _clean(_body(case))
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", str(skipped))
        suite.set("time", "0")
        _add(totals, suite)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _general_suite(result: CheckResult) -> ET.Element | None:
    if not (result.errors or result.request_side or result.contract_side):
        return None
    suite = ET.Element("testsuite", name="promptcompat")
    errors = failures = 0
    for error in result.errors:
        testcase = ET.SubElement(
            suite,
            "testcase",
            name=_clean(error.where or "check"),
            classname="promptcompat.check",
            time="0",
        )
        element = ET.SubElement(testcase, "error", type="ERROR", message=_clean(error.message))
        element.text = _clean(error.message)
        errors += 1
    # Findings on the request side, then on the accepted outputs against a changed contract.
    found = [
        (f"{f.version} variable {f.variable}", f"{f.prompt}.request", f.severity, f.rule, f.message)
        for f in result.request_side
    ] + [
        (
            f"{f.case_id} {f.rule} {f.path or ''}".strip(),
            f"{f.prompt}.contract",
            f.severity,
            f.rule,
            f.message,
        )
        for f in result.contract_side
    ]
    for name, classname, severity, rule, message in found:
        testcase = ET.SubElement(
            suite, "testcase", name=_clean(name), classname=f"promptcompat.{classname}", time="0"
        )
        if result.failing(severity):
            failures += 1
            element = ET.SubElement(testcase, "failure", type=rule, message=_clean(message))
            element.text = _clean(message)
    suite.set("tests", str(len(result.errors) + len(found)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", "0")
    return suite


def _body(case: CheckCase) -> str:
    lines = [
        f"{f.severity} {f.rule}" + (f" at {f.path}" if f.path else "") + f": {f.message} ({f.rate})"
        for f in case.findings
    ]
    if case.diff:
        lines += ["", case.diff]
    return "\n".join(lines)


def _add(totals: dict[str, int], suite: ET.Element) -> None:
    for key in totals:
        totals[key] += int(suite.get(key, "0"))


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)
