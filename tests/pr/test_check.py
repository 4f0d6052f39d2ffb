"""``promptcompat check --base main`` on pull-request-like commits of a throwaway repository.

The store starts empty in every test, as on a CI runner: the accepted baselines come from the
committed ``snapshots/`` files (and so do their calls, from the cache).
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from markdown_it import MarkdownIt
from pr_helpers import HARMLESS_V3, RENAMING_V3, check, check_here, cli_env, commit, git

from promptcompat import store
from promptcompat.check import CheckOptions, CheckResult, run_check
from promptcompat.check.markdown import COMMENT_LIMIT, render_markdown
from promptcompat.config import Settings
from promptcompat.replay.plan import cache_key
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.snapshots import files as snapshot_files
from promptcompat.suite import load_suite
from promptcompat.suite.rendering import render_messages
from promptcompat.suite.targets import parse_target

XSD = Path(__file__).with_name("junit-10.xsd")
REPO = Path(__file__).resolve().parents[2]
EXTRACT = "extract_contact"
PINNED = "openai:gpt-sim-2024-05-13?temperature=0"


def extract_cases(repo: Path) -> int:
    return len((repo / "prompts" / EXTRACT / "cases.jsonl").read_text("utf-8").splitlines())


def render_html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def validate_junit(xml: str) -> ET.Element:
    xmlschema.XMLSchema(str(XSD)).validate(xml)
    return ET.fromstring(xml)


def test_harmless_wording_change_is_compatible_and_a_rerun_calls_nothing(
    repo: Path, settings_here: Settings, sim: SimulatorProcess
) -> None:
    (repo / "prompts" / EXTRACT / "versions" / "v3.yaml").write_text(HARMLESS_V3, "utf-8")
    commit(repo, "reword the extraction instructions")
    before = sim.stats()["requests"]

    result, markdown, junit = check_here(repo, settings_here)

    assert result["exit_code"] == 0, result["errors"]
    assert result["verdict"] == "COMPATIBLE"
    assert [p["prompt"] for p in result["prompts"]] == [EXTRACT]
    assert result["prompts"][0]["new_versions"] == ["v3"]
    assert set(result["unchanged_prompts"]) == {
        "contact_card",
        "plan_trip",
        "prime_check",
        "triage_ticket",
        "write_function",
    }
    # v1's outputs are the committed snapshots: only v3 was sent, once per case.
    cases = extract_cases(repo)
    assert sim.stats()["requests"] - before == cases
    assert result["calls"]["provider_requests"] == cases
    assert result["calls"]["from_cache"] == cases
    assert "promptcompat check: COMPATIBLE" in markdown
    root = validate_junit(junit)
    assert len(root.findall(".//testcase")) == cases
    assert root.findall(".//failure") == []
    # The new version's outputs wait beside the accepted files for review.
    assert (repo / "snapshots" / EXTRACT / "v3").is_dir()

    again = sim.stats()["requests"]
    result2, _, _ = check_here(repo, settings_here)
    assert result2["exit_code"] == 0
    assert sim.stats()["requests"] == again
    assert result2["calls"]["provider_requests"] == 0
    assert result2["calls"]["from_cache"] == result2["calls"]["total"] == 2 * cases


def test_renamed_json_field_breaks_and_names_rule_and_case(repo: Path, env: dict[str, str]) -> None:
    (repo / "prompts" / EXTRACT / "versions" / "v3.yaml").write_text(RENAMING_V3, "utf-8")
    commit(repo, "say organization instead of company")
    files_before = sorted(p.relative_to(repo) for p in (repo / "snapshots").rglob("*"))

    done, result, markdown, junit = check(repo, {**env, "CI": "true"})

    assert done.returncode == 1, done.stdout + done.stderr
    # With CI=true nothing is written unless asked (--write-snapshots).
    assert result["snapshots"]["pending_written"] == []
    assert sorted(p.relative_to(repo) for p in (repo / "snapshots").rglob("*")) == files_before
    assert result["verdict"] == "BREAKING"
    failing = [c for c in result["cases"] if c["failing"]]
    assert failing and all(c["candidate"]["version"] == "v3" for c in failing)
    first = failing[0]
    assert "json.field_removed" in {f["rule"] for f in first["findings"]}
    html = render_html(markdown)
    assert "<table>" in html
    assert html.count("<details>") >= len(failing)
    assert "json.field_removed" in html
    assert f"<code>{first['case_id']}</code>" in html
    assert '<code class="language-diff">' in html
    assert "<h3>Coverage</h3>" in html  # which checks watched the prompt (issue 16 item 10)
    assert result["coverage"][EXTRACT]["line"].startswith("watched by contract (format: json")
    assert "-{&quot;name&quot;" in html or "company" in html
    root = validate_junit(junit)
    testcases = root.findall(".//testcase")
    assert len(testcases) == extract_cases(repo)
    assert len(root.findall(".//failure")) == len(failing)
    assert root.get("failures") == str(len(failing))
    named = {t.get("name") for t in testcases if t.find("failure") is not None}
    assert first["case_id"] in named


def test_released_version_edited_in_place_is_an_error(repo: Path, env: dict[str, str]) -> None:
    path = repo / "prompts" / EXTRACT / "versions" / "v1.yaml"
    path.write_text(path.read_text("utf-8").replace("JSON only", "JSON only, please"), "utf-8")
    commit(repo, "polish v1 in place")

    done, result, markdown, junit = check(repo, env)

    assert done.returncode == 2, done.stdout + done.stderr
    assert result["verdict"] == "ERROR"
    assert "versions/v1.yaml" in result["errors"][0]["where"]
    assert "edited" in result["errors"][0]["message"]
    assert "### Errors" in markdown and "v1.yaml" in markdown
    assert "edited" in done.stderr + done.stdout
    root = validate_junit(junit)
    assert len(root.findall(".//error")) == 1


def test_released_version_and_its_lock_entry_edited_together_is_an_error(
    repo: Path, settings_here: Settings
) -> None:
    """The lock at HEAD agrees with the edit; the lock at the base does not."""
    from promptcompat.suite import load_suite
    from promptcompat.suite.lockfile import read_lock, write_lock

    path = repo / "prompts" / EXTRACT / "versions" / "v1.yaml"
    path.write_text(path.read_text("utf-8").replace("JSON only", "JSON only, please"), "utf-8")
    lock_path = repo / "prompts" / "prompts.lock"
    lock = read_lock(lock_path, where="lock")
    del lock[EXTRACT]["v1"]
    write_lock(lock_path, lock)
    edited = load_suite(repo / "prompts").prompts[EXTRACT].versions["v1"].content_hash
    lock[EXTRACT]["v1"] = edited
    write_lock(lock_path, lock)
    commit(repo, "polish v1 and re-lock it")

    result, markdown, _ = check_here(repo, settings_here)

    assert result["exit_code"] == 2
    assert "edited in place" in result["errors"][0]["message"]
    assert "edited in place" in markdown


def test_new_required_variable_is_reported(repo: Path, settings_here: Settings) -> None:
    versions = repo / "prompts" / "write_function" / "versions"
    shutil.copy(versions / "v2.yaml", versions / "v3.yaml")
    commit(repo, "write_function v3 follows a style guide")

    result, markdown, junit = check_here(repo, settings_here)

    assert result["exit_code"] == 1
    added = [f for f in result["request_side"] if f["rule"] == "request.variable_added"]
    assert [(f["prompt"], f["version"], f["variable"]) for f in added] == [
        ("write_function", "v3", "style_guide")
    ]
    assert "### Request side" in markdown
    assert "request.variable_added" in render_html(markdown)
    assert "style_guide" in markdown
    root = validate_junit(junit)
    assert any(
        t.get("classname") == "promptcompat.write_function.request" for t in root.iter("testcase")
    )


def test_uncommitted_and_untracked_changes_count_too(repo: Path, settings_here: Settings) -> None:
    """The developer loop: check before committing."""
    versions = repo / "prompts" / "write_function" / "versions"
    shutil.copy(versions / "v1.yaml", versions / "v3.yaml")  # untracked, same content as v1

    result, _, _ = check_here(repo, settings_here, write=False)

    assert result["changed_files"] == ["write_function/versions/v3.yaml"]
    assert result["prompts"][0]["new_versions"] == ["v3"]
    assert result["exit_code"] == 0
    assert result["calls"]["provider_requests"] == 0  # v3 renders exactly as v1: cached


def test_changed_case_replays_only_that_case(
    repo: Path, settings_here: Settings, sim: SimulatorProcess
) -> None:
    dataset = repo / "prompts" / EXTRACT / "cases.jsonl"
    lines = dataset.read_text("utf-8").splitlines()
    lines[0] = lines[0].replace("40 delivery vans", "45 delivery vans")
    dataset.write_text("\n".join(lines) + "\n", "utf-8")
    commit(repo, "edit one case")
    before = sim.stats()["requests"]

    result, _, _ = check_here(repo, settings_here)

    assert result["exit_code"] == 0, result["errors"]
    assert result["prompts"][0]["cases"] == ["maria-gonzalez"]
    assert [c["case_id"] for c in result["cases"]] == ["maria-gonzalez"]
    assert sim.stats()["requests"] - before == 1
    # The check's run is started by the inline run starter, with the comparisons it planned.
    engine = store.open_engine(settings_here.resolved_database_url())
    with store.session_scope(engine) as session:
        run = store.get_run(session=session, run_id=result["run_id"])
    engine.dispose()
    assert run.spec.execution == "inline" and run.spec.request.labels == {"check": "main"}
    assert [(c.prompt, c.direction) for c in run.spec.comparisons] == [
        (c["prompt"], c["direction"]) for c in result["comparisons"]
    ]


def test_unchanged_prompts_cost_no_call(
    repo: Path, settings_here: Settings, sim: SimulatorProcess
) -> None:
    prompt = repo / "prompts" / "triage_ticket" / "prompt.yaml"
    prompt.write_text(
        prompt.read_text("utf-8").replace("description:", "description: (reworded)", 1), "utf-8"
    )
    commit(repo, "describe triage better")
    before = sim.stats()["requests"]

    result, markdown, _ = check_here(repo, settings_here)

    assert result["exit_code"] == 0
    assert result["run_id"] is None and result["prompts"] == []
    assert sim.stats()["requests"] == before
    assert "Nothing to replay" in markdown


def test_contract_change_rechecks_every_case_from_the_snapshots(
    repo: Path, settings_here: Settings, sim: SimulatorProcess
) -> None:
    """A stricter contract re-evaluates the accepted outputs: no new output is needed."""
    prompt = repo / "prompts" / EXTRACT / "prompt.yaml"
    text = prompt.read_text("utf-8")
    prompt.write_text(text.replace("  max_output_tokens: 300", "  max_output_tokens: 5"), "utf-8")
    commit(repo, "the importer now takes 5 tokens at most")
    before = sim.stats()["requests"]

    result, markdown, junit = check_here(repo, settings_here)

    assert sim.stats()["requests"] == before
    assert result["prompts"][0]["reasons"] == ["contract changed"]
    assert result["prompts"][0]["cases"] == "all"
    assert len(result["cases"]) == extract_cases(repo)
    over = {
        f["case_id"] for f in result["contract_side"] if f["rule"] == "contract.max_output_tokens"
    }
    assert over == {c["case_id"] for c in result["cases"]}  # every answer is over 5 tokens
    assert result["exit_code"] == 1
    assert "### Accepted outputs against the changed contract" in markdown
    assert "contract.max_output_tokens" in render_html(markdown)
    root = validate_junit(junit)
    assert any(t.get("classname", "").endswith(".contract") for t in root.iter("testcase"))


def test_forward_checks_the_new_version_on_candidate_targets(
    repo: Path, settings_here: Settings
) -> None:
    (repo / "prompts" / EXTRACT / "versions" / "v3.yaml").write_text(HARMLESS_V3, "utf-8")
    commit(repo, "reword the extraction instructions")

    result = run_check(
        settings=settings_here, options=CheckOptions(ref="main", forward=True, write_pending=False)
    ).to_json()

    sides = {
        (c["direction"], c["baseline"]["version"], c["candidate"]["target"])
        for c in result["comparisons"]
    }
    assert sides == {
        ("BACKWARD", "v1", PINNED),
        ("FORWARD", "v3", "openai:gpt-sim-2025-06-01?temperature=0"),
    }


def test_unknown_ref_is_an_error(repo: Path, settings_here: Settings) -> None:
    result = run_check(settings=settings_here, options=CheckOptions(ref="no-such-branch")).to_json()
    assert result["exit_code"] == 2
    assert "no-such-branch" in result["errors"][0]["message"]


def _breaking_case(i: int) -> dict[str, Any]:
    return {
        "comparison": 0,
        "prompt": EXTRACT,
        "direction": "BACKWARD",
        "baseline": {"version": "v1", "target": "openai:gpt-sim-2024-05-13?temperature=0"},
        "candidate": {"version": "v3", "target": "openai:gpt-sim-2024-05-13?temperature=0"},
        "case_id": f"case-{i:04d}",
        "verdict": "BREAKING",
        "failing": True,
        "findings": [
            {
                "rule": "json.field_removed",
                "severity": "ERR",
                "status": "new",
                "path": "$.company",
                "message": "field $.company removed",
                "rate": "1/1",
            }
        ],
        "diff": "--- baseline\n+++ candidate\n@@ -1 +1 @@\n"
        + f'-{{"company": "Firm {i}", "notes": "{"x" * 300}"}}\n'
        + f'+{{"organization": "Firm {i}", "notes": "{"x" * 300}"}}\n',
    }


BULK_V1 = """\
variables: [email]
messages:
  - role: system
    content: |
      Extract the sender as JSON.
      Fields: name, company
  - role: user
    content: '{{ email }}'
