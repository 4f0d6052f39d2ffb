"""A suite whose cases carry every kind of personal data and secret the detectors know.

The simulator echoes the subject of a free-text question (docs/simulator-protocol.md) and
extracts e-mail and phone into JSON, so these values reach the outputs too.
"""

from __future__ import annotations

import json
from pathlib import Path

OLD = "openai:gpt-sim-2024-05-13?temperature=0"
NEW = "openai:gpt-sim-2025-06-01?temperature=0"
ANTHROPIC_NEW = "anthropic:claude-sim-4-20250514?temperature=0"

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAq7ZQvXkPrivateKeyBodyLine1Zz9\n"
    "U2VjcmV0UHJpdmF0ZUtleUJvZHlMaW5lMlh5\n"
    "-----END RSA PRIVATE KEY-----"
)

# case id -> (question, the values that must never be stored, searched as bytes)
ECHO_CASES: dict[str, tuple[str, list[str]]] = {
    "email": ("Can you confirm the address jane.doe@example-corp.com", ["jane.doe@example-corp"]),
    "phone-intl": ("Is +44 20 7946 0958 the right hotline", ["7946 0958", "2079460958"]),
    "phone-us": ("Should I call (415) 555-0199 today", ["555-0199", "4155550199"]),
    "card": (
        "Was card 4539 1488 0343 6467 charged twice",
        ["4539 1488 0343 6467", "4539148803436467"],
    ),
    "iban": (
        "Is DE89 3704 0044 0532 0130 00 the refund account",
        ["DE89 3704 0044 0532 0130 00", "DE89370400440532013000"],
    ),
    "ipv4": ("Why is 203.0.113.77 blocked", ["203.0.113.77"]),
    "ipv6": ("Why is 2001:db8:85a3::8a2e:370:7334 blocked", ["2001:db8:85a3::8a2e:370:7334"]),
    "openai-key": (
        "Is sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z leaked",
        ["sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"],
    ),
    "anthropic-key": (
        "Is sk-ant-api03-Qw7eRt2yUi5oPa8sDf1gHj4kLz still valid",
        ["sk-ant-api03-Qw7eRt2yUi5oPa8sDf1gHj4kLz"],
    ),
    "aws-key": ("Who owns AKIAZ7QW3ERT5YUI9OPA", ["AKIAZ7QW3ERT5YUI9OPA"]),
    "aws-secret": (
        "Rotate aws_secret_access_key=wJalrXUtnFEMIK7MDENGbPxRfiCYzQ9xkLp2Vb4T now",
        ["wJalrXUtnFEMIK7MDENGbPxRfiCYzQ9xkLp2Vb4T"],
    ),
    "github-token": (
        "Is ghp_R2d2C3poL8kW9zXq4vB7nM1aS5dF6gH0jK3l revoked",
        ["ghp_R2d2C3poL8kW9zXq4vB7nM1aS5dF6gH0jK3l"],
    ),
    "slack-token": ("Is xoxb-2048-9137-Zq8WeRtYuIoP valid", ["xoxb-2048-9137-Zq8WeRtYuIoP"]),
    "google-key": (
        "Is AIzaSyD4f8Gh2Jk6Lm0Np4Qr8St2Uv6Wx0Yz3Ab restricted",
        ["AIzaSyD4f8Gh2Jk6Lm0Np4Qr8St2Uv6Wx0Yz3Ab"],
    ),
    "bearer": (
        "Does Authorization: Bearer tok_9fK2mQ7xP4vL8nR3wZ6y expire",
        ["tok_9fK2mQ7xP4vL8nR3wZ6y"],
    ),
    "pem": (f"What is this key for\n{PEM}", ["MIIEowIBAAKCAQEAq7ZQvXkPrivateKeyBodyLine1Zz9"]),
    "custom": ("What is the status of customer CUST-884213", ["CUST-884213"]),
}

CONTACT_CASES = {
    "maria": (
        "I'm Maria Gonzalez from Brightwave. Mail maria.gonzalez@brightwave.io or call "
        "+1 415 555 0132.",
        ["maria.gonzalez@brightwave", "555 0132", "14155550132"],
    ),
}


def sentinels() -> list[str]:
    found = [v for _, values in ECHO_CASES.values() for v in values]
    found += [v for _, values in CONTACT_CASES.values() for v in values]
    return found


def write_suite(root: Path) -> Path:
    """The privacy suite under ``root/prompts``; returns that directory."""
    prompts = root / "prompts"
    echo = prompts / "echo"
    (echo / "versions").mkdir(parents=True)
    (echo / "prompt.yaml").write_text(
        "description: answers questions that quote customer data\n"
        "mode: FORWARD\n"
        "deployed: v1\n"
        "targets:\n"
        f"  pinned: {OLD}\n"
        f"  candidates: ['{NEW}', '{ANTHROPIC_NEW}']\n"
        "dataset: cases.jsonl\n"
        "redact:\n"
        "  customer_id: 'CUST-\\d{6}'\n"
    )
    (echo / "versions" / "v1.yaml").write_text(
        "variables: [question]\n"
        "messages:\n"
        "  - role: user\n"
        "    content: 'Note from a customer: {{ question }}'\n"
    )
    (echo / "cases.jsonl").write_text(
        "".join(
            json.dumps({"id": cid, "vars": {"question": q}}) + "\n"
            for cid, (q, _) in ECHO_CASES.items()
        )
    )
    contacts = prompts / "contacts"
    (contacts / "versions").mkdir(parents=True)
    (contacts / "prompt.yaml").write_text(
        "description: extract contacts\n"
        "mode: BACKWARD\n"
        "deployed: v1\n"
        "targets:\n"
        f"  pinned: {OLD}\n"
        "contract:\n"
        "  format: json\n"
        "dataset: cases.jsonl\n"
    )
    for version, fields in (("v1", "name, company"), ("v2", "name, company, email")):
        (contacts / "versions" / f"{version}.yaml").write_text(
            "variables: [message]\n"
            "messages:\n"
            "  - role: system\n"
            "    content: |\n"
            "      Extract the sender's details from the message and reply with JSON only.\n"
            f"      Fields: {fields}\n"
            "  - role: user\n"
            "    content: '{{ message }}'\n"
        )
    (contacts / "cases.jsonl").write_text(
        "".join(
            json.dumps({"id": cid, "vars": {"message": m}}) + "\n"
            for cid, (m, _) in CONTACT_CASES.items()
        )
    )
    return prompts
