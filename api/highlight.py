"""Side-by-side highlighting: which spans of a baseline and a candidate output differ.

Word-level (whitespace kept as its own token), so a renamed JSON key or an added code fence
stands out without lighting up the whole line. The template escapes every span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
MAX_TOKENS = 20_000
"""Beyond this many tokens a side is shown whole, marked changed if it differs."""


@dataclass(frozen=True)
class Span:
    text: str
    changed: bool


@dataclass(frozen=True)
class Pair:
    """One sample of both sides, as spans; None where a side has no output."""

    index: int
    baseline: list[Span] | None
    candidate: list[Span] | None
    baseline_error: str | None
    candidate_error: str | None

    @property
    def identical(self) -> bool:
        return (
            self.baseline is not None
            and self.candidate is not None
            and not any(s.changed for s in (*self.baseline, *self.candidate))
        )


def spans(baseline: str, candidate: str) -> tuple[list[Span], list[Span]]:
    """The two texts cut into spans, each marked changed or not."""
    a, b = _TOKENS.findall(baseline), _TOKENS.findall(candidate)
    if max(len(a), len(b)) > MAX_TOKENS:
        same = baseline == candidate
        return [Span(baseline, not same)], [Span(candidate, not same)]
    left: list[Span] = []
    right: list[Span] = []
    matcher = SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Span("".join(a[i1:i2]), op != "equal"))
        if j2 > j1:
            right.append(Span("".join(b[j1:j2]), op != "equal"))
    return left, right


def pairs(samples: dict[str, list[dict[str, object]]]) -> list[Pair]:
    """Baseline and candidate samples paired by position, with their spans."""
    base, cand = samples.get("baseline", []), samples.get("candidate", [])
    out: list[Pair] = []
    for index in range(max(len(base), len(cand))):
        b = base[index] if index < len(base) else None
        c = cand[index] if index < len(cand) else None
        # The readable form: an answer's tool calls as name and pretty arguments, so a
        # renamed argument lights up as a word, not as a changed escaped string.
        b_text = (b.get("shown") or b.get("text")) if b else None
        c_text = (c.get("shown") or c.get("text")) if c else None
        left: list[Span] | None = None
        right: list[Span] | None = None
        if isinstance(b_text, str) and isinstance(c_text, str):
            left, right = spans(b_text, c_text)
        else:
            left = [Span(b_text, False)] if isinstance(b_text, str) else None
            right = [Span(c_text, True)] if isinstance(c_text, str) else None
        out.append(
            Pair(
                index=index,
                baseline=left,
                candidate=right,
                baseline_error=str(b.get("error")) if b and b.get("error") else None,
                candidate_error=str(c.get("error")) if c and c.get("error") else None,
            )
        )
    return out
