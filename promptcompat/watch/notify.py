"""Notifications when a release run finishes: signed JSON webhooks and Slack messages.

Each (run, URL) is one ``webhook_delivery`` row, inserted with ``ON CONFLICT DO NOTHING``:
whoever inserts it sends, so two notify passes never both send. The sender retries 5xx, 429
and connection errors with exponential backoff (``webhook_backoff_base`` doubling, up to
``webhook_max_attempts``) and logs every attempt on the row; a sender that dies mid-delivery
leaves a claim that expires, and the next pass takes the delivery over.

The JSON body is signed like GitHub's webhooks: ``X-Promptcompat-Signature:
sha256=<hex HMAC-SHA256 of the raw body under PROMPTCOMPAT_WEBHOOK_SECRET>``. Without a
secret nothing is sent: the deliveries fail with that reason.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, update
from sqlmodel import col, select

from promptcompat.config import Settings
from promptcompat.errors import PromptCompatError
from promptcompat.report import RunReport
from promptcompat.report.results import run_report
from promptcompat.rules.catalog import Verdict
from promptcompat.store import session_scope
from promptcompat.store.sql import now, upsert
from promptcompat.store.tables.core import TERMINAL_STATUSES, Run, utcnow
from promptcompat.store.tables.watch import ReleaseEvent, ReleaseRun, WebhookDelivery
from promptcompat.suite import load_suite
from promptcompat.suite.retirements import deprecation_warnings
from promptcompat.suite.targets import parse_target

log = logging.getLogger("promptcompat.watch.notify")
SIGNATURE_HEADER = "X-Promptcompat-Signature"
EVENT_HEADER = "X-Promptcompat-Event"
DELIVERY_HEADER = "X-Promptcompat-Delivery"
EVENT = "release_run.finished"
API_PREFIX = "/api/v1"
Sleep = Callable[[float], None]


def sign(body: bytes, secret: str) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(body, secret), header)


def links(settings: Settings, run_id: str) -> dict[str, str]:
    base = settings.api_base_url.rstrip("/")
    return {
        "report": f"{base}{API_PREFIX}/runs/{run_id}/report",
        "review": f"{base}/ui/runs/{run_id}",
    }


def build_payload(
    *, report: RunReport, event: ReleaseEvent, release_run: ReleaseRun, settings: Settings
) -> dict[str, Any]:
    """The JSON notification: the release, the run's verdict and counts, the links."""
    run = report.run
    totals: dict[str, int] = {}
    comparisons = []
    for comp in report.comparisons:
        for verdict, count in comp.verdicts.items():
            if count:
                totals[verdict] = totals.get(verdict, 0) + count
        comparisons.append(
            {
                "prompt": comp.prompt,
                "direction": comp.direction,
                "baseline": comp.baseline.target,
                "candidate": comp.candidate.target,
                "verdict": _worst(comp.verdicts),
                "verdicts": {k: v for k, v in comp.verdicts.items() if v},
                "top_rules": [f.rule for f in comp.top_findings],
            }
        )
    return {
        "event": EVENT,
        "release": {
            "id": event.id,
            "kind": event.kind,
            "account": event.account,
            "model": event.model_id,
            "source": event.source,
            "detected_at": event.created_at.isoformat(),
            "detail": event.detail,
        },
        "run": {
            "id": run.id,
            "status": run.status,
            "verdict": report.verdict,
            "exit_code": report.exit_code,
            "baseline": parse_target(release_run.baseline).label,
            "candidate": parse_target(release_run.candidate).label,
            "prompts": release_run.prompts,
        },
        "verdicts": totals,
        "comparisons": comparisons,
        "links": links(settings, run.id),
        "deprecations": [w for w in _warnings(settings) if w["prompt"] in release_run.prompts],
    }


