"""The detectors: what they find, what they leave alone, and the per-call numbering."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from clirun import cli
from loopback import Endpoint, Script

from promptcompat.errors import SuiteError
from promptcompat.privacy.redact import KINDS, Redactor, iban_ok, luhn_ok, parse_redact
from promptcompat.suite import load_suite


def redact(text: str, custom: dict[str, str] | None = None) -> str:
    return Redactor.build(KINDS, custom).for_call()(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail Jane.Doe@Example.org now", "mail <EMAIL_1> now"),
        ("call +49 40 5550 1234 or (415) 555-0132", "call <PHONE_1> or <PHONE_2>"),
        ("UK office 020 7946 0958", "UK office <PHONE_1>"),
        ("card 4111 1111 1111 1111", "card <CARD_1>"),
        ("iban GB82WEST12345698765432 ok", "iban <IBAN_1> ok"),
        ("iban DE89 3704 0044 0532 0130 00 OK", "iban <IBAN_1> OK"),
        ("from 10.0.0.12 and fe80::1ff:fe23:4567:890a", "from <IP_1> and <IP_2>"),
        ("key sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "key <SECRET_1>"),
        ("Authorization: Bearer abcdefghijklmnop1234", "Authorization: Bearer <SECRET_1>"),
        ("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----", "<PRIVATE_KEY_1>"),
    ],
)
def test_each_detector_finds_its_kind(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # fails Luhn
        "iban NL91ABNA0417164301",  # fails mod 97
        "on 2024-05-13 at 12:30:45, version 1.2.3",
        "Is 1000003 a prime number? 7919 is.",
        "def f(x):\n    return 12345678 + x",
        "999.1.1.1 is not an address",
        # C++ scopes hold valid IPv6 literals ("d::c", "a::b"): no address is that short.
        "use std::cout or std::cerr, not ::printf; see a::b and ::1",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4111 1111 1111 1111", "<CARD_1>"),
        ("4111-1111-1111-1111", "<CARD_1>"),
        ("4111111111111111", "<CARD_1>"),
        ("card: 4111111111111111.", "card: <CARD_1>."),
        ("(4111111111111111)", "(<CARD_1>)"),
        ("pay 5555 5555 5555 4444 now", "pay <CARD_1> now"),
        ("Amex 3782 822463 10005", "Amex <CARD_1>"),
        ("old Visa 4222 2222 2222 2", "old Visa <CARD_1>"),
        ("card 4111 1111-1111 1111", "card <CARD_1>"),
        # a card runs into its expiry or security code: the card is still found
        ("4111 1111 1111 1111 12/27", "<CARD_1> 12/27"),
        ("4111-1111-1111-1111 123", "<CARD_1> 123"),
    ],
)
def test_card_spellings_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Luhn-valid digit runs that are parts of longer numbers, not cards
        "18705 ÷ 41 = 456.219512195121951219",
        "ratio 0.219512195121951219",
        "4111111111111111.5 units",
        "1,4111111111111111",
        "94111111111111111111",
        "-4111111111111111",
        # no card network starts with 0, 1, 7, 8 or 9 (epoch milliseconds, order numbers)
        "at 1718035200019 ms",
        "order 7992739871300008",
        # digits grouped unlike a card
        "scores 4111 11 11 1111 1111",
    ],
)
def test_numbers_that_only_look_like_cards_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_checksums() -> None:
    assert luhn_ok("4539 1488 0343 6467") and not luhn_ok("4539 1488 0343 6468")
    assert iban_ok("NL91ABNA0417164300") and not iban_ok("NL91ABNA0417164301")


def test_same_value_same_placeholder_request_first_then_output() -> None:
    call = Redactor.build(KINDS).for_call()
    assert call("Write to a@x.io or b@x.io") == "Write to <EMAIL_1> or <EMAIL_2>"
    # The output: a known value keeps its number (also in another spelling), a new one
    # continues the numbering.
    assert call("Sent to B@X.IO and c@x.io") == "Sent to <EMAIL_2> and <EMAIL_3>"
    assert call("+1 415 555 0132 / +14155550132") == "<PHONE_1> / <PHONE_1>"


def test_custom_regexes_and_disabled_detectors() -> None:
    assert redact("ticket CUST-123456", {"customer_id": r"CUST-\d{6}"}) == (
        "ticket <CUSTOMER_ID_1>"
    )
    only_mail = Redactor.build(["email"]).for_call()
    assert only_mail("a@x.io 10.0.0.1") == "<EMAIL_1> 10.0.0.1"
    assert not Redactor.build([]).active


def test_bad_redact_config_names_its_place() -> None:
    with pytest.raises(SuiteError, match="invalid regex") as info:
        parse_redact({"id": "CUST-("}, where="prompts/x/prompt.yaml:3")
    assert info.value.where is not None and "prompt.yaml:3" in info.value.where
    with pytest.raises(SuiteError, match="empty string"):
        parse_redact([".*"], where="w")
    with pytest.raises(SuiteError, match="list of regexes"):
        parse_redact(42, where="w")


def test_a_bad_redact_regex_in_prompt_yaml_names_the_file(privacy_prompts: Path) -> None:
    prompt_yaml = privacy_prompts / "echo" / "prompt.yaml"
    prompt_yaml.write_text(prompt_yaml.read_text().replace("CUST-\\d{6}", "CUST-("))
    with pytest.raises(SuiteError, match=r"invalid regex 'CUST-\(' \(customer_id\)") as info:
        load_suite(privacy_prompts)
    assert info.value.where is not None and "echo/prompt.yaml" in info.value.where


QUOTIENT = "18705 ÷ 41 = 456.219512195121951219"
"""The fraction's 18 digits pass the Luhn check: a card number only by accident."""


