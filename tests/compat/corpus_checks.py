"""User check functions for the hand-written corpus cases (loaded like a prompt's checks.py)."""

from __future__ import annotations

import json
from typing import Any


def check_total_matches_items(output: str, case: Any) -> bool | tuple[bool, str]:
    """An invoice's total is the sum of its item amounts."""
    doc = json.loads(output)
    total = sum(item["amount"] for item in doc["items"])
    if abs(total - doc["total"]) > 0.005:
        return False, f"total {doc['total']} but the items sum to {total:.2f}"
    return True


def check_mentions_customer(output: str, case: Any) -> bool:
    """A reply greets the customer by name."""
    assert case is not None
    return bool(case.vars["customer"] in output)
