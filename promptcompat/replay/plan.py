"""Expanding a run into comparisons and into the provider calls they need."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from promptcompat.errors import ConfigError, TemplateError
from promptcompat.store.tables.run_spec import ComparisonSpec, Direction, SideSpec
from promptcompat.suite import Message, Prompt, Suite
from promptcompat.suite.agent_loops import AgentLoop
from promptcompat.suite.rendering import render_messages
from promptcompat.suite.targets import Target, parse_target
from promptcompat.suite.turns import message_json
from promptcompat.suite.types import RequestOptions

NO_OPTIONS = RequestOptions()

FORWARD_MODES = {"FORWARD", "FULL", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE", "NONE"}
BACKWARD_MODES = {"BACKWARD", "FULL", "BACKWARD_TRANSITIVE", "FULL_TRANSITIVE", "NONE"}
FORWARD_TRANSITIVE_MODES = {"FORWARD_TRANSITIVE", "FULL_TRANSITIVE"}
BACKWARD_TRANSITIVE_MODES = {"BACKWARD_TRANSITIVE", "FULL_TRANSITIVE"}
AcceptedTargets = Callable[[str, str], Sequence[str]]
"""(prompt, version) -> labels of the targets with accepted baselines for that version."""


@dataclass(frozen=True)
class Side:
    version: str
    target: Target
    resample: bool = False
    """A/A: this side draws fresh samples (indexes K..2K-1 for K samples), so it differs
    from a baseline of the same version and target only by sampling."""
    accepted_only: bool = False
    """An earlier accepted model (FORWARD_TRANSITIVE): read from its accepted baselines,
    never called (it may be retired)."""

    def to_spec(self) -> SideSpec:
        return SideSpec(
            version=self.version,
            target=self.target.label,
            resample=self.resample,
            accepted_only=self.accepted_only,
        )

    @classmethod
    def from_spec(cls, spec: SideSpec) -> Side:
        return cls(
            version=spec.version,
            target=target_from_label(spec.target),
            resample=spec.resample,
            accepted_only=spec.accepted_only,
        )

    def sample_index(self, sample: int, samples: int) -> int:
        """The stored sample index of this side's ``sample``-th sample."""
        return sample + samples if self.resample else sample


@dataclass(frozen=True)
class Comparison:
    """Candidate against baseline for every case of one prompt."""

    prompt: str
    direction: Direction
    baseline: Side
    candidate: Side

    def to_spec(self) -> ComparisonSpec:
        """As a run's spec stores it (targets as labels)."""
        return ComparisonSpec(
            prompt=self.prompt,
            direction=self.direction,
            baseline=self.baseline.to_spec(),
            candidate=self.candidate.to_spec(),
        )

    @classmethod
    def from_spec(cls, spec: ComparisonSpec) -> Comparison:
        """The inverse of :meth:`to_spec`."""
        return cls(
            prompt=spec.prompt,
            direction=spec.direction,
            baseline=Side.from_spec(spec.baseline),
            candidate=Side.from_spec(spec.candidate),
        )


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
    options: RequestOptions = NO_OPTIONS
    """Tools and structured output the version asks for (empty for plain prompts)."""
    loop: AgentLoop | None = None
    """Set: the call is an agent loop whose first step is ``messages`` (``key`` is the
    loop's, each step has its own: ``step_key``)."""
    source: str = ""
    """Where the case was defined (what a loop's problems name)."""

    def step_key(self, messages: Sequence[Message]) -> str:
        """The cache key of one step of this call's loop: an ordinary call's key."""
        return cache_key(
            self.target, messages, sample=self.sample, seed=self.seed, options=self.options
        )


def target_from_label(label: str) -> Target:
    """The target a label names. Labels leave connection details out, so an
    ``openai-compatible`` label (which needs a base_url to be called) still parses here."""
    try:
        return parse_target(label)
    except ConfigError:
        provider, _, rest = label.partition(":")
        if provider != "openai-compatible":
            raise
        parsed = parse_target(f"openai:{rest}")
        return Target("openai-compatible", parsed.model, parsed.params)


