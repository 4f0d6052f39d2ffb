"""The judge: an optional model that says whether a changed free-text answer still means the
same, asked only where no deterministic rule decided the case.

The question is fixed and versioned (:data:`QUESTION_VERSION`, part of every judge call's
cache key): does the candidate convey everything the baseline conveys that matters to the
prompt's consumer (the prompt's ``description``), and nothing that contradicts it? It is asked
in both orders (baseline shown first, then candidate shown first: position bias shows as the
two orders disagreeing), K times each (``judge_samples``), as structured output
(``providers.structured``: OpenAI ``json_schema``, Anthropic a forced tool). Per order the
majority of its K answers counts; orders that disagree make the pair *undecided*.

Judge calls are calls like any other: the replay engine runs them (cache first, retries, rate
limits, prices), linked to the run, so a rerun makes none and the report counts their cost.
Findings: ``meaning.judge_differs`` (the judge's stated differences, with the rate k of 2K),
ERR only when the judge's latest calibration reached ``judge_min_kappa``; else, like
``meaning.judge_undecided``, INFO on a case that is CHANGED: it cannot fail CI.

A second question (:data:`FACT_QUESTION_VERSION`, its own schema) asks whether an answer
conveys one key fact of the case (``facts:``) that the fact diff could not decide; the key
fact plays the baseline's part (shown first or second), the candidate answer the other. A key
fact the judge finds missing is ``meaning.key_fact_missing``, gated by the same calibration.
A ``semantic`` JSON field the judge finds equivalent has its ``json.value_changed`` WARN
demoted to INFO ("judged equivalent"): a reworded summary is not CHANGED for its wording.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from promptcompat import store
from promptcompat.compat.contract_checks import json_path
from promptcompat.compat.evaluation import finding_row
from promptcompat.config import Settings
from promptcompat.providers import Provider
from promptcompat.providers.structured import Schema, StructuredProvider
from promptcompat.replay import replay
from promptcompat.replay.plan import PlannedCall, cache_key
from promptcompat.replay.ratelimit import make_limiter
from promptcompat.rules import Finding, rule
from promptcompat.store import judging, session_scope

# The question versions live beside the calibrations (the report reads them); re-exported.
from promptcompat.store.judging import FACT_QUESTION_VERSION as FACT_QUESTION_VERSION
from promptcompat.store.judging import QUESTION_VERSION as QUESTION_VERSION
from promptcompat.store.tables.core import COVERAGE_KEY, CaseResult, FindingRecord
from promptcompat.suite import Message, Suite
from promptcompat.suite.json_path import parse_json_path
from promptcompat.suite.targets import Target, parse_target

JUDGE_KEY = "judge"
"""Where a case result's ``structural_diff`` keeps the judge's verdict and figures."""
JUDGE_FIELDS_KEY = "judge_fields"
"""The same per JSON field marked ``semantic`` (by path)."""
JUDGE_FACTS_KEY = "judge_facts"
"""The judge's answer per undecided key fact (by statement), in ``structural_diff``."""

PairKind = Literal["answer", "key_fact"]

Order = Literal["baseline_first", "candidate_first"]
ORDERS: tuple[Order, ...] = ("baseline_first", "candidate_first")
JudgeVerdict = Literal["equivalent", "different", "undecided"]

SCHEMA = Schema(
    name="judge_verdict",
    description="Whether the candidate answer conveys what the baseline answer conveys.",
    schema={
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": ["equivalent", "different"]},
            "differences": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Each fact the candidate drops, changes or contradicts; "
                "empty when equivalent.",
            },
        },
        "required": ["verdict", "differences"],
        "additionalProperties": False,
    },
)

SYSTEM = (
    "You compare two answers a model gave to the same request: a BASELINE (the answer its "
    "users rely on today) and a CANDIDATE (a new answer). Decide whether the candidate "
    "conveys everything the baseline conveys that matters to the consumer of these answers, "
    "and nothing that contradicts it. Wording, order, formatting and harmless additions do not "
    "matter; changed numbers, dates, names, negations, dropped or invented facts do. Answer "
    "with verdict 'equivalent' or 'different' and list each difference that matters."
)

