"""The rule catalog: every finding promptcompat reports, with its stable id and severity.

Rule ids are part of the public contract (waivers, reports and CI gates name them), so they
are never renamed; ``docs/rules.md`` is generated from :data:`CATALOG` by
``python -m promptcompat.rules.catalog --write docs/rules.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, Literal

from promptcompat.rules.noise import (
    Severity,
    Status,
    note_for,
    severity_for,
    status_of,
)
from promptcompat.rules.noise import assess_rate as assess_rate  # the one place for the test

Verdict = Literal["COMPATIBLE", "CHANGED", "BREAKING", "ERROR"]
REVIEWABLE: tuple[Verdict, ...] = ("CHANGED", "BREAKING")
"""Verdicts a reviewer can accept or reject: the candidate differs from the baseline."""
Subject = Literal["output", "request", "budget", "model", "suite"]
Direction = Literal["both", "FORWARD", "BACKWARD"]
SEVERITIES: tuple[Severity, ...] = ("ERR", "WARN", "INFO")
EventKey = tuple[str, str | None, str]
"""One rule firing on one sample: (rule id, JSON path or None, discriminator, e.g. a regex)."""
Events = dict[EventKey, str]
"""A sample's events, each with its message."""
Silenced = Callable[[str, str | None], bool]
"""(rule id, path) -> whether the prompt's policy waives or demotes findings there."""


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    """The default severity; a prompt may override it (``rules:`` in prompt.yaml)."""
    family: str
    description: str
    subject: Subject
    """What it looks at: the output, the request (template variables), budgets (response
    metadata), the model behind the target, or the suite's own configuration."""
    direction: Direction
    """Which compatibility direction it concerns: a prompt edit (BACKWARD), the model behind
    a target (FORWARD), or both."""


def _r(
    rule_id: str,
    severity: Severity,
    description: str,
    subject: Subject = "output",
    direction: Direction = "both",
) -> Rule:
    return Rule(rule_id, severity, rule_id.split(".", 1)[0], description, subject, direction)


