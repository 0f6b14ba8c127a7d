"""Recovery codes: ten single-use codes shown once, stored hashed."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from flask_babel import gettext, lazy_gettext
from sqlalchemy import delete, func, select, update

from ..security.tokens import hash_secret
from ..storage import db
from ..storage.models import Credential, User
from .base import MethodContext, MethodFailed, NotAGuess, SignInMethod, Verified

COUNT = 10
# Crockford's base32 without I, L, O, U: easy to read aloud and to type.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16  # 80 bits: out of reach of offline guessing, so SHA-256 storage suffices


# Crockford's decoding: letters people type for the digits they look like.
LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def normalize(code: str) -> str:
    """Return a typed recovery code in canonical form (no separators, upper case)."""
    kept = "".join(ch for ch in (code or "").upper() if ch.isascii() and ch.isalnum())
    return kept.translate(LOOK_ALIKES)


def format_code(raw: str) -> str:
    """Return a code grouped by four for display."""
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


class RecoveryCodes(SignInMethod):
    """A single-use recovery code (amr ``otp``)."""

    name = "recovery"
    title = lazy_gettext("Recovery code")
    template = "methods/recovery.html"

    def remaining(self, user: User) -> int:
        """Return how many unused codes the user has."""
        return db.session.scalar(select(func.count(Credential.id)).where(
            Credential.user_id == user.id, Credential.method == self.name,
            Credential.used_at.is_(None))) or 0

    def is_enrolled(self, user: User) -> bool:
        return self.remaining(user) > 0

    def issue(self, user: User, now: float) -> list[str]:
        """Replace the user's recovery codes with ten new ones; return them for display."""
        db.session.execute(delete(Credential).where(
            Credential.user_id == user.id, Credential.method == self.name))
        codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
        for code in codes:
            db.session.add(Credential(user_id=user.id, method=self.name, label="Recovery code",
                                      lookup=hash_secret(code), counter=0, data={},
                                      created_at=now, confirmed_at=now))
        return [format_code(code) for code in codes]

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        code = normalize(form.get("code", ""))
        if len(code) != LENGTH:
            raise NotAGuess(gettext("Enter one of your recovery codes, like "
                                    "ABCD-EFGH-JKMN-PQRS."))
        mine = (Credential.user_id == ctx.user.id, Credential.method == self.name,
                Credential.lookup == hash_secret(code))
        used = db.session.execute(
            update(Credential).where(*mine, Credential.used_at.is_(None))
            .values(used_at=ctx.now, last_used_at=ctx.now)
        ).rowcount
        if used == 1:
            return Verified(amr=("otp",))
        if db.session.scalar(select(func.count(Credential.id)).where(*mine)):
            # One of the user's codes, used before (a double submit, another tab).
            raise NotAGuess(gettext("This recovery code was already used. Enter another one."))
        raise MethodFailed(gettext("This recovery code is not right or was already used."))
