"""The rule catalog: findings' stable ids, severities, directions; verdicts; noise statistics."""

from __future__ import annotations

from promptcompat.rules.catalog import (
    CATALOG,
    SEVERITIES,
    Events,
    Finding,
    Silenced,
    Verdict,
    aggregate,
    catalog_markdown,
    rate_finding,
    rule,
    suppress,
    verdict_for,
    with_catalog,
)
from promptcompat.rules.noise import assess_rate

__all__ = [
    "CATALOG",
    "SEVERITIES",
    "Events",
    "Finding",
    "Silenced",
    "Verdict",
    "aggregate",
    "assess_rate",
    "catalog_markdown",
    "rate_finding",
    "rule",
    "suppress",
    "verdict_for",
    "with_catalog",
]