_RULES: tuple[Rule, ...] = (
    _r(
        "call.error", "ERR", "A baseline or candidate call failed after retries; the case is ERROR."
    ),
    # structure: parsed JSON outputs, compared with deepdiff
    _r(
        "json.unparseable",
        "ERR",
        "The baseline parsed as JSON; the candidate does not (no `format: json` declared).",
    ),
    _r("json.field_removed", "ERR", "A field every baseline sample had is missing."),
    _r("json.field_added", "INFO", "The candidate has a field no baseline sample had."),
    _r("json.type_changed", "ERR", "A value changed JSON type (integer to string, ...)."),
    _r(
        "json.enum_value_new",
        "ERR",
        "An enum-like field holds a value outside its schema `enum` or, without one, "
        "a value no baseline sample gave.",
    ),
    _r(
        "json.decision_changed",
        "ERR",
        "A decision field changed: a boolean flipped, or an enum-like value moved to another "
        "allowed option (the schema's `enum`, or the options the instructions list).",
    ),
    _r("json.value_changed", "WARN", "A value changed, same type (null transitions count here)."),
    _r("json.array_length", "WARN", "An array has another number of items."),
    # contract: what the prompt declares in prompt.yaml
    _r("contract.schema", "ERR", "The parsed output violates the contract's JSON Schema."),
    _r("contract.must_match", "ERR", "A `must_match` regex is not found in the output."),
    _r("contract.must_not_match", "ERR", "A `must_not_match` regex is found in the output."),
    _r("contract.max_output_tokens", "ERR", "The output is longer than `max_output_tokens`."),
    _r("contract.not_json", "ERR", "`format: json` but the output holds no parseable JSON."),
    _r("contract.code_invalid", "ERR", "`format: code` (python) but `ast.parse` fails."),
    _r(
        "contract.reference_mismatch",
        "ERR",
        "The case's reference answer is no longer matched (the baseline matched it).",
    ),
    _r(
        "contract.user_check",
        "ERR",
        "A check function in the prompt's `checks.py` failed (or raised).",
    ),
    # zero-config drift detectors: what every baseline sample had in common
    _r("drift.code_fence_added", "ERR", "A markdown code fence appeared; no baseline had one."),
    _r(
        "drift.code_fence_removed", "WARN", "Every baseline sample was fenced; the candidate isn't."
    ),
    _r("drift.json_fenced", "ERR", "Bare JSON became JSON inside a markdown fence."),
    _r("drift.json_in_prose", "ERR", "Bare JSON became JSON wrapped in prose."),
    _r("drift.empty_output", "ERR", "The output is empty (whitespace only); no baseline was."),
    _r("drift.refusal_introduced", "ERR", "The candidate refuses; no baseline sample did."),
    _r(
        "drift.refusal_removed",
        "ERR",
        "Every baseline sample refused; the candidate answers (a guardrail no longer holds).",
    ),
    _r(
        "drift.format_marker_lost",
        "ERR",
        "A format marker every baseline sample had, and the instructions ask for, is gone "
        "(`[Yes]`/`[No]` at the end or start, a `Label:` prefix, a list, a fixed token, a bare "
        "answer, the final answer in `{}`, `\\boxed{}` or `<answer>` tags, the lines of a "
        "template format such as `Thought:`/`Action:`, a line in a one-line format with slots, "
        "a placeholder such as `{name}` the instructions say to keep, the bracketed markers "
        "asked on every line, the columns a table is asked to have, the working asked to be "
        "shown step by step). INFO where the contract's `must_match` covers the format.",
    ),
    _r(
        "drift.format_changed",
        "WARN",
        "A format every baseline sample had, that the instructions do not ask for, is gone "
        "(a `Label:` prefix, a bare answer, bare code now fenced): a habit, not a contract.",
    ),
    _r(
        "drift.label_changed",
        "ERR",
        "The answer changed from one label to another: every baseline answer was one "
        "label-like word, ended (or opened) with the same bracketed verdict "
        "(`[Yes]` -> `[No]`), put the same answer in the wrapper the instructions ask for "
        "(`{2}` -> `{3}`, `<answer>high</answer>` -> `medium`), named one of the options the "
        "instructions list in its first sentence, or opened with the same yes or no to the "
        'user\'s yes/no question ("can I still extend it tonight?": `Yes, you can` -> '
        "`Unfortunately, no`). WARN when the instructions list no options (a changed answer).",
    ),
    _r("drift.verbosity", "WARN", "Output length left the baseline's band [0.5 x min, 2 x max)."),
    _r(
        "drift.truncated",
        "ERR",
        "The candidate was cut off at the token limit (finish reason `length`, `max_tokens`); "
        "no baseline sample was.",
    ),
    _r(
        "drift.degenerate_output",
        "ERR",
        "The output degenerates into a repetition loop (a short unit repeated over hundreds "
        "of characters, or a tail that keeps restating itself), breaks off (a token or line "
        "repeated at the end, a last sentence cut off), ends in text unrelated to the task, "
        "the baseline and its own answer, in annotation lines of another task (`Score: 4`, "
        "`Label: No`), in turns of a conversation nobody had (`User: ...` / `Assistant: ...`) "
        'or in token debris (`ngOnInitEndpoint;; }}">{{`); no baseline sample does.',
    ),
    _r(
        "drift.count_unmet",
        "ERR",
        "The instructions ask for a number of items (`write a 5 verse song`, `list 10 ideas`); "
        "every baseline sample gives that many, the candidate fewer (or, asked for exactly that "
        "many, more).",
    ),
    _r(
        "drift.language_changed",
        "ERR",
        "The answer is in another natural language, or a whole paragraph of it is in one no "
        "baseline paragraph is in while the answer should be in the language asked for.",
    ),
    _r(
        "drift.answer_wrapped",
        "ERR",
        "The instructions ask for the answer alone (`output only the haiku`, `return only the "
        "SQL`, `no explanation`); no baseline sample talks around it, the candidate adds a "
        "lead-in (`Here is the query:`) or a closing remark (`I hope this helps!`).",
    ),
    _r(
        "drift.length_limit_exceeded",
        "ERR",
        "The instructions set a length limit (`in under 50 words`, `under 160 characters`, `in "
        "one sentence`); every baseline sample keeps it, the candidate goes over (words: more "
        "than 10% over).",
    ),
    _r(
        "drift.forbidden_format",
        "ERR",
        "The instructions forbid a format (`do not use markdown`, `no lists`, `no emojis`, "
        "`lowercase only`; `plain text` or `do not add headings, bold text` forbids markdown's "
        "markup, not numbered or bulleted lines), a term, amounts, amounts over a cap they "
        "set (`EUR 10 is the maximum you may offer`), the answer itself where hints are "
        "asked (`never give the final answer`), or a request for personal data they forbid "
        "asking for (`never ask for Social Security numbers`); no baseline sample does it, the "
        "candidate does.",
    ),
    _r("text.changed", "INFO", "The output differs but no other rule fired (a paraphrase)."),
    # tool calls: the answer's calls against the baseline's (promptcompat/compat/tool_calls.py)
    _r(
        "tool.call_dropped",
        "ERR",
        "A tool every baseline sample called is not called (with `tool_order: subset`, only "
        "when the candidate calls no tool at all).",
    ),
    _r(
        "tool.call_added",
        "WARN",
        "The candidate calls a tool no baseline sample called (never with `tool_order: superset`).",
    ),
    _r(
        "tool.tool_changed",
        "ERR",
        "Another tool is called in place of the one every baseline sample called.",
    ),
    _r(
        "tool.arguments_invalid",
        "ERR",
        "A call's arguments are not JSON or violate the tool's declared `parameters` schema: "
        "the executor will reject them.",
    ),
    _r(
        "tool.undeclared_tool",
        "ERR",
        "The candidate calls a tool the version does not declare.",
    ),
    _r(
        "tool.argument_removed",
        "ERR",
        "An argument every baseline call of the tool passed is missing.",
    ),
    _r("tool.argument_added", "INFO", "A call passes an argument no baseline call passed."),
    _r(
        "tool.argument_retyped",
        "ERR",
        "An argument changed JSON type (a number became a string, ...).",
    ),
    _r(
        "tool.argument_decision_changed",
        "ERR",
        "A boolean argument flipped, or an argument moved to another value of its schema `enum`.",
    ),
    _r(
        "tool.argument_changed",
        "WARN",
        "An argument's value changed, same type (per-path severities apply: "
        "`tool.argument_changed at $.tool.arg: ERR`).",
    ),
    _r(
        "tool.parallel_calls_changed",
        "ERR",
        "A tool is called another number of times in one turn (parallel calls cut short or "
        "multiplied; fewer is allowed by `tool_order: subset`, more by `superset`).",
    ),
    _r(
        "tool.order_changed",
        "ERR",
        "The same calls in another order, with `tool_order: strict`.",
    ),
    _r(
        "tool.text_instead_of_call",
        "ERR",
        "Every baseline sample called a tool; the candidate answers in text instead.",
    ),
    _r(
        "tool.call_instead_of_text",
        "WARN",
        "Every baseline sample answered in text; the candidate calls a tool instead.",
    ),
    # structured outputs: the version's `response_format` (promptcompat/compat/structured.py)
    _r(
        "structured.schema_violation",
        "ERR",
        "The output does not satisfy the JSON Schema the version's `response_format` requests.",
    ),
    _r(
        "structured.refusal",
        "ERR",
        "The answer's refusal field is set (a structured-output refusal); no baseline sample's "
        "was.",
    ),
    _r(
        "structured.prose_fallback",
        "ERR",
        "The version requests JSON (`response_format`) and the output is prose, not JSON.",
    ),
    # meaning: the optional judge model (promptcompat/compat/judge.py), only where no
    # deterministic rule decided the case
    _r(
        "meaning.judge_differs",
        "ERR",
        "The judge model finds that the candidate drops or contradicts something the baseline "
        "conveys, in both orders of the pair (the rate is k of 2K answers). Counts as ERR only "
        "when the judge's last calibration reached `judge_min_kappa`; else INFO and the case "
        "is CHANGED (it cannot fail CI).",
    ),
    _r(
        "meaning.key_fact_missing",
        "ERR",
        "A key fact of the case (`facts:`) that the fact diff could not decide, which the judge "
        "finds the candidate does not convey (its key-fact question, in both orders, K times). "
        "ERR only when the judge's last calibration reached `judge_min_kappa`; else INFO and "
        "the case is CHANGED.",
    ),
    _r(
        "meaning.judge_undecided",
        "INFO",
        "The judge's majority verdict depends on which answer it read first (order bias): "
        "undecided, the case is CHANGED for a human to look at.",
    ),
    # the fact diff: what free text states (promptcompat/compat/facts.py), English only
    _r(
        "facts.number_changed",
        "WARN",
        "A number (with its unit, amount or percentage) in a statement the candidate restates "
        "is another number: `3 regions` -> `2 regions`, `5 km` -> `5 miles`.",
    ),
    _r(
        "facts.date_changed",
        "WARN",
        "A date or time in a statement the candidate restates is another one "
        "(`13-15 May` -> `3-5 May`).",
    ),
    _r(
        "facts.polarity_flipped",
        "WARN",
        "A statement the candidate restates says the opposite: succeeded/failed, can/cannot, "
        "no/some, was/was not.",
    ),
    _r(
        "facts.entity_changed",
        "WARN",
        "A name or identifier in a statement the candidate restates is another one "
        "(`Lisbon` -> `Porto`, `INC-2043` -> `INC-2034`).",
    ),
    _r(
        "facts.fact_dropped",
        "WARN",
        "A name, number or date every baseline sample states is missing from a candidate that "
        "otherwise restates the baseline.",
    ),
    _r(
        "facts.fact_added",
        "WARN",
        "A name, number or date the candidate states that no baseline sample and no part of "
        "the request contains (an invented fact), in a candidate that restates the baseline.",
    ),
    _r(
        "facts.key_fact_missing",
        "ERR",
        "A key fact of the case (`facts:`) is missing from the output or contradicted by it "
        "(its number, date or name is absent, or the statement's polarity is reversed).",
    ),
    # privacy: personal data and secrets (promptcompat/compat/pii_rule.py)
    _r(
        "privacy.pii_introduced",
        "ERR",
        "The candidate output contains personal data or a secret the baseline output did not "
        "and the prompt's system messages do not give (an agent's phone number in the system "
        "prompt is the app's to hand out; the user's own e-mail address is not).",
    ),
    # budgets: response metadata
    _r("budget.output_tokens", "WARN", "Output tokens above 2 x the baseline max.", "budget"),
    _r("budget.cost", "WARN", "Cost above 2 x the baseline max.", "budget"),
    _r("budget.latency", "INFO", "Latency above 3 x the baseline max.", "budget"),
    # request side: the template's variables, computed by compat.py
    _r(
        "request.variable_added",
        "ERR",
        "The prompt version requires a variable callers did not have to pass before.",
        "request",
        "BACKWARD",
    ),
    _r(
        "request.variable_removed",
        "INFO",
        "The prompt version no longer uses a variable.",
        "request",
        "BACKWARD",
    ),
    _r(
        "request.param_rejected",
        "ERR",
        "The candidate model rejects a request parameter (`temperature` on a reasoning model, "
        "`max_tokens`, `parallel_tool_calls`, a `response_format`); the finding names the "
        "parameter and the model's message. Nothing is retried without it.",
        "request",
        "FORWARD",
    ),
    _r(
        "request.tool_removed",
        "ERR",
        "The prompt version no longer declares a tool callers' executors handle.",
        "request",
        "BACKWARD",
    ),
    _r(
        "request.tool_added",
        "WARN",
        "The prompt version declares a tool callers' executors may not handle yet.",
        "request",
        "BACKWARD",
    ),
    _r(
        "request.tool_parameter_required",
        "ERR",
        "A tool requires a parameter it did not require before (executors do not expect it).",
        "request",
        "BACKWARD",
    ),
    _r(
        "request.response_schema_narrowed",
        "ERR",
        "The `response_format` schema narrowed: a property removed, a type narrowed, a new "
        "required field or fewer `enum` values.",
        "request",
        "BACKWARD",
    ),
    # the model behind the same target (an alias re-pointed, a silent update)
    _r(
        "model.served_changed",
        "INFO",
        "The same target now serves another model id (an alias moved).",
        "model",
        "FORWARD",
    ),
    _r(
        "model.fingerprint_changed",
        "INFO",
        "The same target and served model now report another system fingerprint.",
        "model",
        "FORWARD",
    ),
    # the suite's own configuration
    _r(
        "waiver.expired",
        "WARN",
        "A waiver in prompt.yaml is past its expiry date; it no longer applies.",
        "suite",
    ),
)