FORM_ONLY = frozenset(
    {
        "text.changed",
        "drift.verbosity",
        "drift.format_changed",
        "drift.code_fence_removed",
        "budget.output_tokens",
        "budget.cost",
        "budget.latency",
        "model.served_changed",
        "model.fingerprint_changed",
        "request.variable_removed",
        "waiver.expired",
    }
)
"""Rules whose findings say nothing about meaning: a case with only these (at any severity)
and findings at INFO is one no deterministic rule decided."""

FACT_SCHEMA = Schema(
    name="key_fact_verdict",
    description="Whether the answer conveys the key fact.",
    schema={
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": ["conveyed", "missing"]},
            "reason": {
                "type": "string",
                "description": "One line: where the answer says it, or what it says instead.",
            },
        },
        "required": ["verdict", "reason"],
        "additionalProperties": False,
    },
)

FACT_SYSTEM = (
    "You check whether an ANSWER a model gave conveys a KEY FACT its consumer relies on. "
    "'conveyed': the answer states the key fact or plainly implies it, in any wording. "
    "'missing': the answer does not say it, or says something that contradicts it. Answer with "
    "verdict 'conveyed' or 'missing' and a one-line reason."
)

T = TypeVar("T")


def question(description: str, baseline: str, candidate: str, order: Order) -> tuple[Message, ...]:
    """The judge's messages for one order of a pair."""
    consumer = description.strip() or "(the prompt has no description)"
    blocks = [f"<baseline>\n{baseline}\n</baseline>", f"<candidate>\n{candidate}\n</candidate>"]
    if order == "candidate_first":
        blocks.reverse()
    user = (
        f"What the answers are for (the prompt's description): {consumer}\n\n"
        + "\n\n".join(blocks)
        + "\n\nDoes the candidate convey everything the baseline conveys that matters here, "
        "and nothing that contradicts it?"
    )
    return Message("system", SYSTEM), Message("user", user)


def fact_question(
    description: str, statement: str, answer: str, order: Order
) -> tuple[Message, ...]:
    """The judge's messages for one order of a key fact: ``baseline_first`` shows the key fact
    first, ``candidate_first`` the answer first."""
    consumer = description.strip() or "(the prompt has no description)"
    blocks = [f"<key_fact>\n{statement}\n</key_fact>", f"<answer>\n{answer}\n</answer>"]
    if order == "candidate_first":
        blocks.reverse()
    user = (
        f"What the answer is for (the prompt's description): {consumer}\n\n"
        + "\n\n".join(blocks)
        + "\n\nDoes the answer convey the key fact?"
    )
    return Message("system", FACT_SYSTEM), Message("user", user)


def judge_key(
    target: Target,
    messages: Sequence[Message],
    *,
    sample: int,
    seed: int | None,
    version: str = QUESTION_VERSION,
) -> str:
    """The cache key of a judge call: the call's own key, with the question version in it."""
    inner = cache_key(target, messages, sample=sample, seed=seed)
    return hashlib.sha256(f"{version}|{inner}".encode()).hexdigest()


@dataclass(frozen=True)
class Pair:
    """One pair to judge: where it comes from, the prompt's description and the two texts."""

    ident: str
    """The case result id (or a labelled pair's line)."""
    prompt: str
    case_id: str
    description: str
    baseline: str
    candidate: str
    path: str | None = None
    """A JSON field marked ``semantic`` (its values are the texts), or None: the whole output."""
    kind: PairKind = "answer"
    """``key_fact``: ``baseline`` is a key fact of the case, asked with the key-fact question."""

    @property
    def version(self) -> str:
        return FACT_QUESTION_VERSION if self.kind == "key_fact" else QUESTION_VERSION


def plan_pair(pair: Pair, target: Target, *, samples: int) -> dict[Order, list[PlannedCall]]:
    """The 2 x ``samples`` calls of a pair, per order (sample indexes 0..2K-1)."""
    planned: dict[Order, list[PlannedCall]] = {}
    base_seed = target.sampling.get("seed")
    ask = fact_question if pair.kind == "key_fact" else question
    for o, order in enumerate(ORDERS):
        messages = ask(pair.description, pair.baseline, pair.candidate, order)
        calls = []
        for k in range(samples):
            sample = o * samples + k
            seed = None if base_seed is None else int(base_seed) + sample
            calls.append(
                PlannedCall(
                    key=judge_key(target, messages, sample=sample, seed=seed, version=pair.version),
                    prompt=pair.prompt,
                    version=pair.version,
                    case_id=pair.case_id,
                    target=target,
                    sample=sample,
                    seed=seed,
                    messages=messages,
                )
            )
        planned[order] = calls
    return planned


