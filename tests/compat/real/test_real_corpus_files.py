"""The real-output corpus files are well formed: schema, closed label sets, catalog rule ids.

Only the data is checked here. How well the engine does on the corpus is measured by
``measure.py`` and asserted by ``test_real_corpus_verdicts.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from measure import unread
from real_corpus import (
    APPS_FILE,
    APPS_READ,
    APPS_UNREAD,
    FRESH2_FILE,
    FRESH_FILE,
    HANDWRITTEN_FILE,
    PAIRS_FILE,
    CorpusError,
    OutputLabel,
    Pair,
    load,
    load_outputs,
    load_second_labels,
    load_second_outputs,
)

from promptcompat.rules import CATALOG
from promptcompat.suite.contract import Contract

ALPACA_EVAL = Path(__file__).resolve().parents[4] / "shared" / "corpora" / "alpaca_eval"


@pytest.fixture(scope="module")
def real() -> list[Pair]:
    """Both files of real pairs: the labelled corpus and the fresh held-out set."""
    return [*load(PAIRS_FILE), *load(FRESH_FILE), *load(FRESH2_FILE)]


@pytest.fixture(scope="module")
def handwritten() -> list[Pair]:
    """The hand-written pairs: ours, and the app-shaped ones two blind writers wrote."""
    return [*load(HANDWRITTEN_FILE), *load(APPS_FILE)]


def test_ids_are_unique_across_both_files(real: list[Pair], handwritten: list[Pair]) -> None:
    ids = Counter(p.id for p in [*real, *handwritten])
    assert [i for i, n in ids.items() if n > 1] == []


def test_every_expected_rule_is_in_the_catalog(real: list[Pair], handwritten: list[Pair]) -> None:
    unknown = {
        (p.id, rule)
        for p in [*real, *handwritten]
        for rule in p.expected.rules
        if rule not in CATALOG
    }
    assert unknown == set()


def test_every_contract_is_a_valid_promptcompat_contract(
    real: list[Pair], handwritten: list[Pair]
) -> None:
    for p in [*real, *handwritten]:
        if p.contract is None:
            continue
        contract = Contract.model_validate(p.contract)
        for pattern in [*contract.must_match, *contract.must_not_match]:
            re.compile(pattern)


def test_real_pairs_come_from_alpaca_eval_and_handwritten_ones_say_so(
    real: list[Pair], handwritten: list[Pair]
) -> None:
    assert all(p.source != "handwritten" and p.id.startswith("ae-") for p in real)
    assert all(p.finish_reason is None for p in real)
    assert all(p.source == "handwritten" and p.id.startswith("hw-") for p in handwritten)
    assert all(p.family == "handwritten" and p.finish_reason is not None for p in handwritten)
    for p in real:
        assert p.source != "handwritten"
        assert p.source.baseline.index == p.source.candidate.index
        assert p.source.baseline.file != p.source.candidate.file


def test_composition(real: list[Pair], handwritten: list[Pair]) -> None:
    assert len(real) >= 600
    # The classes (125) and a new user's app-shaped pairs (52, fifth pass): still a
    # minority beside the real pairs.
    ours = [p for p in handwritten if not p.id.startswith((*APPS_READ, *APPS_UNREAD))]
    assert 100 <= len(ours) <= 200
    sets = (*APPS_READ, *APPS_UNREAD)
    apps = Counter(
        next(s for s in sets if p.id.startswith(s)) for p in handwritten if p not in ours
    )
    assert apps == dict.fromkeys((*APPS_READ, *APPS_UNREAD), 60)
    verdicts = Counter(p.expected.verdict for p in [*real, *handwritten])
    assert verdicts["BREAKING"] >= 120
    assert set(verdicts) == {"COMPATIBLE", "CHANGED", "BREAKING"}
    assert {p.family for p in real} == {"gpt-3.5", "gpt-4", "claude", "llama", "mistral", "qwen"}


def test_the_fresh_sets_share_no_instruction_with_the_corpus_or_each_other() -> None:
    corpus = {p.instruction for p in load(PAIRS_FILE)}
    fresh, fresh2 = load(FRESH_FILE), load(FRESH2_FILE)
    assert len(fresh) >= 150 and len(fresh2) >= 100
    assert [p.id for p in fresh if p.instruction in corpus] == []
    earlier = corpus | {p.instruction for p in fresh}
    assert [p.id for p in fresh2 if p.instruction in earlier] == []


def test_the_second_labelling_covers_the_fresh_set_with_catalog_rules() -> None:
    second = load_second_labels()
    assert sorted(second) == sorted(p.id for p in load(FRESH_FILE))
    assert {r for e in second.values() for r in e.rules} <= set(CATALOG)


def test_a_bad_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    good = PAIRS_FILE.read_text("utf-8").splitlines()[0]
    bad = json.loads(good)
    bad["expected"]["verdict"] = "BROKEN"
    path = tmp_path / "pairs.jsonl"
    path.write_text(good + "\n" + json.dumps(bad) + "\n", "utf-8")
    with pytest.raises(CorpusError, match=r"^pairs\.jsonl:2: "):
        load(path)


@pytest.mark.skipif(not ALPACA_EVAL.is_dir(), reason="the shared AlpacaEval outputs are absent")
def test_vendored_texts_match_their_source(real: list[Pair]) -> None:
    files: dict[str, list[dict[str, str]]] = {}
    for p in real:
        assert p.source != "handwritten"
        for ref, text in ((p.source.baseline, p.baseline), (p.source.candidate, p.candidate)):
            if ref.file not in files:
                files[ref.file] = json.loads((ALPACA_EVAL / ref.file).read_text("utf-8"))
            row = files[ref.file][ref.index]
            assert (row["instruction"], row["output"]) == (p.instruction, text), p.id


@pytest.fixture(scope="module")
def outputs() -> list[OutputLabel]:
    return load_outputs()


def test_single_output_labels_are_unique_and_split_by_hash(outputs: list[OutputLabel]) -> None:
    keys = Counter((lb.id, lb.question) for lb in outputs)
    assert [k for k, n in keys.items() if n > 1] == []
    for lb in outputs:
        assert lb.id == f"{lb.source.file.removesuffix('.json')}#{lb.source.index}"
        test = hashlib.sha256(lb.id.encode()).digest()[0] % 3 == 0
        assert lb.split == ("test" if test else "dev"), lb.id


def test_single_outputs_stay_clear_of_the_unread_pairs(outputs: list[OutputLabel]) -> None:
    """No labelled output answers an instruction of the pairs kept unread (the fresh set's
    half B and fresh2.jsonl): tuning on them would spend those pairs."""
    kept = [*(p for p in load(FRESH_FILE) if unread(p)), *load(FRESH2_FILE)]
    indexes = {p.source.baseline.index for p in kept if p.source != "handwritten"}
    assert {lb.source.index for lb in outputs} & indexes == set()


@pytest.mark.skipif(not ALPACA_EVAL.is_dir(), reason="the shared AlpacaEval outputs are absent")
def test_single_output_texts_match_their_source(outputs: list[OutputLabel]) -> None:
    files: dict[str, list[dict[str, str]]] = {}
    for lb in outputs:
        if lb.source.file not in files:
            files[lb.source.file] = json.loads((ALPACA_EVAL / lb.source.file).read_text("utf-8"))
        row = files[lb.source.file][lb.source.index]
        assert (row["instruction"], row["output"]) == (lb.instruction, lb.output), lb.id


def test_the_second_output_labelling_covers_test_outputs_once(
    outputs: list[OutputLabel],
) -> None:
    split = {(lb.id, lb.question): lb.split for lb in outputs}
    seconds = Counter((s.id, s.question) for s in load_second_outputs())
    assert [k for k, n in seconds.items() if n > 1] == []
    assert {split.get(k) for k in seconds} == {"test"}
