"""The detectors: what they find, what they leave alone, and the per-call numbering."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptcompat.errors import SuiteError
from promptcompat.redact import KINDS, Redactor, iban_ok, luhn_ok, parse_redact
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
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
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
