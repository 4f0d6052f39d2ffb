"""A waived cause explains nothing: the symptoms it absorbed are reported on their own.

"One cause, one finding" drops the schema error at a path where a structural rule already
fired; when the prompt waives that structural finding, the schema contract must still hold.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clirun import cli

PROMPT_YAML = """\
description: Contacts for the CRM importer
mode: FULL
deployed: v1
targets:
  pinned: openai:gpt-sim-2024-05-13?temperature=0
  candidates:
    - openai:sim-drift-field_renamed?temperature=0
contract:
  format: json
  schema:
    type: object
    required: [name, company]
    properties:
      name: {type: [string, "null"]}
      company: {type: [string, "null"]}
cases:
  - id: maria
    vars:
      email: "Hello, I'm Maria Gonzalez from Brightwave Logistics. Best, Maria"
"""
TEMPLATE = """\
variables: [email]
messages:
  - role: system
    content: |
      Extract the sender's contact details and reply with JSON only.
      Fields: name, company
  - role: user
    content: "{{ email }}"
"""
WAIVER = """\
waivers:
  - rule: json.field_removed
    path: $.name
    reason: the importer maps full_name to name since CRM-310
    expires: 2099-12-31
"""


@pytest.fixture
def suite_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts" / "contacts"
    (folder / "versions").mkdir(parents=True)
    (folder / "prompt.yaml").write_text(PROMPT_YAML)
    (folder / "versions" / "v1.yaml").write_text(TEMPLATE)
    return folder


def run(folder: Path, tmp_path: Path, name: str) -> tuple[int, dict[str, object], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    env |= {
        "PROMPTCOMPAT_HOME": str(tmp_path / name),
        "PROMPTCOMPAT_PROMPTS_DIR": str(folder.parent),
        "COLUMNS": "200",
    }
    out = tmp_path / f"{name}.json"
    done = cli("run", "--simulator", "--json-out", str(out), env=env, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode, json.loads(out.read_text()), done.stdout


def findings(report: dict[str, object]) -> dict[tuple[str, str | None], dict[str, object]]:
    cases = report["cases"]
    assert isinstance(cases, list)
    return {(f["rule"], f["path"]): f for c in cases for f in c["findings"]}


def test_a_waived_field_removal_leaves_the_schema_contract_in_force(
    suite_dir: Path, tmp_path: Path
) -> None:
    code, report, _ = run(suite_dir, tmp_path, "plain")
    found = findings(report)
    # Unwaived: the removal is the one finding, and it breaks the case.
    assert code == 1
    assert found["json.field_removed", "$.name"]["severity"] == "ERR"
    assert ("contract.schema", "$.name") not in found

    (suite_dir / "prompt.yaml").write_text(PROMPT_YAML + WAIVER)
    code, report, stdout = run(suite_dir, tmp_path, "waived")
    found = findings(report)
    removed = found["json.field_removed", "$.name"]
    assert (removed["severity"], removed["waived"]) == ("INFO", True)
    # The waiver accepts the rename, not an output the declared schema rejects.
    schema = found["contract.schema", "$.name"]
    assert schema["severity"] == "ERR" and "required property 'name'" in schema["message"]
    assert code == 1, stdout
    assert "BREAKING" in stdout
