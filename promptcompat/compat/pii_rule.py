"""``privacy.pii_introduced``: a candidate that starts emitting personal data is a break.

Outputs are compared as the store holds them: redacted, so a value is its placeholder
(``<EMAIL_1>`` is the case's first e-mail address on both sides, see redact.py). Values still
in clear text (redaction off) are found by the detectors. Messages name only the kinds of
data, never a value.

Personal data the app's own instructions give (its system messages) is not introduced: the
team put it there for the model to hand out (the listing agent's phone number, the FAQ's
contact address), and a candidate that gives it where the baseline did not is a reply worded
otherwise (seen on app-shaped pairs: an admissions bot and a listing assistant flagged
BREAKING for it). An end user's data (their message, a case's variables) newly in the output
stays a finding: it now reaches whatever consumes the output.
"""

from __future__ import annotations

from collections.abc import Sequence

from promptcompat.compat.diff import Sample
from promptcompat.privacy.redact import KINDS, Redactor, pii_signature
from promptcompat.rules import Finding, rate_finding
from promptcompat.suite.types import Message

RULE = "privacy.pii_introduced"
_DETECT = Redactor.build(KINDS)


def _label(item: str) -> str:
    # "EMAIL_2" (a placeholder) or "EMAIL:jane@x.org" (clear text): the kind only.
    head = item.split(":", 1)[0]
    return head.rsplit("_", 1)[0] if ":" not in item else head


def instructed_pii(request: Sequence[Message]) -> set[str]:
    """The personal data the system messages of a rendered request give: values in clear
    text, and the placeholders the store's numbering gives them (one numbering over the
    whole request, in order, before the output's values: redact.py)."""
    numbering = _DETECT.for_call()
    seen: set[str] = set()
    for message in request:
        redacted = numbering(message.content)
        if message.role == "system":
            seen |= pii_signature(message.content, _DETECT) | pii_signature(redacted, _DETECT)
    return seen


def pii_findings(
    baseline: Sequence[Sample], candidate: Sequence[Sample], request: Sequence[Message] = ()
) -> list[Finding]:
    """One finding when candidate samples hold personal data that no baseline sample held
    and the request's system messages (the candidate's) did not give."""
    base_ok = [s.text for s in baseline if s.text is not None]
    cand_ok = [s.text for s in candidate if s.text is not None]
    if not base_ok or not cand_ok:
        return []  # a failed side is call.error's business
    seen = instructed_pii(request)
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
