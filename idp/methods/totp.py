"""Authenticator app: RFC 6238 time-based codes, each accepted once.

A new app's key is made when its set-up page is shown and travels sealed in the page's
form (bound to the user and browser session, for ``SETUP_TTL``); it is stored only when
the first code proves the app has it, so showing the page stores nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import pyotp
import qrcode
import qrcode.image.svg
from flask_babel import gettext, lazy_gettext
from sqlalchemy import ColumnElement, Select, bindparam, delete, select, update

from ..domain import MethodInfo
from ..security.once import spend_once
from ..security.sealing import UnsealError
from ..storage import db
from ..storage.models import Credential, User
from ..tenants.brand import brand_of
from .base import (
    Addition,
    Enrolment,
    MethodContext,
    MethodFailed,
    NotAGuess,
    SignInMethod,
    StepExpired,
    Verified,
)

STEP = 30
DRIFT_STEPS = 1  # accept the previous and the next 30 s window, no more
DIGITS = 6
SETUP_TTL = 1800.0  # how long a set-up page's key can be confirmed
SETUP_PURPOSE = "totp-enrol"


def clean_code(value: str, digits: int = DIGITS) -> str:
    """Return the code without spaces, or raise MethodFailed if it is not `digits` digits."""
    code = (value or "").replace(" ", "").replace("-", "")
    if len(code) != digits or not code.isascii() or not code.isdigit():
        raise NotAGuess(gettext("Enter the %(digits)s-digit code.", digits=digits))
    return code


def matching_step(secret: str, code: str, now: float) -> int | None:
    """Return the time step whose code is `code`: the current one or one next to it."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
    current = int(now // STEP)
    for counter in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def not_right() -> MethodFailed:
    return MethodFailed(gettext("This code is not right. Check the time on your phone and "
                                "try again."))


def qr_svg(data: str) -> str:
    """Return an inline SVG QR code of `data`."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


class TotpMethod(SignInMethod):
    """A code from any authenticator app (amr ``otp``)."""

    name = "totp"
    default_points = 10
    info = MethodInfo(("otp",), frozenset({"possession"}))
    title = lazy_gettext("Authenticator app")
    set_up_label = lazy_gettext("Set up an authenticator app")
    set_up_description = lazy_gettext(
        "A code that changes every 30 seconds, from an authenticator app on your phone.")
    several = True
    added_notice = lazy_gettext("An authenticator app was added to your account")
    removed_notice = lazy_gettext("An authenticator app was removed from your account")
    template = "methods/totp.html"
    enrol_template = "methods/totp_enrol.html"

    def _confirmed(self) -> tuple[ColumnElement[bool], ...]:
        """What makes a credential an app that counts: this method's, its first code
        proven."""
        return Credential.method == self.name, Credential.confirmed_at.is_not(None)

    def _credential(self, user: User) -> Credential | None:
        return db.session.scalars(select(Credential).where(
            Credential.user_id == user.id, *self._confirmed()).order_by(
            Credential.id.desc())).first()

    def holding(self) -> Select:
        # Credentials have no directory of their own: reach it through their user.
        return select(Credential.user_id).join(User, User.id == Credential.user_id).where(
            User.directory_id == bindparam("directory"), *self._confirmed())

    def items(self, user: User, now: float) -> list[Enrolment]:
        return [Enrolment(self.name, f"{self.name}:{row.id}", row.label or "Authenticator app",
                          row.created_at, row.last_used_at)
                for row in db.session.scalars(select(Credential).where(
                    Credential.user_id == user.id, Credential.method == self.name,
                    Credential.confirmed_at.is_not(None)).order_by(Credential.id))]

    def profile_addition(self, user: User, items: list[Enrolment]) -> Addition | None:
        if any(i.method == self.name and i.counts for i in items):
            return None
        return Addition("account.profile_totp", str(self.set_up_label))

    def remove(self, user: User, item: Enrolment, now: float) -> None:
        db.session.execute(delete(Credential).where(
            Credential.id == int(item.key.partition(":")[2]), Credential.user_id == user.id,
            Credential.method == self.name))

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        credential = self._credential(ctx.user)
        if credential is None:
            raise MethodFailed(gettext("No authenticator app is set up for this account."))
        self._check(ctx, credential, clean_code(form.get("code", "")))
        return Verified(amr=("otp",))

    def _check(self, ctx: MethodContext, credential: Credential, code: str) -> None:
        """Accept a code of the current window or one next to it, never twice."""
        secret = ctx.sealer.unseal(credential.secret_sealed or b"").decode()
        counter = matching_step(secret, code, ctx.now)
        if counter is None:
            raise not_right()
        # Compare-and-set: a code (or an older one) used once is refused,
        # even when two requests race with the same code.
        claimed = db.session.execute(
            update(Credential)
            .where(Credential.id == credential.id, Credential.counter < counter)
            .values(counter=counter, last_used_at=ctx.now)
        ).rowcount
        if claimed != 1:
            # The right code, a second time (a double submit, another tab).
            raise NotAGuess(gettext("This code was already used. Wait for the next one."))

    # Enrolment: the key lives in the page until its first code confirms it.

    def _open_setup(self, ctx: MethodContext, sealed: str) -> str:
        try:
            data = ctx.sealer.open_form(sealed, SETUP_PURPOSE, [ctx.user.id, ctx.session_id],
                                        ctx.now, SETUP_TTL)
        except UnsealError as exc:
            raise StepExpired(gettext("This set-up has expired. Scan the new QR code and "
                                      "enter the code it gives.")) from exc
        secret = data.get("secret")
        if not isinstance(secret, str):
            raise StepExpired(gettext("This set-up has expired. Scan the new QR code and "
                                      "enter the code it gives."))
        return secret

    def start_enrolment(self, ctx: MethodContext,
                        shown: Mapping[str, str] | None = None) -> dict[str, Any]:
        sealed = (shown or {}).get("setup", "")
        try:
            secret = self._open_setup(ctx, sealed)
        except StepExpired:
            secret = pyotp.random_base32(32)
            sealed = ctx.sealer.seal_form(SETUP_PURPOSE, [ctx.user.id, ctx.session_id],
                                          {"secret": secret}, ctx.now)
        issuer = brand_of(ctx.directory).name
        uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP).provisioning_uri(
            name=ctx.user.username, issuer_name=issuer)
        grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
        return {"secret": secret, "secret_grouped": grouped, "uri": uri, "qr_svg": qr_svg(uri),
                "issuer": quote(issuer), "setup": sealed}

    def finish_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        code = clean_code(form.get("code", ""))
        sealed = form.get("setup", "")
        secret = self._open_setup(ctx, sealed)
        counter = matching_step(secret, code, ctx.now)
        if counter is None:
            raise not_right()
        if not spend_once(sealed, ctx.now + SETUP_TTL):
            raise StepExpired(gettext("This authenticator app was already set up."))
        for old in db.session.scalars(select(Credential).where(
                Credential.user_id == ctx.user.id, Credential.method == self.name)):
            db.session.delete(old)
        db.session.add(Credential(user_id=ctx.user.id, method=self.name,
                                  label="Authenticator app",
                                  secret_sealed=ctx.sealer.seal(secret.encode()),
                                  counter=counter, data={}, created_at=ctx.now,
                                  confirmed_at=ctx.now, last_used_at=ctx.now))
        db.session.flush()
        return Verified(amr=("otp",))
