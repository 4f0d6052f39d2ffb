"""API tokens: created with a role, shown once, stored as a keyed hash, checked in constant time.

A token is ``pct_`` followed by 43 URL-safe random characters (256 bits). The store keeps
``HMAC-SHA256(pepper, token)``: a leaked database alone does not let anyone use a token, and
the lookup is by that hash, so no comparison leaks how much of a guess was right.

Roles are cumulative: a reviewer may do what a viewer may, an admin what a reviewer may.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from promptcompat.errors import ConfigError, ConflictError, NotFoundError
from promptcompat.store import audit, projects
from promptcompat.store.tables.core import utcnow
from promptcompat.store.tables.review import ROLES, ApiToken, Role

TOKEN_PREFIX = "pct_"
_SHOWN_CHARS = 8  # of the random part, kept to recognise a token in a list
_DUMMY_HASH = "0" * 64


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id, name (the actor in the audit log) and role."""

    token_id: str
    name: str
    role: Role
    project: str = "default"
    """The only project whose runs, snapshots and reviews this caller sees."""

    def may(self, role: Role) -> bool:
        """True if this principal's role includes ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_token(token: str, *, pepper: str) -> str:
    """The keyed hash stored for ``token``."""
    return hmac.new(pepper.encode(), token.encode(), hashlib.sha256).hexdigest()


def parse_role(value: str) -> Role:
    """``value`` as a role, or a ConfigError naming the roles."""
    for role in ROLES:
        if value == role:
            return role
    raise ConfigError(f"unknown role {value!r}; use one of {', '.join(ROLES)}")


def create_token(
    *,
    session: Session,
    name: str,
    role: str,
    pepper: str,
    created_by: str = "cli",
    project: str | None = None,
) -> tuple[ApiToken, str]:
    """Store a new token and return it with its plaintext, which is never stored or shown again.

    Args:
        session: the store session (the caller commits).
        name: who holds it; the actor recorded for what the token does.
        role: ``viewer``, ``reviewer`` or ``admin``.
        pepper: the secret of the keyed hash (``Settings.api_token_pepper``).
        created_by: the actor creating it (``cli`` or an admin token's name).
        project: its project; default: the project ``session`` is bound to (an admin
            token creates tokens of its own project only), else ``default``.
    """
    checked = parse_role(role)
    name = name.strip()
    if not name or len(name) > 100:
        raise ConfigError("a token needs a name of 1 to 100 characters")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        role=checked,
        token_hash=hash_token(plaintext, pepper=pepper),
        prefix=plaintext[: len(TOKEN_PREFIX) + _SHOWN_CHARS],
        created_by=created_by,
        project=projects.check_name(project or projects.project_of(session)),
    )
    session.add(token)
    session.flush()
    audit.record(
        session=session,
        actor=created_by,
        action="token.create",
        subject=token.id,
        detail={"name": token.name, "role": token.role, "prefix": token.prefix},
    )
    return token, plaintext


def authenticate(*, session: Session, token: str | None, pepper: str) -> Principal | None:
    """The principal of a live token, or None for a missing, unknown or revoked one."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        # Hash anyway so that a malformed token costs what a wrong one costs.
        hmac.compare_digest(hash_token(token or "", pepper=pepper), _DUMMY_HASH)
        return None
    digest = hash_token(token, pepper=pepper)
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.token_hash, digest):  # pragma: no cover - found by it
        return None
    # From here on the session reads only the token's project (API and review pages alike).
    projects.bind(session, row.project)
    return Principal(token_id=row.id, name=row.name, role=parse_role(row.role), project=row.project)


def list_tokens(*, session: Session, include_revoked: bool = False) -> Sequence[ApiToken]:
    """Tokens, newest first (hashes included: callers show only the public fields)."""
    query = select(ApiToken).order_by(col(ApiToken.created_at).desc())
    if not include_revoked:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    return session.exec(query).all()


def revoke_token(*, session: Session, token_id: str, actor: str) -> ApiToken:
    """Revoke a token by id (or unique id prefix); it stops working at once."""
    row = session.get(ApiToken, token_id)
    if row is None and len(token_id) >= 4:
        matches = session.exec(select(ApiToken).where(col(ApiToken.id).startswith(token_id))).all()
        row = matches[0] if len(matches) == 1 else None
    if row is None:
        raise NotFoundError(f"no token {token_id!r}")
    if row.revoked_at is not None:
        raise ConflictError(f"token {row.id[:12]} is already revoked")
    row.revoked_at = utcnow()
    session.add(row)
    audit.record(
        session=session,
        actor=actor,
        action="token.revoke",
        subject=row.id,
        detail={"name": row.name, "role": row.role, "prefix": row.prefix},
    )
    return row
