"""The fact diff: what a free-text candidate states that its baseline samples do not.

Deterministic, local and fast: the facts of each text (``fact_extract``: numbers with units,
dates and times, names and identifiers, the polarity of each clause) are compared clause by
clause. A candidate clause is *aligned* with a baseline clause when they share most of their
content words; in an aligned pair another number or date is a changed number or date, the
other polarity is a flipped statement ("succeeded" -> "failed", "no data" -> "some data"),
another name in the same place is a changed entity. Facts dropped or added are reported only
when the candidate *restates* the baseline (most baseline clauses have an aligned clause): two
open-ended answers (two stories, two lists of tips) share few facts by nature, and a fact
added is one no baseline sample and no part of the request contains.

Like every rule, the events are per candidate sample against all baseline samples ("does
this sample state something no baseline sample states?"); the caller rates them against the
baseline samples' own rates (``rules.aggregate``), so a fact that already varies among the
baseline samples is noise.

English only: a text in another language is "not checked" (:func:`checked_language`),
never a finding. The face of the module for other packages: :func:`extract_facts`,
:func:`fact_findings`, :func:`key_fact_status`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from promptcompat.compat.fact_extract import Clause, Date, Facts, extract, stem
from promptcompat.compat.language import languages
from promptcompat.rules import Events, Finding, aggregate

ALIGN_MIN = 0.6
"""Dice similarity of content words from which two clauses state the same thing."""
CHANGE_MIN = 0.7
"""From this similarity an aligned pair's other number, date or name is a changed one."""
FLIP_MIN = 0.8
"""From this similarity an aligned pair's other polarity is a flipped statement: a negation
read off two loosely similar sentences is mostly another sentence, not a contradiction."""
RESTATE_MIN = 0.8
"""Share of the baseline's factual clauses the candidate must restate before a dropped or an
added fact counts (below it the two texts are different answers, not one answer reworded)."""
_KEY_FACT_RULE = "facts.key_fact_missing"
_FUNCTION_WORDS = frozenset({"the", "a", "an", "no", "not", "it", "this", "that", "all", "some"})


def extract_facts(text: str) -> Facts:
    """The facts of one text: numbers, dates, entities, list items, clause polarity."""
    return extract(text)


def checked_language(text: str) -> str | None:
    """None when the fact diff can read ``text`` (English, or too short to tell), else the
    language it is written in (the fact diff then does not check it)."""
    ranked = languages(text)
    if not ranked:
        return None
    top = max(ranked, key=lambda k: ranked[k])
    return None if top == "en" else top


def fact_findings(
    baseline_texts: Sequence[str], candidate_text: str, request_text: str | None = None
) -> list[Finding]:
    """One candidate text against the baseline texts, rated like every rule: the candidate's
    events against the events of each baseline text compared with the others."""
    if checked_language(candidate_text) or any(checked_language(t) for t in baseline_texts):
        return []  # not English: not checked, never a finding
    base = [extract(t) for t in baseline_texts]
    cand = extract(candidate_text)
    request = extract(request_text) if request_text else None
    cand_events = [fact_events(base, cand, request)]
    base_events = (
        [fact_events([b for k, b in enumerate(base) if k != j], base[j], request) for j in
         range(len(base))]
        if len(base) > 1
        else []
    )  # fmt: skip
    return aggregate(cand_events, base_events, 1, len(base))


def fact_events(
    refs: Sequence[Facts], out: Facts, request: Facts | None, *, path: str | None = None
) -> Events:
    """What ``out`` states that no text in ``refs`` states (each event against every ref)."""
    common: Events | None = None
    for ref in refs:
        events = _against(ref, refs, out, request, path)
        common = events if common is None else {k: v for k, v in common.items() if k in events}
        if not common:
            return {}
    return common or {}


@dataclass(frozen=True)
class _Pair:
    ref: Clause
    out: Clause
    score: float


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _align(ref: Facts, out: Facts) -> list[_Pair]:
    """Each baseline clause with the candidate clause that states the same thing: the same
    text, else the one sharing most content words (ties: most words and numbers in common),
    else, for a clause of figures only ("8 hours + 2 hours = 10 hours"), most tokens."""
    pairs = []
    same = {o.text: o for o in out.clauses}
    for r in ref.clauses:
        twin = same.get(r.text)
        if twin is not None:
            pairs.append(_Pair(r, twin, 1.0))
            continue
        best: tuple[float, float] | None = None
        chosen: Clause | None = None
        for o in out.clauses:
            if r.words:
                score = _dice(r.words, o.words)
                shared = len(r.words & o.words)
                if score < ALIGN_MIN or (shared < 2 and r.words != o.words):
                    continue
            else:
                score = _jaccard(r.tokens, o.tokens)
                if o.words or score < ALIGN_MIN or len(r.tokens) < 3:
                    continue
            key = (score, _jaccard(r.tokens, o.tokens))
            if best is None or key > best:
                best, chosen = key, o
        if chosen is not None and best is not None:
            pairs.append(_Pair(r, chosen, best[0]))
    return pairs


