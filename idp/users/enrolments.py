"""What a user has enrolled, item by item, and removing one item (profile and admin pages).

A method may have several items (passkeys, apps, remembered devices); removing one
leaves the method enrolled while another remains. Each item has a key that names it
within its user (``passkey:12``), so a form can only ever reach its own user's items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select

from ..methods.voice.storage import remove_voice_number, voice_number
from ..storage import db
from ..storage.models import AppDevice, Credential, Passkey, RememberedDevice, User

#: Items that cannot be removed here: the password is changed, never removed.
FIXED = frozenset({"password"})


@dataclass(frozen=True)
class Enrolment:
    """One enrolled item of a user: its method, its key, and what a list shows of it."""

    method: str
    key: str
    label: str
    created_at: float | None = None
    last_used_at: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def removable(self) -> bool:
        return self.method not in FIXED


def list_enrolments(user: User, now: float) -> list[Enrolment]:
    """Return every enrolled item of the user, methods first, remembered devices last."""
    items: list[Enrolment] = []
    if user.password_hash is not None:
        items.append(Enrolment("password", "password", "Password"))
    if user.phone and user.phone_verified:
        items.append(Enrolment("sms", "sms", user.phone))
    if user.email and user.email_verified:
        items.append(Enrolment("email", "email", user.email))
    voice = voice_number(user)
    if voice is not None:
        items.append(Enrolment("voice", "voice", voice.phone, voice.verified_at))
    for row in db.session.scalars(select(Credential).where(
            Credential.user_id == user.id, Credential.method == "totp",
            Credential.confirmed_at.is_not(None)).order_by(Credential.id)):
        items.append(Enrolment("totp", f"totp:{row.id}", row.label or "Authenticator app",
                               row.created_at, row.last_used_at))
    for row in db.session.scalars(select(Passkey).where(
            Passkey.user_id == user.id).order_by(Passkey.id)):
        items.append(Enrolment("passkey", f"passkey:{row.id}", row.name, row.created_at,
                               row.last_used_at,
                               {"synced": row.backup_eligible,
                                "clone_warning": row.clone_warning_at is not None}))
    for row in db.session.scalars(select(AppDevice).where(
            AppDevice.user_id == user.id, AppDevice.removed_at.is_(None)).order_by(AppDevice.id)):
        items.append(Enrolment("app", f"app:{row.id}", row.name, row.created_at,
                               row.last_used_at,
                               {"blocked": row.blocked_at is not None,
                                "confirmed": row.confirmed_at is not None}))
    remaining = db.session.scalar(select(func.count(Credential.id)).where(
        Credential.user_id == user.id, Credential.method == "recovery",
        Credential.used_at.is_(None))) or 0
    if remaining:
        created = db.session.scalar(select(func.max(Credential.created_at)).where(
            Credential.user_id == user.id, Credential.method == "recovery"))
        items.append(Enrolment("recovery", "recovery", "Recovery codes", created, None,
                               {"remaining": remaining}))
    for row in db.session.scalars(select(RememberedDevice).where(
            RememberedDevice.user_id == user.id, RememberedDevice.revoked_at.is_(None),
            RememberedDevice.expires_at > now).order_by(RememberedDevice.last_used_at.desc())):
        items.append(Enrolment("device", f"device:{row.id}", row.name, row.created_at,
                               row.last_used_at, {"expires_at": row.expires_at}))
    return items


def counting_methods(items: list[Enrolment]) -> frozenset[str]:
    """Return the methods these items let the user complete (an app only once confirmed,
    not blocked; a remembered device never counts towards what a user can reach)."""
    methods = set()
    for item in items:
        if item.method == "device":
            continue
        if item.method == "app" and (item.detail.get("blocked")
                                     or not item.detail.get("confirmed")):
            continue
        methods.add(item.method)
    return frozenset(methods)


def methods_without(items: list[Enrolment], key: str) -> frozenset[str]:
    """Return the methods the user could still complete after removing item `key`."""
    return counting_methods([item for item in items if item.key != key])


def find_enrolment(items: list[Enrolment], key: str) -> Enrolment | None:
    """Return the item with this key among the user's items."""
    if not isinstance(key, str) or len(key) > 40:
        return None
    return next((item for item in items if item.key == key), None)


def remove_enrolment(user: User, key: str, now: float) -> Enrolment | None:
    """Remove one item of the user; return it, or None if the user has no such item.

    Removing the SMS method forgets the phone number; removing the email method only
    unproves the address (it stays the user's contact and login).
    """
    item = find_enrolment(list_enrolments(user, now), key)
    if item is None or not item.removable:
        return None
    kind, _, number = item.key.partition(":")
    row_id = int(number) if number.isdigit() else None
    if kind == "sms":
        user.phone, user.phone_verified = None, False
    elif kind == "email":
        user.email_verified = False
    elif kind == "voice":
        remove_voice_number(user)
    elif kind == "totp":
        db.session.execute(delete(Credential).where(
            Credential.id == row_id, Credential.user_id == user.id))
    elif kind == "recovery":
        db.session.execute(delete(Credential).where(
            Credential.user_id == user.id, Credential.method == "recovery"))
    elif kind == "passkey":
        db.session.execute(delete(Passkey).where(Passkey.id == row_id,
                                                 Passkey.user_id == user.id))
    elif kind == "app":
        device = db.session.get(AppDevice, row_id)
        if device is not None and device.user_id == user.id:
            device.removed_at = now
    elif kind == "device":
        device_row = db.session.get(RememberedDevice, row_id)
        if device_row is not None and device_row.user_id == user.id:
            device_row.revoked_at = now
    user.updated_at = now
    return item