@dataclass(frozen=True)
class Answer:
    verdict: Literal["equivalent", "different"]
    differences: tuple[str, ...]


def parse_answer(text: str, kind: PairKind = "answer") -> Answer | None:
    """A stored judge answer; None when it does not hold the schema's object. A key-fact
    answer reads as the pair's: "missing" is "different", its reason the difference."""
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if kind == "key_fact":
        if not isinstance(obj, dict) or obj.get("verdict") not in ("conveyed", "missing"):
            return None
        reason = str(obj.get("reason") or "").strip()
        if obj["verdict"] == "conveyed":
            return Answer("equivalent", ())
        return Answer("different", (reason,) if reason else ())
    if not isinstance(obj, dict) or obj.get("verdict") not in ("equivalent", "different"):
        return None
    raw = obj.get("differences") or []
    differences = tuple(str(d) for d in raw) if isinstance(raw, list) else ()
    return Answer(obj["verdict"], differences)


@dataclass
class Judgement:
    """What the judge said about one pair, over both orders and K samples each."""

    verdict: JudgeVerdict
    samples: int
    """K."""
    different: dict[str, int] = field(default_factory=dict)
    """Per order: how many of its answers said different."""
    answered: dict[str, int] = field(default_factory=dict)
    """Per order: how many of its calls gave a usable answer."""
    differences: list[str] = field(default_factory=list)
    """The differences the judge stated, most often stated first."""
    errors: list[str] = field(default_factory=list)

    @property
    def hits(self) -> int:
        return sum(self.different.values())

    @property
    def total(self) -> int:
        return 2 * self.samples

    @property
    def order_consistent(self) -> bool:
        return self.verdict != "undecided"

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "samples": self.samples,
            "different": dict(self.different),
            "answered": dict(self.answered),
            "differences": list(self.differences),
            "errors": list(self.errors),
            "rate": f"{self.hits}/{self.total}",
        }


def decide(answers: dict[Order, list[Answer | None]], *, samples: int) -> Judgement:
    """Majority per order; both orders must agree, else undecided (a tie is undecided too)."""
    judgement = Judgement(verdict="undecided", samples=samples)
    by_order: dict[Order, JudgeVerdict] = {}
    stated: dict[str, int] = {}
    for order in ORDERS:
        usable = [a for a in answers.get(order, []) if a is not None]
        different = sum(a.verdict == "different" for a in usable)
        judgement.different[order], judgement.answered[order] = different, len(usable)
        if not usable or different * 2 == len(usable):
            by_order[order] = "undecided"
        else:
            by_order[order] = "different" if different * 2 > len(usable) else "equivalent"
        for a in usable:
            if a.verdict == "different":
                for d in a.differences:
                    stated[d] = stated.get(d, 0) + 1
    first, second = by_order[ORDERS[0]], by_order[ORDERS[1]]
    judgement.verdict = first if first == second else "undecided"
    judgement.differences = sorted(stated, key=lambda d: (-stated[d], d))
    return judgement


@dataclass(frozen=True)
class Trust:
    """Whether the judge's findings may fail CI: its latest calibration, against the bar."""

    calibrated: bool
    kappa: float | None
    min_kappa: float
    pairs: int = 0
    at: str | None = None

    @property
    def trusted(self) -> bool:
        return self.kappa is not None and self.kappa >= self.min_kappa

    def note(self) -> str:
        if not self.calibrated:
            return "judge not calibrated (`promptcompat judge calibrate`): cannot fail CI"
        kappa = "n/a" if self.kappa is None else f"{self.kappa:.2f}"
        return f"judge calibrated on {self.pairs} pairs: kappa {kappa}" + (
            "" if self.trusted else f" < {self.min_kappa:.2f}, cannot fail CI"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "calibrated": self.calibrated,
            "kappa": self.kappa,
            "min_kappa": self.min_kappa,
            "pairs": self.pairs,
            "at": self.at,
            "trusted": self.trusted,
        }


