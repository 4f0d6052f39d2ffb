"""The model-release watcher: list each account's models, notice new ids in watched families,
start one FORWARD replay per affected prompt set (PRODUCT.md section 5.1).

One poll: list every account (a failing list is recorded as a failed ``watch_poll`` and the
others go on), record sightings, record a ``release`` event for each new id that a prompt
watches, check pinned aliases for drift, then start the runs of every event not yet planned.
The first successful listing of an account only learns what exists: a model is new when it
appears after that.

Safe to run twice at once (two beat instances, a slow poll overlapping the next, ``watch
--once`` during the beat): sightings and events are ``INSERT ... ON CONFLICT DO NOTHING``,
and runs are started with an idempotency key per event and prompt set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, update
from sqlmodel import col, select

from promptcompat.config import Settings
from promptcompat.errors import ConfigError, ProviderError
from promptcompat.runs import RunStarter
from promptcompat.store import session_scope
from promptcompat.store.sql import chunks, upsert
from promptcompat.store.tables.core import utcnow
from promptcompat.store.tables.watch import ModelSighting, WatchPoll
from promptcompat.suite import Suite, load_suite
from promptcompat.watch.alias_drift import Prober, check_aliases
from promptcompat.watch.config import (
    Account,
    Watched,
    accounts,
    check_model_id,
    watched_prompts,
)
from promptcompat.watch.model_lists import list_models, probe_alias
from promptcompat.watch.releases import plan_pending, record_event

log = logging.getLogger("promptcompat.watch.watcher")
Lister = Callable[[Account, Settings], list[str]]


@dataclass
class AccountPoll:
    account: str
    ok: bool
    models: int = 0
    new: list[str] = field(default_factory=list)
    """Ids not listed before (all of them are only learned on an account's first poll)."""
    events: list[int] = field(default_factory=list)
    """Release events this poll recorded (new ids in a watched family)."""
    error: str | None = None


@dataclass
class PollReport:
    accounts: list[AccountPoll] = field(default_factory=list)
    drift_events: list[int] = field(default_factory=list)
    runs: dict[int, list[str]] = field(default_factory=dict)
    """Event id → the runs started (or found) for it during this poll."""


def poll(
    *,
    engine: Engine,
    settings: Settings,
    starter: RunStarter,
    suite: Suite | None = None,
    lister: Lister = list_models,
    prober: Prober = probe_alias,
) -> PollReport:
    """One full poll; never raises for a provider's failure (it is recorded instead)."""
    suite = suite if suite is not None else load_suite(settings.prompts_dir)
    watched = watched_prompts(suite, settings)
    report = PollReport()
    for account in accounts(watched):
        report.accounts.append(
            poll_account(
                engine=engine, settings=settings, account=account, watched=watched, lister=lister
            )
        )
    report.drift_events = check_aliases(
        engine=engine, settings=settings, watched=watched, prober=prober
    )
    report.runs = plan_pending(engine=engine, suite=suite, settings=settings, starter=starter)
    return report


def poll_account(
    *,
    engine: Engine,
    settings: Settings,
    account: Account,
    watched: list[Watched],
    lister: Lister = list_models,
) -> AccountPoll:
    """List one account and record what is new; a failed listing is recorded, not raised."""
    try:
        listed = list(dict.fromkeys(lister(account, settings)))
    except ProviderError as exc:
        error = f"{exc.message} ({exc.where})" if exc.where else exc.message
        with session_scope(engine) as session:
            session.add(WatchPoll(account=account.name, ok=False, error=error))
        log.warning("listing the models of %s failed: %s", account.name, error)
        return AccountPoll(account.name, ok=False, error=error)
    # An id that cannot be part of a target string (spaces, '?', '&') can never be replayed.
    listed = [m for m in listed if _valid_id(m, account)]
    mine = [w for w in watched if w.account.name == account.name and w.globs]
    result = AccountPoll(account.name, ok=True, models=len(listed))
    at = utcnow()
    with session_scope(engine) as session:
        first = (
            session.exec(
                select(WatchPoll.id).where(WatchPoll.account == account.name, WatchPoll.ok)
            ).first()
            is None
        )
        known = set(
            session.exec(
                select(ModelSighting.model_id).where(ModelSighting.account == account.name)
            ).all()
        )
        result.new = [m for m in listed if m not in known]
        for batch in chunks(result.new):
            session.execute(
                upsert(session, ModelSighting)
                .values(
                    [
                        {"account": account.name, "model_id": m, "first_seen": at, "last_seen": at}
                        for m in batch
                    ]
                )
                .on_conflict_do_nothing(index_elements=["account", "model_id"])
            )
        seen_before = [m for m in listed if m in known]
        for batch in chunks(seen_before):
            session.execute(
                update(ModelSighting)
                .where(
                    col(ModelSighting.account) == account.name,
                    col(ModelSighting.model_id).in_(batch),
                )
                .values(last_seen=at)
            )
        if not first:
            for model_id in result.new:
                if any(w.matches(model_id) for w in mine):
                    event_id, created = record_event(
                        session=session,
                        kind="release",
                        account=account.name,
                        model_id=model_id,
                        source="watcher",
                        detail={"prompts": sorted(w.prompt for w in mine if w.matches(model_id))},
                    )
                    if created:
                        result.events.append(event_id)
                        log.info("new model %s on %s (event %s)", model_id, account.name, event_id)
        session.add(
            WatchPoll(
                account=account.name,
                ok=True,
                models=len(listed),
                new_models=0 if first else len(result.new),
            )
        )
    return result


def _valid_id(model_id: str, account: Account) -> bool:
    try:
        check_model_id(model_id, where=account.name)
    except ConfigError as exc:
        log.warning("ignored model id %.80r listed by %s: %s", model_id, account.name, exc.message)
        return False
    return True
