"""API tokens: shown once, stored as a keyed hash, revocable, roles cumulative."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from promptcompat import store
from promptcompat.errors import ConfigError, ConflictError, NotFoundError
from promptcompat.store import api_tokens as tokens
from promptcompat.store import audit
from promptcompat.store.tables.review import ApiToken

PEPPER = "pepper-for-tests"


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    return store.open_engine(f"sqlite:///{tmp_path / 'store.db'}")


def test_only_the_keyed_hash_is_stored_and_it_authenticates(db: Engine) -> None:
    with store.session_scope(db) as session:
        _, plaintext = tokens.create_token(
            session=session, name="ana", role="reviewer", pepper=PEPPER
        )
    assert plaintext.startswith("pct_") and len(plaintext) >= 40
    with store.session_scope(db) as session:
        stored = session.exec(select(ApiToken)).one()
        assert plaintext not in stored.model_dump_json()
        assert stored.token_hash == tokens.hash_token(plaintext, pepper=PEPPER)
        who = tokens.authenticate(session=session, token=plaintext, pepper=PEPPER)
        assert who is not None and (who.name, who.role) == ("ana", "reviewer")
        assert who.may("viewer") and who.may("reviewer") and not who.may("admin")
        # Another pepper (a rotated secret) makes every token invalid.
        assert tokens.authenticate(session=session, token=plaintext, pepper="other") is None
        for bad in (None, "", "pct_", plaintext[:-1], "x" * 500, plaintext + " "):
            assert tokens.authenticate(session=session, token=bad, pepper=PEPPER) is None


def test_revoked_tokens_stop_working_and_everything_is_audited(db: Engine) -> None:
    with store.session_scope(db) as session:
        row, plaintext = tokens.create_token(
            session=session, name="ci", role="viewer", pepper=PEPPER
        )
    with store.session_scope(db) as session:
        tokens.revoke_token(session=session, token_id=row.id[:8], actor="ops")
    with store.session_scope(db) as session:
        assert tokens.authenticate(session=session, token=plaintext, pepper=PEPPER) is None
        assert tokens.list_tokens(session=session) == []
        assert len(tokens.list_tokens(session=session, include_revoked=True)) == 1
        with pytest.raises(ConflictError):
            tokens.revoke_token(session=session, token_id=row.id, actor="ops")
        with pytest.raises(NotFoundError):
            tokens.revoke_token(session=session, token_id="nope", actor="ops")
        entries = audit.history(session=session, limit=10).items
        assert [(e.action, e.actor) for e in entries] == [
            ("token.revoke", "ops"),
            ("token.create", "cli"),
        ]


def test_roles_and_names_are_checked(db: Engine) -> None:
    with store.session_scope(db) as session:
        with pytest.raises(ConfigError, match="unknown role"):
            tokens.create_token(session=session, name="x", role="root", pepper=PEPPER)
        with pytest.raises(ConfigError, match="name"):
            tokens.create_token(session=session, name="  ", role="viewer", pepper=PEPPER)