def trust_of(session: Session, judge: str, settings: Settings, project: str | None = None) -> Trust:
    found = judging.latest_calibration(
        session=session, judge=judge, question=QUESTION_VERSION, project=project
    )
    if found is None:
        return Trust(calibrated=False, kappa=None, min_kappa=settings.judge_min_kappa)
    return Trust(
        calibrated=True,
        kappa=found.kappa,
        min_kappa=settings.judge_min_kappa,
        pairs=found.pairs,
        at=found.calibrated_at.isoformat(),
    )


def judge_findings(
    judgement: Judgement, *, judge: str, trust: Trust, path: str | None = None
) -> list[Finding]:
    """The findings a judgement makes (none when the judge finds the pair equivalent)."""
    return _verdict_findings(
        judgement,
        trust=trust,
        path=path,
        rate=_rate(judgement, "said different", "baseline first", "candidate first"),
        differs="meaning.judge_differs",
        differs_says=lambda stated, rate: (
            f"the judge ({judge}, {QUESTION_VERSION}) finds: "
            f"{stated or 'no difference named'}; {rate}; {trust.note()}"
        ),
        named=5,
        undecided_says=lambda why, rate: (
            f"the judge ({judge}, {QUESTION_VERSION}) is undecided: {why}; {rate}"
        ),
        order_matters="its verdict depends on which answer it reads first",
    )


def key_fact_findings(
    judgement: Judgement, statement: str, *, judge: str, trust: Trust
) -> list[Finding]:
    """The findings the judge's answer about one undecided key fact makes (none when it finds
    the fact conveyed): missing is ERR only from a judge calibrated above the bar."""
    asked = f"the judge ({judge}, {FACT_QUESTION_VERSION})"
    return _verdict_findings(
        judgement,
        trust=trust,
        path=None,
        rate=_rate(judgement, "said missing", "key fact first", "answer first"),
        differs="meaning.key_fact_missing",
        differs_says=lambda why, rate: (
            f"{asked} finds key fact {statement!r} missing: "
            f"{why or 'no reason given'}; {rate}; {trust.note()}"
        ),
        named=3,
        undecided_says=lambda why, rate: (
            f"{asked} is undecided on key fact {statement!r}: {why}; {rate}"
        ),
        order_matters="its answer depends on which text it reads first",
    )


def _rate(judgement: Judgement, said: str, first: str, second: str) -> str:
    """How many of the judge's answers said so, per order of the two texts shown."""
    return (
        f"{judgement.hits}/{judgement.total} answers {said} "
        f"({judgement.different.get('baseline_first', 0)}/{judgement.samples} {first}, "
        f"{judgement.different.get('candidate_first', 0)}/{judgement.samples} {second})"
    )


def _verdict_findings(
    judgement: Judgement,
    *,
    trust: Trust,
    path: str | None,
    rate: str,
    differs: str,
    differs_says: Callable[[str, str], str],
    named: int,
    undecided_says: Callable[[str, str], str],
    order_matters: str,
) -> list[Finding]:
    """The one finding of a "different" verdict (rule ``differs``, its severity only from a
    trusted judge; ``differs_says`` is given the first ``named`` stated differences, joined)
    or of an "undecided" one (``undecided_says`` is given why: the calls' errors when no
    call answered, else ``order_matters``); none when the judge finds no difference."""
    if judgement.verdict == "different":
        r = rule(differs)
        severity = r.severity if trust.trusted else "INFO"
        message = differs_says("; ".join(judgement.differences[:named]), rate)
    elif judgement.verdict == "undecided":
        r = rule("meaning.judge_undecided")
        severity = r.severity
        why = (
            "; ".join(judgement.errors[:2])
            if judgement.errors and not any(judgement.answered.values())
            else order_matters
        )
        message = undecided_says(why, rate)
    else:
        return []
    return [
        Finding(r.id, severity, message, path=path, hits=judgement.hits, samples=judgement.total)
    ]


def undecided_by_rules(verdict: str, findings: Sequence[FindingRecord | Finding]) -> bool:
    """True when no deterministic rule decided the case: only form-only rules and INFO."""
    if verdict not in ("COMPATIBLE", "CHANGED"):
        return False
    return all(f.severity == "INFO" or f.rule in FORM_ONLY for f in findings)


def judge_factory(target: Target, settings: Settings) -> Provider:
    """The replay engine's provider for judge targets: structured answers of :data:`SCHEMA`."""
    return StructuredProvider(target, settings, schema=SCHEMA)