def _divide_suite(root: Path) -> Path:
    folder = root / "prompts" / "divide"
    (folder / "versions").mkdir(parents=True)
    (folder / "prompt.yaml").write_text(
        "description: Arithmetic for the invoice helper\n"
        "mode: FULL\n"
        "deployed: v1\n"
        "targets:\n"
        "  pinned: openai:calc-old?temperature=0\n"
        "  candidates:\n    - openai:calc-new?temperature=0\n"
        "cases:\n"
        "  - id: quotient\n    vars: {question: 'What is 18705 divided by 41?'}\n"
        "  - id: card\n    vars: {question: 'Which card did the customer use?'}\n"
    )
    (folder / "versions" / "v1.yaml").write_text(
        "variables: [question]\nmessages:\n  - role: user\n    content: '{{ question }}'\n"
    )
    return folder.parent


def _script(model: str, messages: list[dict[str, str]]) -> tuple[str, str]:
    new = model == "calc-new"
    if any("divided" in m["content"] for m in messages):
        return (QUOTIENT if new else "18705 ÷ 41 = 456.22"), "stop"
    text = "The customer paid with card: 4111111111111111." if new else "The customer paid."
    return text, "stop"


def _replay(
    tmp_path: Path, prompts: Path, script: Script
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], set[str]]:
    """``promptcompat run`` of ``prompts`` against a loopback server answering by ``script``:
    the command, the report's cases by id, and the output texts the store holds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    out = tmp_path / "report.json"
    with Endpoint(script=script) as server:
        env |= {
            "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
            "PROMPTCOMPAT_PROMPTS_DIR": str(prompts),
            "PROMPTCOMPAT_OPENAI_BASE_URL": server.url,
            "OPENAI_API_KEY": "sk-test",
            "COLUMNS": "200",
        }
        done = cli("run", "--json-out", str(out), env=env, cwd=tmp_path)
    assert out.exists(), done.stdout + done.stderr
    by_case = {c["case_id"]: c for c in json.loads(out.read_text())["cases"]}
    with sqlite3.connect(tmp_path / "home" / "promptcompat.db") as db:
        stored = {text for (text,) in db.execute("SELECT text FROM snapshot")}
    return done, by_case, stored


def test_a_decimal_in_an_output_is_stored_as_is_and_a_card_is_not(tmp_path: Path) -> None:
    done, by_case, stored = _replay(tmp_path, _divide_suite(tmp_path), _script)
    quotient_rules = {f["rule"] for f in by_case["quotient"]["findings"]}
    assert "privacy.pii_introduced" not in quotient_rules, by_case["quotient"]
    assert by_case["quotient"]["verdict"] != "BREAKING"
    # The card the new model volunteers is still redacted and still breaks its case.
    card = {f["rule"]: f for f in by_case["card"]["findings"]}
    assert card["privacy.pii_introduced"]["severity"] == "ERR"
    assert "CARD" in card["privacy.pii_introduced"]["message"]
    assert done.returncode == 1, done.stdout + done.stderr
    assert QUOTIENT in stored
    assert "The customer paid with card: <CARD_1>." in stored
    assert not any("4111111111111111" in text for text in stored)


def _listing_suite(root: Path) -> Path:
    folder = root / "prompts" / "listing"
    (folder / "versions").mkdir(parents=True)
    (folder / "prompt.yaml").write_text(
        "description: A listing assistant\n"
        "mode: FORWARD\n"
        "deployed: v1\n"
        "targets:\n"
        "  pinned: openai:list-old?temperature=0\n"
        "  candidates:\n    - openai:list-new?temperature=0\n"
        "cases:\n"
        "  - id: agent\n    vars: {buyer: ana@example.org, question: 'How do I book a viewing?'}\n"
        "  - id: buyer\n    vars: {buyer: ana@example.org, question: 'Where will you write?'}\n"
    )
    (folder / "versions" / "v1.yaml").write_text(
        "variables: [buyer, question]\n"
        "messages:\n"
        "  - role: system\n"
        "    content: 'Answer about 42 Orchard Lane. Agent: dana@keystone.example.'\n"
        "  - role: user\n"
        "    content: 'I am {{ buyer }}. {{ question }}'\n"
    )
    return folder.parent


def _listing_script(model: str, messages: list[dict[str, str]]) -> tuple[str, str]:
    new = model == "list-new"
    if "viewing" in messages[-1]["content"]:
        return ("Write to dana@keystone.example." if new else "Ask the agent."), "stop"
    return ("We will write to ana@example.org." if new else "We will write to you."), "stop"


def test_data_the_system_prompt_gives_is_not_introduced_a_users_is(tmp_path: Path) -> None:
    """The agent's address is the app's to hand out: the candidate that gives it is no
    privacy break. The buyer's own address, newly in an output, is. Both are stored as
    placeholders numbered request first (<EMAIL_1> the agent's, <EMAIL_2> the buyer's)."""
    _, by_case, stored = _replay(tmp_path, _listing_suite(tmp_path), _listing_script)
    agent = {f["rule"] for f in by_case["agent"]["findings"]}
    assert "privacy.pii_introduced" not in agent, by_case["agent"]
    buyer = {f["rule"]: f for f in by_case["buyer"]["findings"]}
    assert buyer["privacy.pii_introduced"]["severity"] == "ERR", by_case["buyer"]
    assert {"Write to <EMAIL_1>.", "We will write to <EMAIL_2>."} <= stored
