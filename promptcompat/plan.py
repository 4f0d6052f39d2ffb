"""Expanding a run into comparisons and into the provider calls they need."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from promptcompat.errors import ConfigError, TemplateError
from promptcompat.render import render_messages
from promptcompat.suite import Message, Prompt, Suite
from promptcompat.targets import Target, parse_target

Direction = Literal["FORWARD", "BACKWARD"]
FORWARD_MODES = {"FORWARD", "FULL", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE", "NONE"}
BACKWARD_MODES = {"BACKWARD", "FULL", "BACKWARD_TRANSITIVE", "FULL_TRANSITIVE", "NONE"}


@dataclass(frozen=True)
class Side:
    version: str
    target: Target

    def to_dict(self) -> dict[str, str]:
        return {"version": self.version, "target": self.target.label}


@dataclass(frozen=True)
class Comparison:
    """Candidate against baseline for every case of one prompt."""

    prompt: str
    direction: Direction
    baseline: Side
    candidate: Side

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "direction": self.direction,
            "baseline": self.baseline.to_dict(),
            "candidate": self.candidate.to_dict(),
        }


@dataclass(frozen=True)
class PlannedCall:
    key: str
    prompt: str
    version: str
    case_id: str
    target: Target
    sample: int
    seed: int | None
    messages: tuple[Message, ...]
    render_error: TemplateError | None = None


def plan_comparisons(
    suite: Suite,
    *,
    prompts: Sequence[str] = (),
    baseline: str | None = None,
    candidate: str | None = None,
    candidate_version: str | None = None,
) -> list[Comparison]:
    """The comparisons a run makes.

    With no targets given, each prompt's own declaration decides: FORWARD runs the deployed
    version on every candidate model against the pinned model; BACKWARD runs every version
    newer than the deployed one on the pinned model against the deployed version.
    ``--baseline``/``--candidate`` replace the pinned and candidate targets;
    ``--candidate-version`` checks that version BACKWARD instead of the newer ones.
    """
    unknown = [name for name in prompts if name not in suite.prompts]
    if unknown:
        raise ConfigError(
            f"no prompt named {', '.join(unknown)}; known: {', '.join(suite.prompts)}",
            where=str(suite.root),
        )
    chosen = [suite.prompts[n] for n in (prompts or list(suite.prompts))]
    comparisons: list[Comparison] = []
    for prompt in chosen:
        pinned = parse_target(baseline or prompt.pinned)
        deployed = Side(prompt.deployed, pinned)
        if candidate_version is not None and candidate_version not in prompt.versions:
            raise ConfigError(
                f"{prompt.name} has no version {candidate_version!r}", where=str(prompt.path)
            )
        if prompt.mode in FORWARD_MODES and candidate_version is None:
            specs = [candidate] if candidate else list(prompt.candidates)
            for spec in specs:
                target = parse_target(spec)
                comparisons.append(
                    Comparison(prompt.name, "FORWARD", deployed, Side(prompt.deployed, target))
                )
        if prompt.mode in BACKWARD_MODES and candidate is None:
            for version in _newer_versions(prompt, candidate_version):
                comparisons.append(
                    Comparison(prompt.name, "BACKWARD", deployed, Side(version, pinned))
                )
    return comparisons


def _newer_versions(prompt: Prompt, only: str | None) -> list[str]:
    if only is not None:
        return [only] if only != prompt.deployed else []
    names = list(prompt.versions)
    return names[names.index(prompt.deployed) + 1 :]


def cache_key(target: Target, messages: Sequence[Message], *, sample: int, seed: int | None) -> str:
    """Hash of exactly what changes the output (never the host, timeouts or retries)."""
    material = {
        "provider": "openai" if target.provider == "openai-compatible" else target.provider,
        "model": target.model,
        "params": dict(target.params),
        "seed": seed,
        "sample": sample,
        "messages": [[m.role, m.content] for m in messages],
    }
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def expand_calls(
    suite: Suite,
    comparisons: Iterable[Comparison],
    *,
    samples: int,
    max_rendered_chars: int,
) -> list[PlannedCall]:
    """Every distinct call the comparisons need; a case that cannot render is kept as an error."""
    seen: dict[tuple[str, str, str, str, int], PlannedCall] = {}
    for comp in comparisons:
        prompt = suite.prompts[comp.prompt]
        for side in (comp.baseline, comp.candidate):
            version = prompt.versions[side.version]
            for case in prompt.cases:
                error: TemplateError | None = None
                try:
                    messages = render_messages(version, case, max_chars=max_rendered_chars)
                except TemplateError as exc:
                    error, messages = exc, ()
                for sample in range(samples):
                    ident = (prompt.name, side.version, side.target.label, case.id, sample)
                    if ident in seen:
                        continue
                    base_seed = side.target.sampling.get("seed")
                    # With several samples a fixed seed would make them identical copies.
                    seed = None if base_seed is None else int(base_seed) + sample
                    key = (
                        cache_key(side.target, messages, sample=sample, seed=seed)
                        if error is None
                        else "render-error:" + ":".join(map(str, ident))
                    )
                    seen[ident] = PlannedCall(
                        key=key,
                        prompt=prompt.name,
                        version=side.version,
                        case_id=case.id,
                        target=side.target,
                        sample=sample,
                        seed=seed,
                        messages=messages,
                        render_error=error,
                    )
    return list(seen.values())
