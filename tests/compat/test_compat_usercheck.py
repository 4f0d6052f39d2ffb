"""User check functions: what counts as pass and fail, and a crash is a failed check."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.suite import Case
from promptcompat.suite.contract import Contract
from promptcompat.suite.user_checks import UserCheck, load_checks

SOURCE = """
import sys


def check_true(output, case):
    return True


def check_none(output, case):
    pass


def check_false(output, case):
    return False


def check_tuple(output, case):
    return False, f"{case.id}: too short ({len(output)} chars)"


def check_tuple_ok(output, case):
    return True, "fine"


def check_assert(output, case):
    assert output.startswith("{"), "not a JSON object"


def check_bare_assert(output, case):
    assert output == "x"


def check_raises(output, case):
    return {}["missing"]


def check_exits(output, case):
    sys.exit(3)


def check_odd_return(output, case):
    return "yes"
"""
CASE = Case(id="c1", vars={"name": "Ada"})


@pytest.fixture
def checks(tmp_path: Path) -> dict[str, UserCheck]:
    path = tmp_path / "checks.py"
    path.write_text(SOURCE, encoding="utf-8")
    return {c.name: c for c in load_checks(path, where="prompts/x/checks.py")}


def test_pass_and_fail_forms(checks: dict[str, UserCheck]) -> None:
    results = {name: check.run("hello", CASE) for name, check in checks.items()}
    assert results["check_true"] is None
    assert results["check_none"] is None
    assert results["check_tuple_ok"] is None
    assert results["check_false"] == "returned False"
    assert results["check_tuple"] == "c1: too short (5 chars)"
    assert results["check_assert"] == "not a JSON object"
    lines = SOURCE.splitlines()
    bare = lines.index('    assert output == "x"') + 1
    raises = lines.index('    return {}["missing"]') + 1
    assert results["check_bare_assert"] == f"assertion failed (prompts/x/checks.py:{bare})"
    assert results["check_raises"] == f"raised KeyError: 'missing' (prompts/x/checks.py:{raises})"
    assert results["check_exits"] is not None and "raised SystemExit: 3" in results["check_exits"]
    assert results["check_odd_return"] is not None
    assert "returned 'yes'" in results["check_odd_return"]


def test_failing_checks_are_findings_rated_on_both_sides(checks: dict[str, UserCheck]) -> None:
    diff = compare_case(
        baseline=[Sample('{"a": 1}')],
        candidate=[Sample("plain text")],
        contract=Contract(),
        case=CASE,
        checks=[checks["check_assert"], checks["check_raises"]],
    )
    found = {(f.rule, f.path, f.severity) for f in diff.findings}
    assert ("contract.user_check", "check_assert", "ERR") in found
    # raising on both sides: already failing on the baseline, not a new break
    assert ("contract.user_check", "check_raises", "WARN") in found
    assert diff.verdict == "BREAKING"
