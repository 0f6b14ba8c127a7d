"""Token families (grants): start one per code exchange, revoke them, and say whether a token
is still good.

A token is good while it and its family are: revoking the family is one row, so it holds
for every token of the family, also one that a concurrent refresh is adding at that moment
(RFC 9700 section 4.14.2). Every reason to revoke a grant comes here: a replayed code, a
reused refresh token, a revocation request, and the end of the browser session the grant
came from.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, update

from ..security.tokens import new_secret
from ..storage import db
from ..storage.models import Token, TokenFamily
from ..storage.plain import PlainStatement

# Tokens and families are only ever inserted, never changed through the ORM: an INSERT on
# the driver's cursor costs a fraction of the ORM's flush of the same row.
_INSERT_FAMILY = PlainStatement(TokenFamily.__table__.insert())
_INSERT_TOKEN = PlainStatement(Token.__table__.insert())


def start_family(directory_id: int, client_pk: int, user_id: int, session_id: int | None,
                 code_id: int | None, now: float) -> TokenFamily:
    """Insert a new family for the tokens of one code exchange (not yet committed); return
    its values (a row not held by the session)."""
    values = {"id": new_secret(16), "directory_id": directory_id, "client_pk": client_pk,
              "user_id": user_id, "session_id": session_id, "code_id": code_id,
              "started_at": now, "revoked_at": None}
    _INSERT_FAMILY.execute(**values)
    return TokenFamily(**values)


def add_token(**values: Any) -> None:
    """Insert a token of a family (not yet committed)."""
    _INSERT_TOKEN.execute(**values)


def revoke_families(*where: ColumnElement[bool], now: float) -> int:
    """Revoke every live family matching `where`; return how many were revoked."""
    return db.session.execute(update(TokenFamily).where(
        *where, TokenFamily.revoked_at.is_(None)).values(revoked_at=now)
        .execution_options(synchronize_session=False)).rowcount or 0


_REVOKE_TOKEN = update(Token).where(
    Token.id == bindparam("token"), Token.revoked_at.is_(None)).values(
    revoked_at=bindparam("now")).execution_options(synchronize_session=False)


def revoke_token(token_id: int, now: float) -> None:
    """Revoke one access token (not yet committed); its grant's other tokens stay good."""
    db.session.execute(_REVOKE_TOKEN, {"token": token_id, "now": now})


def token_good(row: Token, now: float, refresh: bool = False) -> bool:
    """Say whether a token (its access token, or with `refresh` its refresh token) still works."""
    if row.revoked_at is not None or row.grant.revoked_at is not None or row.user.disabled:
        return False
    if refresh:
        return row.refresh_used_at is None and row.refresh_expires_at is not None \
            and row.refresh_expires_at > now
    return row.expires_at > now
