"""A prompt suite answered by a scripted endpoint: real-shaped outputs through the real CLI.

Each prompt renders its case's ``q`` as the user message; the loopback endpoint answers it per
model from a table, ``(model, q) -> text`` (or ``(text, finish_reason)`` for a cut-off
answer). ``run_suite`` runs ``promptcompat run`` on the old model against the new one and
returns the JSON report, so a test sees the verdicts the way a user does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from clirun import cli
from loopback import Endpoint

OLD, NEW = "old-model", "new-model"
Answer = str | tuple[str, str]


@dataclass
class ScriptedPrompt:
    cases: dict[str, str]
    """case id -> the user message (the instruction the model answers)."""
    old: dict[str, Answer]
    """case id -> the old model's answer."""
    new: dict[str, Answer]
    contract: dict[str, Any] | None = None
    references: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, list[str]] = field(default_factory=dict)
    """case id -> the case's key facts (``facts:``)."""
    rules: dict[str, str] | None = None
    system: str | None = None
    provider: str = "openai-compatible"
    """or ``anthropic`` (the Anthropic SDK against the same endpoint)."""


@dataclass
class RunResult:
    returncode: int
    stdout: str
    report: dict[str, Any]

    def case(self, prompt: str, case_id: str) -> dict[str, Any]:
        found = [
            c for c in self.report["cases"] if c["prompt"] == prompt and c["case_id"] == case_id
        ]
        assert len(found) == 1, (prompt, case_id, found)
        return found[0]

    def verdict(self, prompt: str, case_id: str) -> str:
        return str(self.case(prompt, case_id)["verdict"])

    def rules(self, prompt: str, case_id: str, *severities: str) -> set[str]:
        wanted = severities or ("ERR", "WARN", "INFO")
        return {
            f["rule"] for f in self.case(prompt, case_id)["findings"] if f["severity"] in wanted
        }

    def finding(self, prompt: str, case_id: str, rule: str) -> dict[str, Any]:
        found = [f for f in self.case(prompt, case_id)["findings"] if f["rule"] == rule]
        assert found, (rule, self.case(prompt, case_id)["findings"])
        return found[0]


def _target(provider: str, model: str, url: str) -> str:
    if provider == "anthropic":
        origin = url.removesuffix("/v1")
        return f"anthropic:{model}?temperature=0&base_url={origin}&api_key_env=SCRIPTED_KEY"
    return f"openai-compatible:{model}?temperature=0&base_url={url}&api_key=none"


def write_suite(root: Path, prompts: Mapping[str, ScriptedPrompt], url: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, spec in prompts.items():
        folder = root / name
        (folder / "versions").mkdir(parents=True)
        doc: dict[str, Any] = {
            "description": f"scripted {name}",
            "mode": "FORWARD",
            "deployed": "v1",
            "targets": {
                "pinned": _target(spec.provider, OLD, url),
                "candidates": [_target(spec.provider, NEW, url)],
            },
            "cases": [
                {"id": cid, "vars": {"q": q}}
                | ({"reference": spec.references[cid]} if cid in spec.references else {})
                | ({"facts": spec.facts[cid]} if cid in spec.facts else {})
                for cid, q in spec.cases.items()
            ],
        }
        if spec.contract is not None:
            doc["contract"] = spec.contract
        if spec.rules is not None:
            doc["rules"] = spec.rules
        (folder / "prompt.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, width=10_000))
        messages = [{"role": "user", "content": "{{ q }}"}]
        if spec.system is not None:
            messages.insert(0, {"role": "system", "content": spec.system})
        version = {"variables": ["q"], "messages": messages}
        (folder / "versions" / "v1.yaml").write_text(yaml.safe_dump(version, sort_keys=False))


def run_suite(
    tmp_path: Path, prompts: Mapping[str, ScriptedPrompt], *extra: str, samples: int = 1
) -> RunResult:
    by_question: dict[tuple[str, str], Answer] = {}
    for spec in prompts.values():
        for cid, q in spec.cases.items():
            by_question[OLD, q] = spec.old[cid]
            by_question[NEW, q] = spec.new[cid]

    def script(model: str, messages: list[dict[str, str]]) -> tuple[str, str]:
        answer = by_question[model, messages[-1]["content"]]
        return (answer, "stop") if isinstance(answer, str) else answer

    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    env |= {
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(tmp_path / "suite"),
        "COLUMNS": "200",
        "SCRIPTED_KEY": "sk-scripted",
    }
    out = tmp_path / "report.json"
    with Endpoint(script=script) as endpoint:
        write_suite(tmp_path / "suite", prompts, endpoint.url)
        done = cli(
            "run",
            "--samples",
            str(samples),
            "--json-out",
            str(out),
            *extra,
            env=env,
            cwd=tmp_path,
        )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return RunResult(done.returncode, done.stdout, json.loads(out.read_text()))
