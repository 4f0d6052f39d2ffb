"""``privacy.pii_introduced``: a candidate that starts emitting personal data is a break.

Outputs are compared as the store holds them: redacted, so a value is its placeholder
(``<EMAIL_1>`` is the case's first e-mail address on both sides, see redact.py). Values still
in clear text (redaction off) are found by the detectors. Messages name only the kinds of
data, never a value.
"""

from __future__ import annotations

from collections.abc import Sequence

from promptcompat.compat.diff import Sample
from promptcompat.privacy.redact import KINDS, Redactor, pii_signature
from promptcompat.rules import Finding, rate_finding

RULE = "privacy.pii_introduced"
_DETECT = Redactor.build(KINDS)


def _label(item: str) -> str:
    # "EMAIL_2" (a placeholder) or "EMAIL:jane@x.org" (clear text): the kind only.
    head = item.split(":", 1)[0]
    return head.rsplit("_", 1)[0] if ":" not in item else head


def pii_findings(baseline: Sequence[Sample], candidate: Sequence[Sample]) -> list[Finding]:
    """One finding when candidate samples hold personal data no baseline sample held."""
    base_ok = [s.text for s in baseline if s.text is not None]
    cand_ok = [s.text for s in candidate if s.text is not None]
    if not base_ok or not cand_ok:
        return []  # a failed side is call.error's business
    seen: set[str] = set()
    for text in base_ok:
        seen |= pii_signature(text, _DETECT)
    hits = 0
    labels: set[str] = set()
    for text in cand_ok:
        new = pii_signature(text, _DETECT) - seen
        if new:
            hits += 1
            labels.update(_label(item) for item in new)
    finding = rate_finding(
        RULE,
        "the candidate output contains personal data the baseline did not: "
        + ", ".join(sorted(labels)),
        path=None,
        hits=hits,
        samples=len(cand_ok),
        baseline_hits=0,
        baseline_samples=len(base_ok),
    )
    return [] if finding is None else [finding]
