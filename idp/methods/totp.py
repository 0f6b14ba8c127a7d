"""Authenticator app: RFC 6238 time-based codes, each accepted once."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import pyotp
import qrcode
import qrcode.image.svg
from flask_babel import gettext, lazy_gettext
from sqlalchemy import select, update

from ..storage import db
from ..storage.models import Credential, User
from .base import MethodContext, MethodFailed, NotAGuess, SignInMethod, Verified

STEP = 30
DRIFT_STEPS = 1  # accept the previous and the next 30 s window, no more
DIGITS = 6


def clean_code(value: str, digits: int = DIGITS) -> str:
    """Return the code without spaces, or raise MethodFailed if it is not `digits` digits."""
    code = (value or "").replace(" ", "").replace("-", "")
    if len(code) != digits or not code.isascii() or not code.isdigit():
        raise NotAGuess(gettext("Enter the %(digits)s-digit code.", digits=digits))
    return code


def qr_svg(data: str) -> str:
    """Return an inline SVG QR code of `data`."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


class TotpMethod(SignInMethod):
    """A code from any authenticator app (amr ``otp``)."""

    name = "totp"
    title = lazy_gettext("Authenticator app")
    template = "methods/totp.html"
    enrol_template = "methods/totp_enrol.html"

    def _credential(self, user: User, confirmed: bool = True) -> Credential | None:
        query = select(Credential).where(Credential.user_id == user.id,
                                         Credential.method == self.name)
        query = query.where(Credential.confirmed_at.is_not(None) if confirmed
                            else Credential.confirmed_at.is_(None))
        return db.session.scalars(query.order_by(Credential.id.desc())).first()

    def is_enrolled(self, user: User) -> bool:
        return self._credential(user) is not None

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        credential = self._credential(ctx.user)
        if credential is None:
            raise MethodFailed(gettext("No authenticator app is set up for this account."))
        self._check(ctx, credential, clean_code(form.get("code", "")))
        return Verified(amr=("otp",))

    def _check(self, ctx: MethodContext, credential: Credential, code: str) -> None:
        """Accept a code of the current window or one next to it, never twice."""
        secret = ctx.sealer.unseal(credential.secret_sealed or b"").decode()
        totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
        current = int(ctx.now // STEP)
        for counter in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
            if hmac.compare_digest(totp.generate_otp(counter), code):
                # Compare-and-set: a code (or an older one) used once is refused,
                # even when two requests race with the same code.
                claimed = db.session.execute(
                    update(Credential)
                    .where(Credential.id == credential.id, Credential.counter < counter)
                    .values(counter=counter, last_used_at=ctx.now)
                ).rowcount
                if claimed != 1:
                    # The right code, a second time (a double submit, another tab).
                    raise NotAGuess(gettext("This code was already used. "
                                            "Wait for the next one."))
                return
        raise MethodFailed(gettext("This code is not right. Check the time on your phone and "
                                   "try again."))

    def start_enrolment(self, ctx: MethodContext) -> dict[str, Any]:
        pending = self._credential(ctx.user, confirmed=False)
        if pending is None:
            pending = Credential(user_id=ctx.user.id, method=self.name, label="Authenticator app",
                                 secret_sealed=ctx.sealer.seal(pyotp.random_base32(32).encode()),
                                 counter=0, data={}, created_at=ctx.now)
            db.session.add(pending)
            db.session.flush()
        secret = ctx.sealer.unseal(pending.secret_sealed or b"").decode()
        issuer = ctx.directory.name
        uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP).provisioning_uri(
            name=ctx.user.username, issuer_name=issuer)
        grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
        return {"secret": secret, "secret_grouped": grouped, "uri": uri, "qr_svg": qr_svg(uri),
                "issuer": quote(issuer)}

    def finish_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        pending = self._credential(ctx.user, confirmed=False)
        if pending is None:
            raise NotAGuess(gettext("Start the set-up again: it has expired."))
        self._check(ctx, pending, clean_code(form.get("code", "")))
        for old in db.session.scalars(select(Credential).where(
                Credential.user_id == ctx.user.id, Credential.method == self.name,
                Credential.confirmed_at.is_not(None))):
            db.session.delete(old)
        pending.confirmed_at = ctx.now
        return Verified(amr=("otp",))
