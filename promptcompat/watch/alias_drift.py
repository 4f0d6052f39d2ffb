"""Alias drift: a pinned alias (``gpt-4o``, ``claude-sonnet-latest``) starts serving another
model, or the same model with another system fingerprint.

What an alias served is read from the calls the store recorded for its target (served model
and fingerprint per call) and, when ``watch_probe_aliases`` is on, from one 1-token probe per
poll (cached replays never call again, so without a probe a quiet suite would never notice).
Each change against the last observation is an ``alias_drift`` event, keyed by
``old -> new``, so concurrent polls record it once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import col, select

from promptcompat.config import Settings
from promptcompat.errors import ProviderError
from promptcompat.store import session_scope
from promptcompat.store.sql import upsert
from promptcompat.store.tables.core import Call, utcnow
from promptcompat.store.tables.watch import AliasState, WatchPoll
from promptcompat.suite.targets import Target
from promptcompat.watch.config import Watched
from promptcompat.watch.model_lists import Probe, probe_alias
from promptcompat.watch.releases import record_event

log = logging.getLogger("promptcompat.watch.alias_drift")
_DATED = re.compile(r"(19|20)\d\d-?\d\d-?\d\d")
_CALLS_PER_CHECK = 5000
Prober = Callable[[Target, Settings], Probe]


@dataclass(frozen=True)
class Observation:
    served_model: str
    fingerprint: str
    source: str


def looks_like_alias(model: str) -> bool:
    """A model id without a release date (``gpt-4o``, ``claude-3-5-sonnet-latest``)."""
    return _DATED.search(model) is None


def alias_targets(engine: Engine, watched: list[Watched]) -> dict[str, tuple[Target, list[str]]]:
    """Pinned targets that are aliases: undated ids, or ids whose calls were answered by a
    model of another name (label → the target, connection details kept, and its prompts)."""
    pinned: dict[str, tuple[Target, list[str]]] = {}
    for w in watched:
        pinned.setdefault(w.target.label, (w.target, []))[1].append(w.prompt)
    out: dict[str, tuple[Target, list[str]]] = {}
    with session_scope(engine) as session:
        for label, (target, prompts) in pinned.items():
            if looks_like_alias(target.model):
                out[label] = (target, prompts)
                continue
            # Filtered by prompt first: that column is indexed, the target is not.
            other = session.exec(
                select(Call.id)
                .where(
                    col(Call.prompt).in_(prompts),
                    Call.target == label,
                    col(Call.served_model).is_not(None),
                    Call.served_model != target.model,
                )
                .limit(1)
            ).first()
            if other is not None:
                out[label] = (target, prompts)
    return out


def check_aliases(
    *, engine: Engine, settings: Settings, watched: list[Watched], prober: Prober = probe_alias
) -> list[int]:
    """Compare what each pinned alias serves now with what it served before; returns the ids
    of the drift events this call recorded."""
    created: list[int] = []
    for label, (target, prompts) in sorted(alias_targets(engine, watched).items()):
        with session_scope(engine) as session:
            state = session.get(AliasState, label)
            after = state.last_call_id if state else 0
            rows = session.exec(
                select(Call.id, Call.served_model, Call.fingerprint)
                .where(
                    col(Call.prompt).in_(prompts),
                    Call.target == label,
                    Call.status == "ok",
                    col(Call.served_model).is_not(None),
                    col(Call.id) > after,
                )
                .order_by(col(Call.id))
                .limit(_CALLS_PER_CHECK)
            ).all()
        observations = [Observation(str(s), f or "", f"call:{i}") for i, s, f in rows]
        last_call = max((int(i) for i, _, _ in rows if i is not None), default=after)
        if settings.watch_probe_aliases:
            try:
                probe = prober(target, settings)
                observations.append(Observation(probe.served_model, probe.fingerprint, "probe"))
            except ProviderError as exc:
                with session_scope(engine) as session:
                    session.add(WatchPoll(account=f"alias:{label}", ok=False, error=_describe(exc)))
                log.warning("probing alias %s failed: %s", label, _describe(exc))
        if not observations:
            continue
        if state is None:
            # The first check learns what the alias serves now; history is not news.
            observations = observations[-1:]
        previous = (state.served_model, state.fingerprint) if state else None
        with session_scope(engine) as session:
            for obs in observations:
                now = (obs.served_model, obs.fingerprint)
                if previous is not None and now != previous:
                    event_id, new = record_event(
                        session=session,
                        kind="alias_drift",
                        account=label,
                        model_id=f"{'/'.join(previous)} -> {'/'.join(now)}",
                        source="watcher",
                        detail={
                            "alias": target.model,
                            "served_model": obs.served_model,
                            "fingerprint": obs.fingerprint,
                            "previous_served_model": previous[0],
                            "previous_fingerprint": previous[1],
                            "seen_in": obs.source,
                        },
                    )
                    if new:
                        created.append(event_id)
                        log.info("alias drift on %s: %s -> %s", label, previous, now)
                previous = now
            assert previous is not None
            values = {
                "served_model": previous[0],
                "fingerprint": previous[1],
                "observed_at": utcnow(),
                "last_call_id": last_call,
            }
            session.execute(
                upsert(session, AliasState)
                .values(target=label, **values)
                .on_conflict_do_update(index_elements=["target"], set_=values)
            )
    return created


def _describe(exc: ProviderError) -> str:
    return f"{exc.message} ({exc.where})" if exc.where else exc.message