def _warnings(settings: Settings) -> list[dict[str, Any]]:
    """Retirements nearing for the suite's prompts; a suite that does not load has none here
    (the run's own report already says what is wrong with it)."""
    try:
        return deprecation_warnings(load_suite(settings.prompts_dir), settings)
    except PromptCompatError:
        return []


def _worst(verdicts: dict[Verdict, int]) -> str:
    for verdict in ("ERROR", "BREAKING", "CHANGED"):
        if verdicts.get(verdict):
            return verdict
    return "COMPATIBLE"


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack-compatible message (``text`` fallback plus Block Kit sections)."""
    release, run, link = payload["release"], payload["run"], payload["links"]
    counts = ", ".join(f"{v} {k}" for k, v in sorted(payload["verdicts"].items())) or "no cases"
    what = {
        "release": f"New model `{release['model']}` on {release['account']}",
        "alias_drift": f"Alias `{release['account']}` now serves another model "
        f"({release['model']})",
        "deprecation": f"Retirement ahead for `{release['account']}`; successor "
        f"`{release['model']}`",
    }.get(release["kind"], f"Release {release['model']}")
    verdict = run["verdict"]
    icon = {"BREAKING": ":red_circle:", "CHANGED": ":large_yellow_circle:"}.get(
        verdict, ":large_green_circle:" if run["status"] == "completed" else ":warning:"
    )
    text = f"{icon} {what}: replay of {', '.join(run['prompts'])} is {verdict} ({counts})"
    for warning in payload.get("deprecations", []):
        text += f"\n:warning: {warning['message']}"
    rows = [
        f"• `{c['prompt']}` {c['direction']}: *{c['verdict']}* "
        + ", ".join(f"{v} {k}" for k, v in sorted(c["verdicts"].items()))
        for c in payload["comparisons"]
    ]
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(rows) or "-"}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"<{link['report']}|report> · <{link['review']}|review> · "
                        f"baseline `{run['baseline']}` → candidate `{run['candidate']}`",
                    }
                ],
            },
        ],
    }


def notify_finished(
    *, engine: Engine, settings: Settings, sleep: Sleep = time.sleep
) -> dict[str, str]:
    """Send the notifications of every finished, not yet notified release run.

    Returns run id → ``notified`` (every delivery ended), or ``pending`` (another sender holds
    a delivery, or this one will be retried by a later pass).
    """
    with session_scope(engine) as session:
        rows = session.exec(
            select(ReleaseRun, Run)
            .join(Run, col(Run.id) == col(ReleaseRun.run_id))
            .where(
                col(ReleaseRun.notified_at).is_(None),
                col(Run.status).in_(TERMINAL_STATUSES),
            )
        ).all()
    out: dict[str, str] = {}
    targets = [(u, "json") for u in settings.webhook_urls] + [
        (u, "slack") for u in settings.slack_webhook_urls
    ]
    for release_run, run in rows:
        done = all(
            deliver(engine=engine, settings=settings, release_run=release_run, url=url,
                    fmt=fmt, sleep=sleep)
            for url, fmt in targets
        )  # fmt: skip
        if done:
            with session_scope(engine) as session:
                session.execute(
                    update(ReleaseRun)
                    .where(
                        col(ReleaseRun.event_id) == release_run.event_id,
                        col(ReleaseRun.baseline) == release_run.baseline,
                    )
                    .values(notified_at=utcnow())
                )
        out[run.id] = "notified" if done else "pending"
    return out


def deliver(
    *,
    engine: Engine,
    settings: Settings,
    release_run: ReleaseRun,
    url: str,
    fmt: str,
    sleep: Sleep = time.sleep,
) -> bool:
    """Send one run's notification to one URL unless someone did or does; True once the
    delivery has ended (delivered or failed for good)."""
    assert release_run.run_id is not None
    run_id = release_run.run_id
    lease = settings.webhook_max_attempts * (
        settings.webhook_timeout + settings.webhook_backoff_base * 2**settings.webhook_max_attempts
    )
    with session_scope(engine) as session:
        session.execute(
            upsert(session, WebhookDelivery)
            .values(
                run_id=run_id,
                event_id=release_run.event_id,
                url=url,
                format=fmt,
                status="new",
                attempts=0,
                log=[],
                claimed_until=0.0,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["run_id", "url"])
        )
        # Claim it: a new delivery, or one whose sender's claim ran out.
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.run_id) == run_id,
                col(WebhookDelivery.url) == url,
                col(WebhookDelivery.status).in_(["new", "sending"]),
                col(WebhookDelivery.claimed_until) < now(),
            )
            .values(status="sending", claimed_until=now() + lease)
        ).rowcount  # type: ignore[attr-defined]
        delivery = session.exec(
            select(WebhookDelivery).where(
                WebhookDelivery.run_id == run_id, WebhookDelivery.url == url
            )
        ).one()
    if not claimed:
        return delivery.status in ("delivered", "failed")
    with session_scope(engine) as session:
        event = session.get(ReleaseEvent, release_run.event_id)
        report = run_report(session=session, run_id=run_id)
    assert event is not None
    payload = build_payload(report=report, event=event, release_run=release_run, settings=settings)
    body = json.dumps(slack_message(payload) if fmt == "slack" else payload).encode()
    status, log_rows, last_status, last_error = _send(settings, url, body, delivery.id, sleep)
    with session_scope(engine) as session:
        row = session.get(WebhookDelivery, delivery.id)
        assert row is not None
        row.status = status
        row.attempts = len(log_rows)
        row.log = log_rows
        row.last_status = last_status
        row.last_error = last_error
        row.claimed_until = 0.0
        row.delivered_at = utcnow() if status == "delivered" else None
        session.add(row)
    log.info("webhook %s for run %s: %s after %d attempts", fmt, run_id, status, len(log_rows))
    return True


def _send(
    settings: Settings, url: str, body: bytes, delivery_id: int | None, sleep: Sleep
) -> tuple[str, list[dict[str, Any]], int | None, str | None]:
    """Attempts until success, a final answer or the attempt budget; nothing raises."""
    log_rows: list[dict[str, Any]] = []
    if urlsplit(url).scheme not in ("http", "https"):
        return "failed", log_rows, None, "not an http(s) URL"
    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
        error = "PROMPTCOMPAT_WEBHOOK_SECRET is not set: deliveries are signed, none was sent"
        return "failed", log_rows, None, error
    headers = {
        "content-type": "application/json",
        "user-agent": "promptcompat-webhook",
        SIGNATURE_HEADER: sign(body, settings.webhook_secret.get_secret_value()),
        EVENT_HEADER: EVENT,
        DELIVERY_HEADER: str(delivery_id),
    }
    last_status: int | None = None
    last_error: str | None = None
    waited = 0.0
    for attempt in range(1, settings.webhook_max_attempts + 1):
        entry: dict[str, Any] = {"attempt": attempt, "at": utcnow().isoformat(), "waited": waited}
        retry = False
        try:
            last_status, last_error = _post(url, body, headers, settings.webhook_timeout), None
            entry["status"] = last_status
            if 200 <= last_status < 300:
                log_rows.append(entry)
                return "delivered", log_rows, last_status, None
            retry = last_status == 429 or last_status >= 500
            last_error = f"HTTP {last_status}"
        except (OSError, http.client.HTTPException) as exc:
            last_error = f"{type(exc).__name__}: {exc}"[:300]
            entry["error"] = last_error
            retry = True
        log_rows.append(entry)
        if not retry or attempt == settings.webhook_max_attempts:
            break
        waited = settings.webhook_backoff_base * 2 ** (attempt - 1)
        sleep(waited)
    return "failed", log_rows, last_status, last_error


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer (3xx, not retried): the signed body goes where it was sent only.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST and return the HTTP status (an error status is an answer, not an exception)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)
