"""Passkey or security key (WebAuthn): alone it identifies the user and proves two factors.

amr (RFC 8176): ``hwk`` for a key bound to one device, ``swk`` for a synced passkey
(backup eligible), and ``user`` since user verification is required.

Challenges are random and travel sealed in the page's form, bound to the browser session,
the user and the purpose, for five minutes; showing a page stores nothing, so a second
tab does not void the first. A challenge is recorded as spent before its response is
verified, so each is used once (WebAuthn Level 3, 13.4.3). A signature counter that does
not grow, with a valid signature, is the sign of a cloned authenticator (7.2 step 21):
the login is refused, the credential is marked, the audit log records it for the admin.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext, lazy_gettext
from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..domain import MethodInfo
from ..security.once import spend_once
from ..security.sealing import Sealer, UnsealError
from ..security.webauthn import (
    PasskeyRejected,
    RelyingParty,
    authentication_options,
    credential_id_of,
    registration_options,
    verify_assertion,
    verify_new_passkey,
)
from ..storage import db
from ..storage.models import Directory, Passkey, User
from .base import (
    AccountDisabled,
    Addition,
    Enrolment,
    MethodContext,
    MethodFailed,
    MethodParts,
    NotAGuess,
    SignInMethod,
    StepExpired,
    Verified,
)

log = logging.getLogger(__name__)

CHALLENGE_TTL = 300.0
MAX_PASSKEYS = 20


def user_handle(sealer: Sealer, user: User) -> bytes:
    """Return the WebAuthn user handle of a user: opaque, stable, no personal data."""
    return bytes.fromhex(sealer.digest(f"webauthn-user:{user.subject}"))


class PasskeyMethod(SignInMethod):
    """A WebAuthn credential with user verification."""

    name = "passkey"
    default_points = 30
    info = MethodInfo(("hwk", "user"), frozenset({"possession", "inherence"}),
                      phishing_resistant=True, identifies=True)
    title = lazy_gettext("Passkey")
    set_up_label = lazy_gettext("Set up a passkey")
    set_up_description = lazy_gettext(
        "Your phone, computer or security key confirms it is you, with your fingerprint, "
        "face or screen lock.")
    several = True
    added_notice = lazy_gettext("A passkey was added to your account")
    removed_notice = lazy_gettext("A passkey was removed from your account")
    template = "methods/passkey.html"
    enrol_template = "methods/passkey_enrol.html"

    @classmethod
    def build(cls, parts: MethodParts) -> SignInMethod:
        return cls(RelyingParty.from_base_url(parts.settings.base_url))

    def __init__(self, rp: RelyingParty):
        self.rp = rp

    def choice_label(self, user: User) -> str:
        return gettext("Use a passkey or security key")

    def passkeys(self, user: User) -> list[Passkey]:
        """Return the user's passkeys, oldest first."""
        return list(db.session.scalars(
            select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)))

    def holding(self) -> Select:
        return select(Passkey.user_id).where(Passkey.directory_id == bindparam("directory"))

    def items(self, user: User, now: float) -> list[Enrolment]:
        return [Enrolment(self.name, f"{self.name}:{row.id}", row.name, row.created_at,
                          row.last_used_at, {"synced": row.backup_eligible,
                                             "clone_warning": row.clone_warning_at is not None},
                          shown=(row.name, lazy_gettext("Synced passkey") if row.backup_eligible
                                 else lazy_gettext("Passkey on one device")),
                          warnings=(lazy_gettext("Looked copied: refused at a login."),)
                          if row.clone_warning_at is not None else (),
                          renamable=True)
                for row in self.passkeys(user)]

    def profile_addition(self, user: User, items: list[Enrolment]) -> Addition | None:
        if sum(i.method == self.name for i in items) >= MAX_PASSKEYS:
            return None
        return Addition("account.profile_passkey", gettext("Add a passkey"))

    def remove(self, user: User, item: Enrolment, now: float) -> None:
        db.session.execute(delete(Passkey).where(
            Passkey.id == int(item.key.partition(":")[2]), Passkey.user_id == user.id))

    # Challenges: made with the page, carried sealed in its form, spent once.

    def _issue(self, sealer: Sealer, session_id: int | None, user: User | None, purpose: str,
               now: float) -> tuple[bytes, str]:
        """Return a new challenge and its sealed form for the page's hidden field."""
        if session_id is None:
            raise NotAGuess(gettext("Your browser session has expired. Start again."))
        challenge = secrets.token_bytes(32)
        sealed = sealer.seal_form(f"passkey-{purpose}", [session_id, user.id if user else None],
                                  {"challenge": challenge.hex()}, now)
        return challenge, sealed

    def _take(self, sealer: Sealer, sealed: str, session_id: int | None, user: User | None,
              purpose: str, now: float) -> bytes:
        """Return the challenge of this browser's page, spending it; refuse it otherwise."""
        try:
            data = sealer.open_form(sealed, f"passkey-{purpose}",
                                    [session_id, user.id if user else None], now, CHALLENGE_TTL)
            challenge = bytes.fromhex(str(data["challenge"]))
        except (UnsealError, KeyError, ValueError) as exc:
            raise StepExpired(gettext("This passkey request has expired. Try again.")) from exc
        # Spent before verification: a replay, even a concurrent one, finds it spent.
        spent = spend_once(sealed, now + CHALLENGE_TTL)
        db.session.commit()
        if not spent:
            raise StepExpired(gettext("This passkey request is used or unknown. Try again."))
        return challenge

    # Login without a username, from the login page.

    def login_options(self, session_id: int | None, now: float,
                      sealer: Sealer) -> tuple[dict[str, Any], str]:
        """Return options for a discoverable-credential login (any of the directory's
        passkeys) and the sealed challenge the page posts back."""
        challenge, sealed = self._issue(sealer, session_id, None, "login", now)
        return authentication_options(self.rp, challenge, []), sealed

    def identify(self, directory: Directory, session_id: int | None, credential_json: str,
                 sealed: str, now: float, sealer: Sealer) -> tuple[User, Verified]:
        """Return the user whose passkey produced this assertion, or raise MethodFailed."""
        try:
            credential_id, handle = credential_id_of(credential_json)
        except PasskeyRejected as exc:
            raise MethodFailed(str(exc)) from exc
        challenge = self._take(sealer, sealed, session_id, None, "login", now)
        row = self._find(directory, credential_id)
        user = db.session.get(User, row.user_id) if row else None
        if row is None or user is None or user.directory_id != directory.id:
            raise MethodFailed(gettext("This passkey is not registered here."))
        if handle is None or _decode(handle) != user_handle(sealer, user):
            raise MethodFailed(gettext("This passkey does not belong to this account."))
        ctx = MethodContext(directory=directory, user=user, now=now, sealer=sealer,
                            session_id=session_id)
        verified = self._check(ctx, row, credential_json, challenge)
        if user.disabled:  # said only to who holds the passkey
            raise AccountDisabled(user)
        return user, verified

    # Step-up of a known user.

    def begin(self, ctx: MethodContext) -> dict[str, Any]:
        challenge, sealed = self._issue(ctx.sealer, ctx.session_id, ctx.user, "verify", ctx.now)
        allowed = [p.credential_id for p in self.passkeys(ctx.user)]
        return {"options": json.dumps(authentication_options(self.rp, challenge, allowed)),
                "challenge": sealed}

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        credential_json = form.get("credential", "")
        try:
            credential_id, handle = credential_id_of(credential_json)
        except PasskeyRejected as exc:
            raise MethodFailed(str(exc)) from exc
        challenge = self._take(ctx.sealer, form.get("challenge", ""), ctx.session_id, ctx.user,
                               "verify", ctx.now)
        row = self._find(ctx.directory, credential_id)
        if row is None or row.user_id != ctx.user.id or (
                handle is not None and _decode(handle) != user_handle(ctx.sealer, ctx.user)):
            raise MethodFailed(gettext("This passkey does not belong to this account."))
        return self._check(ctx, row, credential_json, challenge)

    # Registration.

    def start_enrolment(self, ctx: MethodContext,
                        shown: Mapping[str, str] | None = None) -> dict[str, Any]:
        challenge, sealed = self._issue(ctx.sealer, ctx.session_id, ctx.user, "register",
                                        ctx.now)
        options = registration_options(
            self.rp, user_handle(ctx.sealer, ctx.user), ctx.user.username,
            ctx.user.name or ctx.user.username, challenge,
            [p.credential_id for p in self.passkeys(ctx.user)])
        return {"options": json.dumps(options), "challenge": sealed,
                "default_name": gettext("Passkey")}

    def finish_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        challenge = self._take(ctx.sealer, form.get("challenge", ""), ctx.session_id, ctx.user,
                               "register", ctx.now)
        try:
            new = verify_new_passkey(self.rp, form.get("credential", ""), challenge)
        except PasskeyRejected as exc:
            raise MethodFailed(str(exc)) from exc
        if self._find(ctx.directory, new.credential_id) is not None:
            raise NotAGuess(gettext("This passkey is already registered."))
        if len(self.passkeys(ctx.user)) >= MAX_PASSKEYS:
            raise NotAGuess(gettext("An account has at most %(count)s passkeys.",
                                    count=MAX_PASSKEYS))
        name = " ".join((form.get("name") or "").split())[:100] or gettext("Passkey")
        db.session.add(Passkey(
            directory_id=ctx.directory.id, user_id=ctx.user.id,
            credential_id=new.credential_id, public_key=new.public_key,
            sign_count=new.sign_count, transports=new.transports, aaguid=new.aaguid,
            backup_eligible=new.backup_eligible, backed_up=new.backed_up, name=name,
            created_at=ctx.now, last_used_at=ctx.now))
        try:
            db.session.flush()
        except IntegrityError as exc:  # the same credential registered at the same moment
            raise NotAGuess(gettext("This passkey is already registered.")) from exc
        return Verified(amr=_amr(new.backup_eligible))

    # Shared checks.

    def _find(self, directory: Directory, credential_id: str) -> Passkey | None:
        if len(credential_id) > 1400:
            return None
        return db.session.scalars(select(Passkey).where(
            Passkey.directory_id == directory.id,
            Passkey.credential_id == credential_id)).first()

    def _check(self, ctx: MethodContext, row: Passkey, credential_json: str,
               challenge: bytes) -> Verified:
        try:
            assertion = verify_assertion(self.rp, credential_json, challenge, row.public_key)
        except PasskeyRejected as exc:
            raise MethodFailed(str(exc)) from exc
        if (assertion.sign_count > 0 or row.sign_count > 0) \
                and assertion.sign_count <= row.sign_count:
            self._clone_warning(ctx, row, assertion.sign_count)
            raise MethodFailed(gettext("This passkey could not be trusted: its counter went back, "
                                       "as happens when a key was copied. Use another way to "
                                       "log in."))
        if assertion.backup_eligible != row.backup_eligible:
            # Backup eligibility is fixed when a credential is made (Level 3, 6.1.3).
            raise MethodFailed(gettext("This passkey could not be verified. Try again."))
        row.sign_count = assertion.sign_count
        row.backed_up = assertion.backed_up
        row.last_used_at = ctx.now
        return Verified(amr=_amr(row.backup_eligible))

    def _clone_warning(self, ctx: MethodContext, row: Passkey, reported: int) -> None:
        """Mark the credential and tell the admin; kept although the login is refused."""
        db.session.rollback()
        row.clone_warning_at = ctx.now
        audit.record(ctx.directory.id, audit.events.PASSKEY_CLONE_WARNING, ctx.now,
                     user_id=row.user_id, ip=ctx.ip, passkey=row.name, stored_count=row.sign_count,
                     reported_count=reported)
        db.session.commit()
        log.warning("passkey %s of user %s: sign count %s after %s (cloned authenticator?)",
                    row.id, row.user_id, reported, row.sign_count)


def _amr(synced: bool) -> tuple[str, ...]:
    return ("swk" if synced else "hwk", "user")


def _decode(value: str) -> bytes:
    from webauthn import base64url_to_bytes

    try:
        return base64url_to_bytes(value)
    except ValueError:
        return b""