def _factual(clause: Clause) -> bool:
    return bool(clause.quantities or clause.dates or clause.entities) and len(clause.words) >= 1


def _d(d: Date) -> str:
    return d.text


def _against(
    ref: Facts, refs: Sequence[Facts], out: Facts, request: Facts | None, path: str | None
) -> Events:
    events: Events = {}
    pairs = _align(ref, out)
    where = f" at {path}" if path else ""
    for p in pairs:
        if p.score >= CHANGE_MIN and not _code_or_question(p.out.text):
            _changed_quantities(p, events, path, where)
            _changed_dates(p, events, path, where)
            _changed_entities(p, refs, events, path, where)
        if (
            p.ref.polar
            and p.out.polar
            and p.ref.polarity != p.out.polarity
            and p.score >= FLIP_MIN
            and not _code_or_question(p.ref.text)
            and not _code_or_question(p.out.text)
            and p.ref.text.rstrip().endswith(":") == p.out.text.rstrip().endswith(":")
            and not _polarity_moved(p, out)
        ):
            events.setdefault(
                ("facts.polarity_flipped", path, ""),
                f"a statement flipped{where}: {_short(p.ref.text)!r} -> {_short(p.out.text)!r}",
            )
    # Restated: most of the baseline's statements are in the candidate (then what the
    # candidate adds is new), or most of the candidate's are in the baseline (then what it
    # leaves out is dropped). Two different answers are neither.
    kept = _share_aligned(ref, {id(p.ref) for p in pairs})
    contained = _share_aligned(out, {id(p.ref) for p in _align(out, ref)})
    if kept < RESTATE_MIN and contained < RESTATE_MIN:
        return events
    dropped = (
        [e for e in ref.entities if all(r.mentions(e) for r in refs) and not out.mentions(e)]
        + [
            q.text
            for q in ref.quantities
            if not q.weak and all(r.has_quantity(q) for r in refs) and not out.has_quantity(q)
        ]
        + [d.text for d in ref.dates if all(r.has_date(d) for r in refs) and not out.has_date(d)]
    )
    dropped = [x for x in dict.fromkeys(dropped) if not _reported(x, events)]
    if dropped and contained >= RESTATE_MIN:
        events["facts.fact_dropped", path, ""] = (
            f"stated by every baseline sample, missing from the candidate{where}: "
            + ", ".join(map(repr, dropped[:5]))
        )
    added = (
        [
            e
            for e in out.entities
            if not any(r.mentions(e) for r in refs) and not (request and request.mentions(e))
        ]
        + [
            q.text
            for q in out.quantities
            if not q.weak
            and not any(r.has_quantity(q) for r in refs)
            and not (request and request.has_quantity(q))
        ]
        + [
            d.text
            for d in out.dates
            if not any(r.has_date(d) for r in refs) and not (request and request.has_date(d))
        ]
    )
    added = [x for x in dict.fromkeys(added) if not _reported(x, events)]
    if added and kept >= RESTATE_MIN:
        events["facts.fact_added", path, ""] = (
            f"in the candidate, in no baseline sample nor the request{where}: "
            + ", ".join(map(repr, added[:5]))
        )
    return events


def _share_aligned(facts: Facts, aligned: set[int]) -> float:
    """The share of a text's statements (a fact or three content words) that are aligned."""
    statements = [c for c in facts.clauses if _factual(c) or len(c.words) >= 3]
    if not statements:
        return 0.0
    return sum(id(c) in aligned for c in statements) / len(statements)


def _code_or_question(text: str) -> bool:
    """A question or a line of code states nothing to flip. (A line that introduces the next
    one, ending in ":", is compared only with another such line: "classified as:" states its
    polarity on the next line.)"""
    return text.rstrip().endswith("?") or bool(re.search(r"[=;{}]|\(\)|//", text))


def _reported(fact: str, events: Events) -> bool:
    """Already named by a changed-fact event (one cause, one finding)."""
    return any(repr(fact) in message for message in events.values())


def _polarity_moved(p: _Pair, out: Facts) -> bool:
    """The baseline clause's polarity survives in another candidate clause that states the
    same thing (a sentence split differently), so nothing flipped."""
    return any(
        o is not p.out and o.polarity == p.ref.polarity and p.ref.words <= o.words
        for o in out.clauses
    )


