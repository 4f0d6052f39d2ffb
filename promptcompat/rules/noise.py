"""Noise-aware rates: is a rule firing more often on the candidate than on the baseline?

Every rule runs per sample, on both sides (docs/rules.md, "Rates over samples"), so a finding
carries the candidate's rate ``hits/samples`` and the baseline's own rate. This module decides,
in one place, what the two rates mean:

- **new**: the candidate fires significantly more often than the baseline: one-sided Fisher's
  exact test (hypergeometric, alternative "greater") at :data:`ALPHA`. With so few samples
  that no table could reach ``ALPHA`` (``1 / C(n + m, n) > ALPHA``: one sample per side, or
  two), there is no test to run and a hit the baseline never shows is trusted as it is;
- **not_significant**: the candidate fires where no baseline sample did, but not often enough
  to tell from chance: at most WARN, so noise never reads as BREAKING;
- **noise**: the baseline samples already differ among themselves the same way, and the
  candidate is not significantly worse; and always, whatever the candidate's rate, for the
  rules that report a value varying (:data:`VARIATION_RULES`: a field whose value already
  varies between baseline samples, a confidence that moves at temperature > 0, a rewording):
  INFO;
- **already_failing**: a contract rule the baseline already violated as often: WARN (the
  contract is still violated, but the candidate did not cause it); INFO for a reference answer
  the baseline missed too.

Severity overrides and waivers (``promptcompat.suite.policy``) go through
:func:`severity_for`, so an override changes a rule's default severity and the rates still
temper it.
"""

from __future__ import annotations

from functools import lru_cache
from math import comb
from typing import Literal

Severity = Literal["ERR", "WARN", "INFO"]
Status = Literal["new", "not_significant", "noise", "already_failing", "waived"]
RateAssessment = Literal["none", "new", "not_significant", "baseline"]

ALPHA = 0.05
"""Significance level of the one-sided Fisher's exact test."""
VARIATION_RULES = frozenset(
    {
        "json.value_changed",
        "json.decision_changed",
        "json.array_length",
        "text.changed",
        "tool.argument_changed",
        "tool.argument_decision_changed",
    }
)
"""Rules that say "this value differs". When the baseline samples already differ among
themselves there, the field is noise, not a change, however often the candidate differs."""
REQUEST_CONTRACT_RULES = frozenset(
    {
        "tool.arguments_invalid",
        "tool.undeclared_tool",
        "structured.schema_violation",
        "structured.prose_fallback",
    }
)
"""Checks of one answer against what its request declares (a tool's schema, the requested
``response_format``), outside the ``contract.`` family: as common on the baseline they are
"already failing" (WARN: still violated, not caused by the candidate), like contract rules."""
ABSOLUTE_RULES = REQUEST_CONTRACT_RULES | {"structured.refusal"}
"""Rules that judge one answer on its own (not against the baseline's answers), so their
baseline rate is always computed. A refusal in the refusal field the baseline has as often is
the same behaviour (noise), not a failing contract."""
UNTEMPERED_RULES = frozenset({"call.error", "request.param_rejected"})
"""Rules the rates never temper: a call that failed is not a behaviour of the model to compare
between sides, so failing on both sides is still an error, never noise."""


@lru_cache(maxsize=4096)
def fisher_greater(hits: int, samples: int, baseline_hits: int, baseline_samples: int) -> float:
    """One-sided Fisher's exact test p-value that the candidate rate exceeds the baseline's.

    The 2x2 table is (hits, samples - hits) for the candidate and (baseline_hits,
    baseline_samples - baseline_hits) for the baseline. With the margins fixed, the candidate's
    hit count is hypergeometric; the p-value is P(X >= hits), as
    ``scipy.stats.fisher_exact(table, alternative="greater")`` computes it.
    """
    total = hits + baseline_hits
    population = samples + baseline_samples
    if samples <= 0 or total <= 0:
        return 1.0
    denominator = comb(population, samples)
    upper = min(total, samples)
    numerator = sum(
        comb(total, x) * comb(population - total, samples - x) for x in range(hits, upper + 1)
    )
    return numerator / denominator


def testable(samples: int, baseline_samples: int) -> bool:
    """Whether any outcome could be significant: the smallest p-value is 1 / C(n + m, n)."""
    if samples <= 0 or baseline_samples <= 0:
        return False
    return comb(samples + baseline_samples, samples) * ALPHA >= 1


def assess_rate(
    hits: int, samples: int, baseline_hits: int, baseline_samples: int
) -> RateAssessment:
    """What the candidate's rate means next to the baseline's. The one place that decides.

    "none": did not fire. "new": significantly above the baseline (or, untestably few
    samples, a hit the baseline never shows). "not_significant": above a baseline that never
    fired, but within chance. "baseline": the baseline fires too, and the candidate is not
    significantly worse (noise, or a contract already failing).
    """
    if hits <= 0:
        return "none"
    if not testable(samples, baseline_samples):
        return "new" if baseline_hits <= 0 else "baseline"
    if fisher_greater(hits, samples, baseline_hits, baseline_samples) <= ALPHA:
        return "new"
    return "not_significant" if baseline_hits <= 0 else "baseline"


def status_for(rule_id: str, assessment: RateAssessment) -> Status:
    """The reported status of a finding that fired, from its rate assessment."""
    if assessment == "baseline":
        absolute = rule_id.startswith("contract.") or rule_id in REQUEST_CONTRACT_RULES
        return "already_failing" if absolute else "noise"
    if assessment == "not_significant":
        return "not_significant"
    return "new"


def severity_for(rule_id: str, default: Severity, status: Status) -> Severity:
    """The severity a finding gets: its rule's (possibly overridden) default, tempered."""
    if status == "new":
        return default
    if status == "not_significant":
        return "WARN" if default == "ERR" else default
    if status == "already_failing":
        # A reference answer the baseline missed too is not a regression; accuracy shows it.
        if rule_id == "contract.reference_mismatch" or default == "INFO":
            return "INFO"
        return "WARN"
    return "INFO"  # noise, waived


def note_for(
    status: Status, hits: int, samples: int, baseline_hits: int, baseline_samples: int
) -> str:
    """The explanation appended to a finding's message, or "" for a plain new finding."""
    base = f"{baseline_hits}/{baseline_samples}"
    if status == "noise":
        return f" (noise: baseline samples differ the same way, {base})"
    if status == "already_failing":
        return f" (already failing on baseline: {base})"
    if status == "not_significant":
        p = fisher_greater(hits, samples, baseline_hits, baseline_samples)
        return (
            f" (not significant: {hits}/{samples} vs baseline {base}, "
            f"Fisher's exact p={p:.2f} > {ALPHA:g})"
        )
    return ""


def status_of(
    rule_id: str, hits: int, samples: int, baseline_hits: int, baseline_samples: int
) -> Status:
    """The status of a finding from its rule and rates (the report re-derives it so)."""
    if rule_id in UNTEMPERED_RULES:
        return "new"
    assessment = assess_rate(hits, samples, baseline_hits, baseline_samples)
    if rule_id in VARIATION_RULES and baseline_hits > 0 and assessment != "none":
        return "noise"
    return status_for(rule_id, assessment)