def plan_comparisons(
    suite: Suite,
    *,
    prompts: Sequence[str] = (),
    baseline: str | None = None,
    candidate: str | None = None,
    candidate_version: str | None = None,
    aa: bool = False,
    accepted_targets: AcceptedTargets | None = None,
) -> list[Comparison]:
    """The comparisons a run makes.

    With no targets given, each prompt's own declaration decides (PRODUCT.md section 3):
    FORWARD runs the deployed version on every candidate model against the pinned model;
    BACKWARD runs every version newer than the deployed one on the pinned model against the
    deployed version. The ``*_TRANSITIVE`` modes add, FORWARD, the deployed version on every
    earlier accepted model (``accepted_targets``: targets with accepted baselines for it) as
    a further baseline, and BACKWARD, every earlier version on the pinned model. NONE plans
    both directions; the report never lets them decide the exit code.

    ``--baseline``/``--candidate`` replace the pinned and candidate targets;
    ``--candidate-version`` checks that version BACKWARD instead of the newer ones; ``aa``
    plans only A/A comparisons: the deployed version on the pinned (or ``--baseline``) model
    against fresh samples of itself, which measures the noise floor.
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
        if aa:
            comparisons.append(_aa(prompt.name, deployed))
            continue
        if prompt.mode in FORWARD_MODES and candidate_version is None:
            earlier: list[Side] = []
            if prompt.mode in FORWARD_TRANSITIVE_MODES and accepted_targets is not None:
                labels = sorted(set(accepted_targets(prompt.name, prompt.deployed)))
                earlier = [
                    Side(prompt.deployed, target_from_label(label), accepted_only=True)
                    for label in labels
                    if label != pinned.label
                ]
            for spec in [candidate] if candidate else list(prompt.candidates):
                target = parse_target(spec)
                cand = Side(prompt.deployed, target)
                comparisons.append(Comparison(prompt.name, "FORWARD", deployed, cand))
                comparisons.extend(
                    Comparison(prompt.name, "FORWARD", side, cand)
                    for side in earlier
                    if side.target.label != target.label
                )
        if prompt.mode in BACKWARD_MODES and candidate is None:
            transitive = prompt.mode in BACKWARD_TRANSITIVE_MODES
            names = list(prompt.versions)
            for version in _newer_versions(prompt, candidate_version):
                cand = Side(version, pinned)
                comparisons.append(Comparison(prompt.name, "BACKWARD", deployed, cand))
                if transitive:
                    comparisons.extend(
                        Comparison(prompt.name, "BACKWARD", Side(older, pinned), cand)
                        for older in names[: names.index(version)]
                        if older != prompt.deployed
                    )
    return comparisons


def _aa(prompt: str, side: Side) -> Comparison:
    return Comparison(prompt, "AA", side, Side(side.version, side.target, resample=True))


def _newer_versions(prompt: Prompt, only: str | None) -> list[str]:
    if only is not None:
        return [only] if only != prompt.deployed else []
    names = list(prompt.versions)
    return names[names.index(prompt.deployed) + 1 :]


def cache_key(
    target: Target,
    messages: Sequence[Message],
    *,
    sample: int,
    seed: int | None,
    options: RequestOptions | None = None,
) -> str:
    """Hash of exactly what changes the output (never the host, timeouts or retries).

    Tools, structured output and tool calls in a history are part of it only when present, so
    a plain text request keeps the key it always had.
    """
    material: dict[str, Any] = {
        "provider": "openai" if target.provider == "openai-compatible" else target.provider,
        "model": target.model,
        "params": dict(target.params),
        "seed": seed,
        "sample": sample,
        "messages": [message_json(m) for m in messages],
    }
    if options is not None and not options.empty:
        material["options"] = options.canonical()
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def loop_key(step_key: str, loop: AgentLoop) -> str:
    """The key of a whole loop: its first step's and what answers its tool calls."""
    blob = json.dumps(
        {"first_step": step_key, "loop": loop.canonical()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
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
            if side.accepted_only:
                continue
            version = prompt.versions[side.version]
            for case in prompt.cases:
                error: TemplateError | None = None
                try:
                    messages = render_messages(version, case, max_chars=max_rendered_chars)
                except TemplateError as exc:
                    error, messages = exc, ()
                for index in range(samples):
                    sample = side.sample_index(index, samples)
                    ident = (prompt.name, side.version, side.target.label, case.id, sample)
                    if ident in seen:
                        continue
                    # A case with fixtures in a prompt with max_steps is an agent loop.
                    loop = (
                        AgentLoop(case.fixtures, prompt.max_steps)
                        if prompt.max_steps is not None and case.fixtures
                        else None
                    )
                    base_seed = side.target.sampling.get("seed")
                    # With several samples a fixed seed would make them identical copies.
                    seed = None if base_seed is None else int(base_seed) + sample
                    key = (
                        cache_key(
                            side.target,
                            messages,
                            sample=sample,
                            seed=seed,
                            options=version.options,
                        )
                        if error is None
                        else "render-error:" + ":".join(map(str, ident))
                    )
                    if loop is not None and error is None:
                        key = loop_key(key, loop)
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
                        options=version.options,
                        loop=loop,
                        source=case.source,
                    )
    return list(seen.values())
