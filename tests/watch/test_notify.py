"""Webhooks: signature, retries with backoff, the delivery log, the Slack format."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid

import pytest
from pydantic import SecretStr
from receiver import Receiver
from sqlalchemy import Engine
from sqlmodel import select
from watch_helpers import CASES, deliveries, release_runs, runs

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.runs import InlineStarter
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store.tables.watch import WebhookDelivery
from promptcompat.watch.notify import SIGNATURE_HEADER, notify_finished, sign, slack_message, verify
from promptcompat.watch.watcher import poll

SECRET = "whsec-test-0123456789"


@pytest.fixture
def finished_release(settings: Settings, engine: Engine, sim: SimulatorProcess) -> str:
    """A release run of a new model, finished (executed in this process)."""
    starter = InlineStarter(engine, settings)
    poll(engine=engine, settings=settings, starter=starter)
    sim.add_model(f"gpt-sim-2026-{uuid.uuid4().hex[:8]}", behaves_like="gpt-sim-2025-06-01")
    poll(engine=engine, settings=settings, starter=starter)
    [run] = runs(engine)
    return run.id


def hooked(settings: Settings, receiver: Receiver, **extra: object) -> Settings:
    values: dict[str, object] = {
        "webhook_urls": [receiver.url],
        "webhook_secret": SecretStr(SECRET),
        "webhook_backoff_base": 0.5,
        "api_base_url": "https://pc.example.test",
        **extra,
    }
    return settings.model_copy(update=values)


def test_the_signature_is_hmac_sha256_of_the_body() -> None:
    body = b'{"a": 1}'
    header = sign(body, SECRET)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify(body, SECRET, header)
    assert not verify(body + b" ", SECRET, header)
    assert not verify(body, SECRET + "x", header)


def test_a_failed_delivery_is_retried_with_backoff_and_logged(
    settings: Settings, engine: Engine, finished_release: str, receiver: Receiver
) -> None:
    receiver.answers = [500, 503]
    waits: list[float] = []
    result = notify_finished(engine=engine, settings=hooked(settings, receiver), sleep=waits.append)
    assert result == {finished_release: "notified"}
    assert [r.status for r in receiver.received] == [500, 503, 200]
    assert waits == [0.5, 1.0]  # doubling from webhook_backoff_base
    [delivery] = deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 3, 200)
    assert [e["status"] for e in delivery.log] == [500, 503, 200]
    last = receiver.received[-1]
    assert verify(last.body, SECRET, last.headers[SIGNATURE_HEADER.lower()])
    payload = json.loads(last.body)
    assert payload["event"] == "release_run.finished"
    assert payload["run"]["id"] == finished_release
    assert payload["run"]["prompts"] == ["extract_contact"]
    assert payload["links"] == {
        "report": f"https://pc.example.test/api/v1/runs/{finished_release}/report",
        "review": f"https://pc.example.test/ui/runs/{finished_release}",
    }
    assert sum(payload["verdicts"].values()) == CASES  # every case of extract_contact
    assert release_runs(engine)[0].notified_at is not None

    # Notified once: a later pass sends nothing.
    assert notify_finished(engine=engine, settings=hooked(settings, receiver)) == {}
    assert len(receiver.received) == 3


def test_a_client_error_is_not_retried_and_the_delivery_fails(
    settings: Settings, engine: Engine, finished_release: str, receiver: Receiver
) -> None:
    receiver.answers = [410]
    waits: list[float] = []
    notify_finished(engine=engine, settings=hooked(settings, receiver), sleep=waits.append)
    assert len(receiver.received) == 1 and waits == []
    [delivery] = deliveries(engine)
    assert (delivery.status, delivery.last_error) == ("failed", "HTTP 410")


def test_retries_end_after_the_attempt_budget(
    settings: Settings, engine: Engine, finished_release: str, receiver: Receiver
) -> None:
    receiver.answers = [500] * 10
    waits: list[float] = []
    hooks = hooked(settings, receiver, webhook_max_attempts=3)
    notify_finished(engine=engine, settings=hooks, sleep=waits.append)
    assert len(receiver.received) == 3 and waits == [0.5, 1.0]
    assert deliveries(engine)[0].status == "failed"


def test_without_a_secret_nothing_is_sent(
    settings: Settings, engine: Engine, finished_release: str, receiver: Receiver
) -> None:
    notify_finished(engine=engine, settings=hooked(settings, receiver, webhook_secret=None))
    assert receiver.received == []
    [delivery] = deliveries(engine)
    assert delivery.status == "failed" and "WEBHOOK_SECRET" in (delivery.last_error or "")


def test_slack_receives_a_formatted_message(
    settings: Settings, engine: Engine, finished_release: str, receiver: Receiver
) -> None:
    retires = dt.date.today() + dt.timedelta(days=5)
    (settings.prompts_dir / "targets.yaml").write_text(
        "deprecations:\n  - target: openai:gpt-sim-2024-05-13\n"
        f"    retires: {retires.isoformat()}\n    successor: openai:gpt-sim-2025-06-01\n"
    )
    hooks = hooked(settings, receiver, webhook_urls=[], slack_webhook_urls=[receiver.url])
    notify_finished(engine=engine, settings=hooks)
    [message] = receiver.received
    body = json.loads(message.body)
    assert "New model `gpt-sim-2026-" in body["text"] and "extract_contact" in body["text"]
    assert f"retires in 5 days ({retires.isoformat()})" in body["text"]  # the warning
    assert body["blocks"][0]["type"] == "section"
    context = body["blocks"][2]["elements"][0]["text"]
    assert f"/api/v1/runs/{finished_release}/report|report>" in context
    assert f"/ui/runs/{finished_release}|review>" in context
    assert slack_message(
        {
            "release": {"kind": "alias_drift", "account": "openai:x", "model": "a -> b"},
            "run": {"verdict": "BREAKING", "status": "completed", "prompts": ["p"],
                    "baseline": "b", "candidate": "c"},
            "verdicts": {"BREAKING": 2},
            "comparisons": [],
            "links": {"report": "r", "review": "v"},
        }
    )["text"].startswith(":red_circle: Alias `openai:x`")  # fmt: skip


def test_concurrent_notify_passes_send_each_webhook_once(
    settings: Settings, engine: Engine, finished_release: str, receiver: Receiver
) -> None:
    hooks = hooked(settings, receiver)
    barrier = threading.Barrier(3)

    def one() -> None:
        barrier.wait()
        notify_finished(engine=store.open_engine(hooks.resolved_database_url()), settings=hooks)

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(receiver.received) == 1
    assert [d.status for d in deliveries(engine)] == ["delivered"]


def test_a_delivery_whose_sender_died_is_taken_over_after_its_claim(
    settings: Settings, engine: Engine, finished_release: str, receiver: Receiver
) -> None:
    [row] = release_runs(engine)
    with store.session_scope(engine) as session:
        session.add(
            WebhookDelivery(
                run_id=finished_release,
                event_id=row.event_id,
                url=receiver.url,
                status="sending",
                claimed_until=time.time() + 3600,  # a live sender
            )
        )
    hooks = hooked(settings, receiver)
    assert notify_finished(engine=engine, settings=hooks) == {finished_release: "pending"}
    assert receiver.received == []
    with store.session_scope(engine) as session:
        [delivery] = session.exec(select(WebhookDelivery)).all()
        delivery.claimed_until = time.time() - 1  # its sender died; the claim ran out
        session.add(delivery)
    assert notify_finished(engine=engine, settings=hooks) == {finished_release: "notified"}
    assert len(receiver.received) == 1 and deliveries(engine)[0].status == "delivered"