"""


def test_markdown_of_1000_breaking_cases_fits_a_comment(
    repo: Path, settings_here: Settings
) -> None:
    """A real check whose new version breaks 1,000 cases (each with its diff)."""
    bulk = repo / "prompts" / "bulk"
    (bulk / "versions").mkdir(parents=True)
    (bulk / "prompt.yaml").write_text(
        f"mode: BACKWARD\ndeployed: v1\ntargets:\n  pinned: {PINNED}\ncontract:\n  format: json\n",
        "utf-8",
    )
    (bulk / "versions" / "v1.yaml").write_text(BULK_V1, "utf-8")
    rows = [
        {"id": f"c{i:04d}", "vars": {"email": f"I'm Ann Lee from Acme{i} Corp."}}
        for i in range(1000)
    ]
    (bulk / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    # The accepted v1 outputs, written as the committed snapshot (no calls needed for them).
    prompt = load_suite(repo / "prompts").prompts["bulk"]
    target = parse_target(PINNED)
    snap = snapshot_files.SnapshotFile(
        "bulk", "v1", target.label, prompt.versions["v1"].content_hash
    )
    for case in prompt.cases:
        messages = render_messages(prompt.versions["v1"], case, max_chars=100_000)
        output = json.dumps({"name": "Ann Lee", "company": case.vars["email"][18:-1]})
        key = cache_key(target, messages, sample=0, seed=None)
        snap.cases[case.id] = [snapshot_files.SnapshotSample(0, key, output)]
    snapshot_files.write(
        snapshot_files.accepted_path(repo / "snapshots", "bulk", "v1", target.label),
        snap,
        root=repo / "snapshots",
    )
    git(repo, "checkout", "-q", "main")
    commit(repo, "a prompt with 1,000 cases, and its accepted snapshots")
    git(repo, "checkout", "-q", "-B", "pr")
    (bulk / "versions" / "v2.yaml").write_text(BULK_V1.replace("company", "organization"), "utf-8")
    commit(repo, "rename a field")

    result, markdown, junit = check_here(repo, settings_here, write=False)

    assert result["exit_code"] == 1
    assert result["calls"]["provider_requests"] == 1000  # v2 only: v1 came from the snapshots
    assert sum(c["failing"] for c in result["cases"]) == 1000
    assert len(markdown) < COMMENT_LIMIT
    shown = markdown.count("<details>\n<summary>")
    assert 10 < shown < 1000
    assert f"{1000 - shown} more breaking case(s) not shown" in markdown
    html = render_html(markdown)
    assert html.count("<details>") == shown + 1  # + the "What changed" section
    assert "<table>" in html
    root = validate_junit(junit)
    assert len(root.findall(".//testcase")) == 1000
    assert root.get("failures") == "1000"


@pytest.mark.parametrize("hostile", ["```", "| pipe |", "<script>x</script>"])
def test_markdown_survives_hostile_outputs(hostile: str) -> None:
    result: dict[str, Any] = {
        "base": {"ref": "main", "merge_base": "0" * 40},
        "verdict": "BREAKING",
        "exit_code": 1,
        "fail_on": "ERR",
        "prompts": [
            {
                "prompt": EXTRACT,
                "reasons": [hostile],
                "base_version": "v1",
                "new_versions": ["v3"],
                "cases": "all",
            }
        ],
        "unchanged_prompts": [],
        "errors": [],
        "request_side": [],
        "comparisons": [],
        "calls": {},
        "run_id": None,
        "snapshots": {"pending_written": [], "obsolete": []},
    }
    case = _breaking_case(1)
    case["diff"] = f"-{hostile}\n+{hostile}{hostile}\n"
    case["case_id"] = f"odd{hostile}"
    result["cases"] = [case]
    html = render_html(render_markdown(CheckResult.model_validate(result)))
    assert "<script>" not in html
    assert html.count("<details>") == 2 and html.count("</details>") == 2


def test_example_workflow_runs_the_check_and_comments() -> None:
    import yaml

    path = Path(__file__).resolve().parents[2] / "examples/github-actions/promptcompat-check.yml"
    workflow = yaml.safe_load(path.read_text("utf-8"))
    trigger = workflow[True]["pull_request"]  # YAML 1.1 reads the key `on` as True
    assert "prompts/**" in trigger["paths"]
    steps = workflow["jobs"]["check"]["steps"]
    script = "\n".join(str(s.get("run", "")) + str(s.get("with", "")) for s in steps)
    assert "promptcompat check --base" in script and "--markdown-out promptcompat.md" in script
    assert any(s.get("uses", "").startswith("actions/github-script") for s in steps)
    assert workflow["permissions"]["pull-requests"] == "write"


def test_pinning_a_drifting_model_reports_the_loop_step_from_the_committed_snapshots(
    tmp_path: Path, sim: SimulatorProcess
) -> None:
    """The committed ``snapshots/plan_trip`` carry each agent loop's steps, so a PR that pins
    the drifting model is held to the baseline's trajectory, not only to its last answer."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "prompts", repo / "prompts")
    shutil.copytree(REPO / "snapshots" / "plan_trip", repo / "snapshots" / "plan_trip")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "the example suite and plan_trip's accepted snapshots")
    git(repo, "checkout", "-q", "-b", "pr")
    yaml = repo / "prompts" / "plan_trip" / "prompt.yaml"
    old, new = "claude-sim-3-5-20241022", "claude-sim-4-20250514"
    yaml.write_text(
        yaml.read_text("utf-8").replace(f"pinned: anthropic:{old}", f"pinned: anthropic:{new}"),
        "utf-8",
    )
    commit(repo, "pin the new model")

    env = cli_env(home=tmp_path / "home", prompts=repo / "prompts", sim=sim)
    done, result, markdown, _ = check(repo, {**env, "CI": "true"}, "--write-snapshots")

    assert done.returncode == 1, done.stdout + done.stderr
    found = {
        (c["case_id"], f["rule"]): f["message"] for c in result["cases"] for f in c["findings"]
    }
    # Both loops end in the baseline's answer text; only their first steps drift.
    for case_id, rule in (
        ("lima-time-loop", "tool.text_instead_of_call"),
        ("paris-loop", "tool.argument_removed"),
    ):
        assert found[case_id, rule].startswith("step 1 of the agent loop"), found
    assert "step 1 of the agent loop" in markdown
    # The new model's loops wait for review with their steps (what accepting stores).
    pending = snapshot_files.load(
        repo / "snapshots",
        snapshot_files.pending_path(
            repo / "snapshots", "plan_trip", "v1", f"anthropic:{new}?temperature=0"
        ),
    )
    [lima] = pending.cases["lima-time-loop"]
    assert len(lima.steps) == 1 and lima.steps[0].output == lima.output
