"""Recovery codes: ten single-use codes shown once, stored with argon2id.

A code carries 80 bits, fewer than the 112 below which NIST SP 800-63B-4 (3.1.2, look-up
secrets) asks for a salted, costly hash: each code is stored as argon2id (the
``PasswordService``) of its SHA-256, next to a short keyed tag (the first 16 bits of an
HMAC under the server's key, ``Sealer.digest``) that picks the rows worth verifying. A
wrong code costs an argon2id verification only when its tag happens to match one of the
user's codes (one in 6,554 for ten codes). Without the key the tag says nothing; with it,
64 bits are still left to argon2id.

Codes stored before (SHA-256 alone, in ``lookup``) keep working as they did. Because
argon2id hashes the code's SHA-256, such a row is wrapped without knowing the code: when
the user's codes are next used or shown (``rehash_stored``), and by ``idp purge`` for the
rest.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from flask_babel import gettext, lazy_gettext
from sqlalchemy import ColumnElement, Select, and_, bindparam, delete, func, or_, select, update

from ..domain import MethodInfo
from ..security.passwords import PasswordService
from ..security.sealing import Sealer
from ..security.tokens import hash_secret
from ..storage import db
from ..storage.models import Credential, User
from .base import (
    Addition,
    Enrolment,
    MethodContext,
    MethodFailed,
    MethodParts,
    NotAGuess,
    SignInMethod,
    Verified,
)

COUNT = 10
# Crockford's base32 without I, L, O, U: easy to read aloud and to type.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16  # 80 bits
REHASH_BATCH = 100  # old codes wrapped per committed transaction by ``rehash_all``
TAG_LENGTH = 4  # hex digits of the keyed tag: 16 bits


# Crockford's decoding: letters people type for the digits they look like.
LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def normalize(code: str) -> str:
    """Return a typed recovery code in canonical form (no separators, upper case)."""
    kept = "".join(ch for ch in (code or "").upper() if ch.isascii() and ch.isalnum())
    return kept.translate(LOOK_ALIKES)


def format_code(raw: str) -> str:
    """Return a code grouped by four for display."""
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


#: At or below this many unused codes, the login offers new ones after a code is used.
FEW_LEFT = 3


@dataclass(frozen=True)
class CodeSheet:
    """New codes as a page shows them, with the text file that keeps them: its name (the
    directory's and the date) and its contents as a ``data:`` link, so the download works
    without JavaScript and without a second request that would need the codes again."""

    codes: tuple[str, ...]
    filename: str
    text: str

    @property
    def data_url(self) -> str:
        return "data:text/plain;charset=utf-8," + quote(self.text)


def code_sheet(codes: list[str], directory_name: str, username: str, now: float) -> CodeSheet:
    """Return the sheet of new codes of `username` in the directory named `directory_name`."""
    day = datetime.fromtimestamp(now, UTC).date().isoformat()
    name = re.sub(r"[^A-Za-z0-9]+", "-", directory_name).strip("-")[:60] or "recovery"
    lines = [gettext("Recovery codes of %(username)s for %(directory)s, made on %(day)s.",
                     username=username, directory=directory_name, day=day),
             gettext("Each code lets you log in once. Keep them somewhere safe."), ""]
    lines += [f"{number:>2}. {code}" for number, code in enumerate(codes, 1)]
    return CodeSheet(tuple(codes), f"{name}-recovery-codes-{day}.txt", "\r\n".join(lines) + "\r\n")


class RecoveryCodes(SignInMethod):
    """A single-use recovery code (amr ``otp``)."""

    name = "recovery"
    default_points = 10
    info = MethodInfo(("otp",), frozenset({"possession"}), fallback=True)
    title = lazy_gettext("Recovery code")
    added_notice = lazy_gettext("New recovery codes were created for your account")
    removed_notice = lazy_gettext("Your recovery codes were deleted")
    template = "methods/recovery.html"

    @classmethod
    def build(cls, parts: MethodParts) -> SignInMethod:
        return cls(parts.passwords, parts.sealer)

    def __init__(self, passwords: PasswordService, sealer: Sealer):
        self._passwords = passwords
        self._sealer = sealer

    def tag(self, user_id: int, digest: str) -> str:
        """Return the keyed tag that finds the stored code whose SHA-256 is `digest`."""
        return self._sealer.digest(f"recovery-code:{user_id}:{digest}")[:TAG_LENGTH]

    def few_left(self, user: User) -> bool:
        """Return whether the user has so few unused codes that new ones should be offered."""
        return self.remaining(user) <= FEW_LEFT

    def _unused(self) -> tuple[ColumnElement[bool], ...]:
        """What makes a credential a code that still counts: this method's, not used."""
        return Credential.method == self.name, Credential.used_at.is_(None)

    def remaining(self, user: User) -> int:
        """Return how many unused codes the user has."""
        return db.session.scalar(select(func.count(Credential.id)).where(
            Credential.user_id == user.id, *self._unused())) or 0

    def holding(self) -> Select:
        # Credentials have no directory of their own: reach it through their user.
        return select(Credential.user_id).join(User, User.id == Credential.user_id).where(
            User.directory_id == bindparam("directory"), *self._unused())

    def items(self, user: User, now: float) -> list[Enrolment]:
        # All codes are one item: they are made, and deleted, together.
        remaining = self.remaining(user)
        if not remaining:
            return []
        created = db.session.scalar(select(func.max(Credential.created_at)).where(
            Credential.user_id == user.id, Credential.method == self.name))
        return [Enrolment(self.name, self.name, "Recovery codes", created, None,
                          {"remaining": remaining},
                          shown=(lazy_gettext("%(remaining)s of 10 left", remaining=remaining),))]

    def profile_addition(self, user: User, items: list[Enrolment]) -> Addition | None:
        if any(i.method == self.name and i.counts for i in items):
            return Addition("account.profile_recovery", gettext("Create new recovery codes"))
        return Addition("account.profile_recovery", gettext("Create recovery codes"))

    def remove(self, user: User, item: Enrolment, now: float) -> None:
        db.session.execute(delete(Credential).where(
            Credential.user_id == user.id, Credential.method == self.name))

    def issue(self, user: User, now: float) -> list[str]:
        """Replace the user's recovery codes with ten new ones; return them for display."""
        codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
        rows = []
        for code in codes:  # slow: hashed before the old codes are deleted, not meanwhile
            digest = hash_secret(code)
            rows.append(Credential(user_id=user.id, method=self.name, label="Recovery code",
                                   lookup=self.tag(user.id, digest),
                                   secret_hash=self._passwords.hash(digest), counter=0,
                                   data={}, created_at=now, confirmed_at=now))
        db.session.execute(delete(Credential).where(
            Credential.user_id == user.id, Credential.method == self.name))
        db.session.add_all(rows)
        return [format_code(code) for code in codes]

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        code = normalize(form.get("code", ""))
        if len(code) != LENGTH:
            raise NotAGuess(gettext("Enter one of your recovery codes, like "
                                    "ABCD-EFGH-JKMN-PQRS."))
        row_id = self._stored_code(ctx.user.id, hash_secret(code))
        # Single use: of two requests with the same code, one sets used_at.
        if row_id is not None and db.session.execute(
                update(Credential).where(Credential.id == row_id, Credential.used_at.is_(None))
                .values(used_at=ctx.now, last_used_at=ctx.now)
                .execution_options(synchronize_session=False)).rowcount == 1:
            self.rehash_stored(ctx.user.id)
            return Verified(amr=("otp",))
        if row_id is not None:
            # One of the user's codes, used before (a double submit, another tab).
            raise NotAGuess(gettext("This recovery code was already used. Enter another one."))
        raise MethodFailed(gettext("This recovery code is not right or was already used."))

    def _stored_code(self, user_id: int, digest: str) -> int | None:
        """Return the id of the user's code (used or not) whose SHA-256 is `digest`.

        Only the rows whose keyed tag matches are verified with argon2id (rows still stored
        as SHA-256 alone are matched by it), so a wrong code usually costs none.
        """
        candidates = db.session.execute(select(Credential.id, Credential.secret_hash).where(
            Credential.user_id == user_id, Credential.method == self.name,
            or_(and_(Credential.secret_hash.is_not(None),
                     Credential.lookup == self.tag(user_id, digest)),
                and_(Credential.secret_hash.is_(None), Credential.lookup == digest)))
            .order_by(Credential.used_at.is_not(None), Credential.id)).all()
        return next((row_id for row_id, secret_hash in candidates
                     if secret_hash is None or self._passwords.verify(secret_hash, digest)),
                    None)

    def rehash_stored(self, user_id: int | None = None, limit: int | None = None) -> int:
        """Wrap codes stored as SHA-256 alone in argon2id (of that SHA-256), with their tag;
        return how many. Only the user's with `user_id`, or at most `limit` of anyone's."""
        query = select(Credential.id, Credential.user_id, Credential.lookup).where(
            Credential.method == self.name, Credential.secret_hash.is_(None),
            Credential.lookup.is_not(None)).order_by(Credential.id)
        if user_id is not None:
            query = query.where(Credential.user_id == user_id)
        if limit is not None:
            query = query.limit(limit)
        wrapped = [(row_id, digest, self.tag(owner, digest), self._passwords.hash(digest))
                   for row_id, owner, digest in db.session.execute(query).all()]
        count = 0
        for row_id, digest, tag, secret_hash in wrapped:
            # Compare-and-set: a row wrapped (or replaced) by another process meanwhile stays.
            count += db.session.execute(update(Credential).where(
                Credential.id == row_id, Credential.secret_hash.is_(None),
                Credential.lookup == digest).values(lookup=tag, secret_hash=secret_hash)
                .execution_options(synchronize_session=False)).rowcount or 0
        return count

    def rehash_all(self, batch: int = REHASH_BATCH) -> int:
        """Wrap every code still stored as SHA-256 alone in argon2id, `batch` codes per
        committed transaction (an interrupted run keeps what it did); return how many.

        Users' codes are wrapped when they are next used or shown; ``idp purge`` does the
        rest with this.
        """
        total = 0
        while True:
            count = self.rehash_stored(limit=batch)
            db.session.commit()
            total += count
            if count < batch:
                return total

    def count_stored_as_sha256(self) -> int:
        """Return how many codes are still stored as SHA-256 alone."""
        return db.session.scalar(select(func.count(Credential.id)).where(
            Credential.method == self.name, Credential.secret_hash.is_(None),
            Credential.lookup.is_not(None))) or 0
