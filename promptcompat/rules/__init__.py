"""rules."""

from __future__ import annotations

from promptcompat.rules.catalog import (
    CATALOG,
    CATALOG_BEGIN,
    CATALOG_END,
    SEVERITIES,
    Direction,
    EventKey,
    Events,
    Finding,
    Rule,
    Silenced,
    Subject,
    Verdict,
    aggregate,
    assess_rate,
    catalog_markdown,
    rate_finding,
    rule,
    suppress,
    verdict_for,
    with_catalog,
)

__all__ = [
    "CATALOG",
    "CATALOG_BEGIN",
    "CATALOG_END",
    "SEVERITIES",
    "Direction",
    "EventKey",
    "Events",
    "Finding",
    "Rule",
    "Silenced",
    "Subject",
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