CATALOG: Mapping[str, Rule] = MappingProxyType({r.id: r for r in _RULES})


def rule(rule_id: str) -> Rule:
    """The catalog entry for ``rule_id``; a typo is a programming error, so ValueError."""
    try:
        return CATALOG[rule_id]
    except KeyError:
        raise ValueError(f"unknown rule id {rule_id!r}") from None


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    """The effective severity: the rule's default (or the prompt's override), tempered by
    the rates (``noise.severity_for``) and by waivers."""
    message: str
    path: str | None = None
    hits: int = 1
    samples: int = 1
    baseline_hits: int = 0
    baseline_samples: int = 0
    status: Status = "new"
    """new, not_significant, noise, already_failing or waived (``promptcompat.rules.noise``)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verdict_for(findings: Sequence[Finding], *, errored: bool) -> Verdict:
    if errored:
        return "ERROR"
    severities = {f.severity for f in findings}
    if "ERR" in severities:
        return "BREAKING"
    if "WARN" in severities:
        return "CHANGED"
    return "COMPATIBLE"


def rate_finding(
    rule_id: str,
    message: str,
    *,
    path: str | None,
    hits: int,
    samples: int,
    baseline_hits: int,
    baseline_samples: int,
) -> Finding | None:
    """A finding with the severity its rates earn, or None when it did not fire.

    ``noise.status_of`` compares the rates (Fisher's exact test); as common on the baseline,
    a contract rule is "already failing" (WARN, the contract is still violated) and any other
    rule is baseline noise (INFO, kept for the reviewer).
    """
    r = rule(rule_id)
    if hits <= 0:
        return None
    status = status_of(rule_id, hits, samples, baseline_hits, baseline_samples)
    note = note_for(status, hits, samples, baseline_hits, baseline_samples)
    return Finding(
        rule_id,
        severity_for(rule_id, r.severity, status),
        message + note,
        path,
        hits,
        samples,
        baseline_hits,
        baseline_samples,
        status,
    )


_STRUCTURAL_ERR = frozenset({"json.field_removed", "json.type_changed", "json.enum_value_new"})


def suppress(events: Events, *, silenced: Silenced | None = None) -> Events:
    """One cause, one finding: drop the symptoms another event of the same sample explains.

    A refusal or an empty answer explains unparseable JSON, invalid code and failed user
    checks; with ``format: json`` declared, ``contract.not_json`` says what
    ``json.unparseable`` says; a structural ERR at a path explains the schema error at the
    same path; a fence explains code that only fails because of it.

    ``silenced(rule, path)``: the causes the prompt's policy waives or demotes
    (``RulePolicy.silences``). Those explain nothing: the finding that would have stood for
    the symptoms no longer reports them, so they are reported on their own.
    """

    def cause(key: EventKey) -> bool:
        return silenced is None or not silenced(key[0], key[1])

    rules = {key[0] for key in events if cause(key)}
    drop: set[str] = set()
    if "drift.truncated" in rules:
        # Cut off at the token limit: the broken JSON or code, the lost closing marker and
        # the shorter length are its symptoms.
        drop |= {
            "json.unparseable",
            "contract.not_json",
            "contract.code_invalid",
            "drift.format_marker_lost",
            "drift.format_changed",
            "drift.verbosity",
            "drift.count_unmet",
        }
    if "drift.degenerate_output" in rules:
        drop |= {"drift.verbosity", "drift.length_limit_exceeded"}  # the loop made it long
    if "drift.refusal_introduced" in rules or "drift.empty_output" in rules:
        drop |= {
            "json.unparseable",
            "contract.not_json",
            "contract.code_invalid",
            "contract.user_check",
        }
    if "contract.not_json" in rules:
        drop.add("json.unparseable")  # the same symptom; the declared contract says it
    if "structured.refusal" in rules:
        # A refusal in the refusal field: the empty or missing JSON is its symptom.
        drop |= {
            "structured.prose_fallback",
            "structured.schema_violation",
            "json.unparseable",
            "contract.not_json",
            "contract.schema",
            "drift.empty_output",
            "drift.refusal_introduced",
        }
    if "structured.prose_fallback" in rules:
        # The requested JSON became prose: the JSON detectors say the same thing.
        drop |= {
            "json.unparseable",
            "contract.not_json",
            "drift.json_fenced",
            "drift.json_in_prose",
            "drift.format_changed",
        }
    # The schema a request's response_format declares is the contract of the answer: its
    # violation at a path is the finding, the structural change there its symptom, and so is
    # the prompt contract's schema error at that path (the same schema, most often).
    requested = {key[1] for key in events if key[0] == "structured.schema_violation"}
    structural_err = {
        key[1]
        for key in events
        if key[0] in _STRUCTURAL_ERR and cause(key) and key[1] not in requested
    }
    fence_added = "drift.code_fence_added" in rules
    if not drop and not structural_err and not fence_added and not requested:
        return events
    return {
        key: message
        for key, message in events.items()
        if key[0] not in drop
        and not (key[0] == "contract.schema" and key[1] in structural_err | requested)
        and not (key[0] in _STRUCTURAL_ERR and key[1] in requested)
        and not (key[0] == "contract.code_invalid" and key[2] == "fence" and fence_added)
    }


def aggregate(
    cand_events: Sequence[Events],
    base_events: Sequence[Events],
    samples: int,
    baseline_samples: int,
) -> list[Finding]:
    """Per (rule, path, tag): candidate hits vs baseline hits, one finding each that fires."""
    messages: dict[EventKey, str] = {}
    for events in cand_events:
        for key, message in events.items():
            messages.setdefault(key, message)
    findings = []
    for key, message in messages.items():
        finding = rate_finding(
            key[0],
            message,
            path=key[1],
            hits=sum(key in events for events in cand_events),
            samples=samples,
            baseline_hits=sum(key in events for events in base_events),
            baseline_samples=baseline_samples,
        )
        if finding is not None:
            findings.append(finding)
    return findings


def catalog_markdown() -> str:
    """The catalog as a markdown table, the generated part of docs/rules.md."""
    lines = [
        "| id | severity | direction | looks at | description |",
        "|---|---|---|---|---|",
    ]
    for r in _RULES:
        description = r.description.replace("|", "\\|")
        lines.append(f"| `{r.id}` | {r.severity} | {r.direction} | {r.subject} | {description} |")
    return "\n".join(lines) + "\n"


CATALOG_BEGIN = "<!-- BEGIN CATALOG"
CATALOG_END = "<!-- END CATALOG -->"


def with_catalog(doc: str) -> str:
    """``doc`` with the text between the catalog markers replaced by :func:`catalog_markdown`."""
    begin = doc.index("\n", doc.index(CATALOG_BEGIN)) + 1
    return doc[:begin] + catalog_markdown() + doc[doc.index(CATALOG_END) :]


if __name__ == "__main__":
    import sys
    from pathlib import Path

    if sys.argv[1:2] == ["--write"]:
        target = Path(sys.argv[2])
        target.write_text(with_catalog(target.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(catalog_markdown(), end="")
