"""Use a sealed form value once: a replayed form finds it spent.

A sealed value (``Sealer.seal_form``) proves where it came from and that it is fresh,
but not that it was not posted before. What must work once (a WebAuthn challenge, the
key of a new authenticator app) is recorded here by hash when it is used, until it
would have expired anyway; ``idp purge`` forgets it after that.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from ..storage import db
from ..storage.models import SpentSeal
from .tokens import hash_secret


def spend_once(sealed: str, expires_at: float) -> bool:
    """Record `sealed` as used, in the current transaction; return False if it already was.

    An insert that does nothing on a conflict: of two requests racing with the same
    value, the second waits for the first to commit and then finds it spent.
    """
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SpentSeal).values(
        digest=hash_secret(sealed), expires_at=expires_at,
    ).on_conflict_do_nothing().returning(SpentSeal.digest)
    return db.session.execute(statement).first() is not None


def spend_now(value: str, expires_at: float) -> bool:
    """Record `value` as used and commit at once; return False if it already was.

    For what must count as used whatever becomes of the request it came with (a client
    assertion's or a DPoP proof's ``jti``): its transaction has written nothing else yet.
    """
    if not spend_once(value, expires_at):
        return False
    db.session.commit()
    return True
