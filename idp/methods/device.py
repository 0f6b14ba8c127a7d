"""Remembered device: a browser the user chose to remember after a full login (no amr).

The browser keeps a long-lived, signed, HttpOnly cookie holding a random token; the
server keeps the token's hash in a device record the user or an admin can revoke.
The device's points never count alone (``LevelSettings.level_of``), and it is never
offered on the step-up page: the browser completes it, the person does not choose it.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext, lazy_gettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, bindparam, select, update
from ua_parser import parse as parse_user_agent

from ..domain import MethodInfo
from ..security.tokens import hash_secret, new_secret
from ..storage import db
from ..storage.models import RememberedDevice, User
from ..tenants.policies import device_seconds
from .base import (
    Enrolment,
    MethodContext,
    MethodFailed,
    MethodParts,
    SignInMethod,
    Verified,
)


def device_name(user_agent: str | None) -> str:
    """Return a name people recognise, such as "Firefox on Linux"."""
    parsed = parse_user_agent((user_agent or "")[:512])
    browser = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    if browser and system:
        return f"{browser} on {system}"[:100]
    return (browser or system or "Unknown browser")[:100]


class RememberedDeviceMethod(SignInMethod):
    """This browser, remembered: its cookie is the response to verify."""

    name = "device"
    default_points = 0
    info = MethodInfo((), frozenset(), offered_in_step_up=False)
    title = lazy_gettext("Remembered device")
    several = True
    removed_notice = lazy_gettext("A remembered device was removed from your account")
    template = ""
    per_user = False

    @classmethod
    def build(cls, parts: MethodParts) -> SignInMethod:
        return cls(parts.settings.secret_key)

    def __init__(self, secret_key: str):
        self._signer = URLSafeSerializer(secret_key, salt="idp/remembered-device")

    def _live(self, user: User, now: float | None = None):
        query = select(RememberedDevice).where(RememberedDevice.user_id == user.id,
                                               RememberedDevice.revoked_at.is_(None))
        if now is not None:
            query = query.where(RememberedDevice.expires_at > now)
        return query

    def holding(self) -> Select:
        return select(RememberedDevice.user_id).where(
            RememberedDevice.directory_id == bindparam("directory"),
            RememberedDevice.revoked_at.is_(None))

    def items(self, user: User, now: float) -> list[Enrolment]:
        # Most recently used first; a browser never counts towards what a user can reach.
        return [Enrolment(self.name, f"{self.name}:{row.id}", row.name, row.created_at,
                          row.last_used_at, {"expires_at": row.expires_at, "ip": row.ip},
                          counts=False, shown=(row.name,))
                for row in self.devices(user, now)]

    def remove(self, user: User, item: Enrolment, now: float) -> None:
        row = db.session.get(RememberedDevice, int(item.key.partition(":")[2]))
        if row is not None and row.user_id == user.id:
            row.revoked_at = now

    def devices(self, user: User, now: float) -> list[RememberedDevice]:
        """Return the user's remembered devices that still count, most recently used first."""
        return list(db.session.scalars(
            self._live(user, now).order_by(RememberedDevice.last_used_at.desc())))

    def _named(self, user: User, cookie: str, now: float) -> RememberedDevice | None:
        """Return the user's live device record the cookie names, if any."""
        try:
            token = self._signer.loads(cookie or "")
        except BadSignature:
            return None
        return db.session.scalars(self._live(user, now).where(
            RememberedDevice.token_hash == hash_secret(str(token)))).first()

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        """Accept the device cookie of this user's live device record."""
        row = self._named(ctx.user, form.get("device") or "", ctx.now)
        if row is None:
            raise MethodFailed(gettext("This device is not remembered."))
        row.last_used_at = ctx.now
        return Verified(amr=())

    def key_of(self, user: User, cookie: str, now: float) -> str | None:
        """Return the item key of the user's remembered device this cookie names (this
        browser, on the profile), or None; nothing is written."""
        row = self._named(user, cookie, now)
        return f"{self.name}:{row.id}" if row is not None else None

    def remember(self, ctx: MethodContext, user_agent: str | None) -> str:
        """Create a device record for this browser; return the cookie value to set."""
        token = new_secret(32)
        db.session.add(RememberedDevice(
            directory_id=ctx.directory.id, user_id=ctx.user.id, token_hash=hash_secret(token),
            name=device_name(user_agent), ip=ctx.ip, created_at=ctx.now, last_used_at=ctx.now,
            expires_at=ctx.now + device_seconds(ctx.directory)))
        return self._signer.dumps(token)

    def revoke(self, user: User, device_id: int, now: float) -> bool:
        """Stop a device of the user from counting; return whether there was one."""
        row = db.session.get(RememberedDevice, device_id)
        if row is None or row.user_id != user.id or row.revoked_at is not None:
            return False
        row.revoked_at = now
        return True


def forget_devices(user_id: int, now: float) -> int:
    """Stop every remembered device of a user from counting (the user is disabled, or
    logged out everywhere); return how many were forgotten."""
    return db.session.execute(update(RememberedDevice).where(
        RememberedDevice.user_id == user_id, RememberedDevice.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount or 0