def _changed_quantities(p: _Pair, events: Events, path: str | None, where: str) -> None:
    # Within the aligned pair: a figure the baseline clause states that its restatement does
    # not, and one the restatement states instead (a number that only moved to another
    # clause leaves one side empty).
    gone = [q for q in p.ref.quantities if not any(q.matches(o) for o in p.out.quantities)]
    new = [q for q in p.out.quantities if not any(q.matches(o) for o in p.ref.quantities)]
    for old, q in zip(gone, new, strict=False):
        if old.weak and q.weak and old.value == q.value:
            continue
        events.setdefault(
            ("facts.number_changed", path, ""),
            f"{old.text!r} -> {q.text!r}{where} in {_short(p.out.text)!r}",
        )


def _changed_dates(p: _Pair, events: Events, path: str | None, where: str) -> None:
    gone = [d for d in p.ref.dates if not any(d.matches(o) for o in p.out.dates)]
    new = [d for d in p.out.dates if not any(d.matches(o) for o in p.ref.dates)]
    if gone and new:
        old_text = " / ".join(dict.fromkeys(map(_d, gone)))
        new_text = " / ".join(dict.fromkeys(map(_d, new)))
        events.setdefault(
            ("facts.date_changed", path, ""),
            f"{old_text!r} -> {new_text!r}{where} in {_short(p.out.text)!r}",
        )


def _changed_entities(
    p: _Pair, refs: Sequence[Facts], events: Events, path: str | None, where: str
) -> None:
    # The baseline clause's name is not in its restatement, and the restatement names one no
    # baseline sample names anywhere (the old name may still appear elsewhere).
    folded = p.out.text.casefold()
    gone = [e for e in p.ref.entities if e.casefold() not in folded]
    new = [e for e in p.out.entities if not any(r.mentions(e) for r in refs)]
    if gone and new and not (_name_words(gone[0]) & _name_words(new[0])):
        events.setdefault(
            ("facts.entity_changed", path, ""),
            f"{gone[0]!r} -> {new[0]!r}{where} in {_short(p.out.text)!r}",
        )


def _name_words(name: str) -> frozenset[str]:
    """ "Document Cameras" and "Document Camera" share a word: the same name reworded."""
    return frozenset(stem(w) for w in re.findall(r"[^\W_]+", name) if len(w) > 2)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- key facts ---------------------------------------------------------------------------------

KeyFactStatus = Literal["conveyed", "missing", "contradicted", "undecided"]


def key_fact_status(statement: str, out: Facts) -> tuple[KeyFactStatus, str]:
    """Whether ``out`` conveys the key fact ``statement`` ("rollback failed", "25 May"), with
    why. "undecided" when no number, date or name decides and no clause of ``out`` speaks of
    the statement's words (a paraphrase the judge has to read)."""
    fact = extract(statement)
    # A key fact is written by the suite's author: its capitalised words are names even at
    # its start ("Lisbon", "Acme renewed").
    names = list(
        dict.fromkeys(
            [*fact.entities, *(w for w in re.findall(r"\b[A-Z][\w-]+", statement)
                               if w.casefold() not in _FUNCTION_WORDS)]
        )
    )  # fmt: skip
    missing = (
        [q.text for q in fact.quantities if not out.has_quantity(q)]
        + [d.text for d in fact.dates if not out.has_date(d)]
        + [e for e in names if not any(e in d.text for d in fact.dates) and not out.mentions(e)]
    )
    if missing:
        return "missing", "not in the answer: " + ", ".join(map(repr, missing))
    hard = bool(fact.quantities or fact.dates or names)
    words = frozenset(w for c in fact.clauses for w in c.words)
    polar = any(c.polar for c in fact.clauses)
    if not words:
        return ("conveyed", "") if hard else ("undecided", "nothing to compare")
    polarity = 1
    for c in fact.clauses:
        polarity *= c.polarity
    speaking = [c for c in out.clauses if words <= c.words or words <= _stems(c.text)]
    if not speaking:
        if hard and not polar:
            return "conveyed", ""
        return "undecided", "no sentence of the answer uses its words"
    if any(c.polarity == polarity for c in speaking):
        return "conveyed", ""
    return "contradicted", f"the answer says {_short(speaking[0].text)!r}"


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text))


def key_fact_events(facts: Sequence[str], out: Facts) -> tuple[Events, list[str]]:
    """Events for the key facts ``out`` misses or contradicts, and the undecided ones."""
    events: Events = {}
    undecided: list[str] = []
    for statement in facts:
        status, why = key_fact_status(statement, out)
        if status in ("missing", "contradicted"):
            events[_KEY_FACT_RULE, None, statement] = f"key fact {statement!r} is {status} ({why})"
        elif status == "undecided":
            undecided.append(statement)
    return events, undecided