def fact_judge_factory(target: Target, settings: Settings) -> Provider:
    """The same for the key-fact question: structured answers of :data:`FACT_SCHEMA`."""
    return StructuredProvider(target, settings, schema=FACT_SCHEMA)


async def judge_pairs(
    pairs: Sequence[Pair],
    *,
    target: Target,
    engine: Engine,
    settings: Settings,
    run_id: str | None,
    shared_limits: bool = False,
) -> dict[str, Judgement]:
    """Judge every pair (cache first): by pair ident. ``shared_limits``: wait in the rate
    limits every worker shares (Redis) rather than this process's own."""
    planned = {p.ident: plan_pair(p, target, samples=settings.judge_samples) for p in pairs}
    kinds = {p.ident: p.kind for p in pairs}
    calls = [c for by_order in planned.values() for group in by_order.values() for c in group]
    if not calls:
        return {}
    limiter = make_limiter(settings, shared=shared_limits)
    try:
        # One replay per question: the provider is built per target with one schema.
        for kind, factory in (("answer", judge_factory), ("key_fact", fact_judge_factory)):
            batch = [
                c
                for ident, by_order in planned.items()
                if kinds[ident] == kind
                for group in by_order.values()
                for c in group
            ]
            if batch:
                await replay(
                    batch,
                    engine=engine,
                    run_id=run_id,
                    settings=settings,
                    provider_factory=factory,
                    limiter=limiter,
                )
    finally:
        if limiter is not None:
            await limiter.aclose()
    with session_scope(engine) as session:
        rows = store.result_rows(session=session, keys=sorted({c.key for c in calls}))
        texts = store.load_texts(
            session=session,
            hashes=sorted({r.snapshot_hash for r in rows.values() if r.snapshot_hash}),
        )
    out: dict[str, Judgement] = {}
    for ident, by_order in planned.items():
        answers: dict[Order, list[Answer | None]] = {}
        errors: list[str] = []
        for order, group in by_order.items():
            answers[order] = []
            for call in group:
                row = rows.get(call.key)
                if row is None or row.status != "ok" or row.snapshot_hash is None:
                    errors.append(
                        f"{row.error_reason}: {row.error_message}" if row else "no answer"
                    )
                    answers[order].append(None)
                else:
                    text = texts.get(row.snapshot_hash, "")
                    answers[order].append(parse_answer(text, kinds[ident]))
        judgement = decide(answers, samples=settings.judge_samples)
        judgement.errors = list(dict.fromkeys(errors))
        out[ident] = judgement
    return out


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end from sync code, also from inside a running event loop (an
    embedded run evaluates from its own loop's thread): on a thread with a loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass
class JudgeSummary:
    pairs: int = 0
    calls: int = 0
    by_verdict: dict[str, int] = field(default_factory=dict)


def judge_run(
    *,
    engine: Engine,
    run_id: str,
    suite: Suite,
    settings: Settings,
    today: date | None = None,
    shared_limits: bool = False,
) -> JudgeSummary:
    """After the deterministic evaluation: judge the run's cases no rule decided, for prompts
    with a judge (``judge:`` in prompt.yaml, else the ``judge`` setting); store the findings
    and the verdicts they make."""
    today = today or datetime.now(UTC).date()
    summary = JudgeSummary()
    with session_scope(engine) as session:
        results = list(store.case_results(session=session, run_id=run_id))
        records = store.findings_for_run(session=session, run_id=run_id)
        project = store.get_run(session=session, run_id=run_id).project
        by_result: dict[str, list[FindingRecord]] = {}
        for record in records:
            by_result.setdefault(record.case_result_id, []).append(record)
        todo: dict[str, list[tuple[CaseResult, Pair]]] = {}
        keys: set[str] = set()
        chosen: list[tuple[CaseResult, str, bool, tuple[str, ...], tuple[str, ...]]] = []
        for result in results:
            prompt = suite.prompts.get(result.prompt)
            spec = (prompt.judge if prompt is not None else None) or settings.judge
            if spec is None or result.verdict == "ERROR" or result.direction == "AA":
                continue  # an A/A comparison measures sampling noise: nothing to judge
            whole = undecided_by_rules(result.verdict, by_result.get(result.id, []))
            fields = prompt.semantic if prompt is not None else ()
            # Key facts the fact diff left undecided, unless a rule already broke the case.
            key_facts = (
                undecided_key_facts(result.structural_diff)
                if result.verdict in ("COMPATIBLE", "CHANGED")
                else ()
            )
            if not whole and not fields and not key_facts:
                continue
            chosen.append((result, spec, whole, fields, key_facts))
            keys.update(result.baseline_keys)
            keys.update(result.candidate_keys)
        rows = store.result_rows(session=session, keys=sorted(keys))
        texts = store.load_texts(
            session=session,
            hashes=sorted({r.snapshot_hash for r in rows.values() if r.snapshot_hash}),
        )
        for result, spec, whole, fields, key_facts in chosen:
            found = _pairs_of(
                result, suite, rows, texts, whole=whole, fields=fields, key_facts=key_facts
            )
            todo.setdefault(spec, []).extend((result, pair) for pair in found)
        todo = {spec: items for spec, items in todo.items() if items}
        trusts = {
            spec: trust_of(session, parse_target(spec).label, settings, project) for spec in todo
        }
    if not todo:
        return summary
    judged: dict[str, Judgement] = {}
    for spec, items in todo.items():
        target = parse_target(spec)
        keys_needed = {
            c.key
            for _, p in items
            for group in plan_pair(p, target, samples=settings.judge_samples).values()
            for c in group
        }
        summary.calls += len(keys_needed)
        with session_scope(engine) as session:
            # An evaluation taken over after a crash finds its predecessor's judge calls
            # linked already: they are in the total once.
            linked = store.linked_keys(session=session, run_id=run_id, keys=sorted(keys_needed))
            judging.add_planned_calls(
                session=session, run_id=run_id, calls=len(keys_needed - linked)
            )
        judged.update(
            run_blocking(
                judge_pairs(
                    [p for _, p in items],
                    target=target,
                    engine=engine,
                    settings=settings,
                    run_id=run_id,
                    shared_limits=shared_limits,
                )
            )
        )
    with session_scope(engine) as session:
        new_findings: list[dict[str, Any]] = []
        added: dict[str, list[Finding]] = {}
        demoted: set[str] = set()
        """Case results with a semantic field's value change demoted (judged equivalent)."""
        for spec, items in todo.items():
            label, trust = parse_target(spec).label, trusts[spec]
            for result, pair in items:
                judgement = judged[pair.ident]
                summary.pairs += 1
                summary.by_verdict[judgement.verdict] = (
                    summary.by_verdict.get(judgement.verdict, 0) + 1
                )
                prompt = suite.prompts[result.prompt]
                made = (
                    key_fact_findings(judgement, pair.baseline, judge=label, trust=trust)
                    if pair.kind == "key_fact"
                    else judge_findings(judgement, judge=label, trust=trust, path=pair.path)
                )
                findings = prompt.policy.apply(made, today=today)
                row = session.get(CaseResult, result.id)
                assert row is not None
                view = judgement_view(judgement, judge=label, question=pair.version, trust=trust)
                if pair.kind == "key_fact":
                    row.structural_diff = _with_entry(
                        row.structural_diff, JUDGE_FACTS_KEY, pair.baseline, view
                    )
                elif pair.path is None:
                    row.structural_diff = {**row.structural_diff, JUDGE_KEY: view}
                else:
                    row.structural_diff = _with_entry(
                        row.structural_diff, JUDGE_FIELDS_KEY, pair.path, view
                    )
                    if judgement.verdict == "equivalent" and _demote_value_changed(
                        session, result.id, pair.path, label
                    ):
                        demoted.add(result.id)
                added.setdefault(result.id, []).extend(findings)
                session.add(row)
                new_findings.extend(finding_row(f, run_id, result.id) for f in findings)
        for result_id, findings in added.items():
            row = session.get(CaseResult, result_id)
            assert row is not None
            verdict = row.verdict
            if result_id in demoted:
                # A demoted value change can make the case COMPATIBLE again: its verdict anew
                # from every stored finding's severity (as the evaluation makes it).
                stored = judging.case_findings(session=session, case_result_id=result_id)
                verdict = _stored_verdict({r.severity for r in stored})
            row.verdict = _verdict_with(verdict, findings)
            session.add(row)
        store.save_case_results(session=session, results=[], findings=new_findings)
        store.refresh_progress(session=session, run_id=run_id)
    return summary


def judgement_view(
    judgement: Judgement, *, judge: str, question: str, trust: Trust
) -> dict[str, Any]:
    """What a case result keeps of a judgement (``structural_diff``: the case page reads it)."""
    return {
        "judge": judge,
        "question": question,
        **judgement.to_dict(),
        "calibration": trust.to_dict(),
    }


def _stored_verdict(severities: set[str]) -> str:
    """``rules.verdict_for`` over stored findings' severities (a waived one is INFO)."""
    if "ERR" in severities:
        return "BREAKING"
    return "CHANGED" if "WARN" in severities else "COMPATIBLE"


def undecided_key_facts(structural_diff: dict[str, Any]) -> tuple[str, ...]:
    """The key facts the fact diff left undecided in a case (its stored coverage)."""
    coverage = structural_diff.get(COVERAGE_KEY) or {}
    return tuple(str(f) for f in coverage.get("undecided_facts", ()) or ())


def _with_entry(
    structural_diff: dict[str, Any], key: str, name: str, view: dict[str, Any]
) -> dict[str, Any]:
    seen = dict(structural_diff.get(key, {}))
    seen[name] = view
    return {**structural_diff, key: seen}


def _demote_value_changed(session: Session, case_result_id: str, path: str, judge: str) -> bool:
    """The ``json.value_changed`` WARN on a ``semantic`` field the judge found equivalent
    becomes INFO: its wording changed, not its meaning. True when one was demoted."""
    where = json_path(parse_json_path(path))
    demoted = False
    for record in judging.case_findings(session=session, case_result_id=case_result_id):
        if (
            record.rule == "json.value_changed"
            and record.severity == "WARN"
            and not record.waived
            and record.path in (path, where)
        ):
            record.severity = "INFO"
            record.message = f"{record.message} (judged equivalent by {judge}, {QUESTION_VERSION})"
            session.add(record)
            demoted = True
    return demoted


def _verdict_with(verdict: str, findings: Sequence[Finding]) -> str:
    """The case's verdict once the judge's findings are in: ERR breaks; anything else the
    judge says (an untrusted difference, undecided) makes a COMPATIBLE case CHANGED."""
    severities = {f.severity for f in findings if f.status != "waived"}
    if "ERR" in severities:
        return "BREAKING"
    if severities and verdict == "COMPATIBLE":
        return "CHANGED"
    return verdict


def _pairs_of(
    result: CaseResult,
    suite: Suite,
    rows: dict[str, Any],
    texts: dict[str, str],
    *,
    whole: bool,
    fields: tuple[str, ...],
    key_facts: tuple[str, ...] = (),
) -> list[Pair]:
    """What to judge in a case: the whole output (``whole``: the first baseline sample against
    the first candidate sample that differs from every baseline sample), each ``semantic``
    field whose string value differs between the first baseline and candidate samples, and
    each undecided key fact against the first candidate sample."""

    def text(key: str) -> str | None:
        row = rows.get(key)
        if row is None or row.status != "ok" or row.snapshot_hash is None:
            return None
        return texts.get(row.snapshot_hash)

    base = [t for t in (text(k) for k in result.baseline_keys) if t is not None]
    cand = [t for t in (text(k) for k in result.candidate_keys) if t is not None]
    if not base or not cand:
        return []
    prompt = suite.prompts.get(result.prompt)
    description = prompt.description if prompt is not None else ""
    found: list[Pair] = []
    differing = next((t for t in cand if t not in base), None)
    if whole and differing is not None:
        found.append(
            Pair(result.id, result.prompt, result.case_id, description, base[0], differing)
        )
    for path in fields:
        before, after = semantic_value(base[0], path), semantic_value(cand[0], path)
        if before is not None and after is not None and before != after:
            found.append(
                Pair(
                    f"{result.id}|{path}",
                    result.prompt,
                    result.case_id,
                    description,
                    before,
                    after,
                    path=path,
                )
            )
    for statement in key_facts:
        found.append(
            Pair(
                f"{result.id}|fact|{statement}",
                result.prompt,
                result.case_id,
                description,
                statement,
                cand[0],
                kind="key_fact",
            )
        )
    return found


def semantic_value(text: str, path: str) -> str | None:
    """The string at ``path`` of the JSON object ``text`` holds (fenced or bare); None when
    there is none."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`").removeprefix("json").strip()
    try:
        value: Any = json.loads(stripped)
    except ValueError:
        return None
    for part in parse_json_path(path):
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value if isinstance(value, str) else None
