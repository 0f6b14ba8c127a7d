"""What the self-service profile changes, as functions of storage without a request.

The web layer (``idp.web.account.profile*``) parses, calls one of these, writes the audit
event and sends the notice. The rules about reaching the directory's level are pure
functions of ``LevelSettings``:

- a login starts with something that says who the user is (the password, or a passkey
  alone), so only method combinations with one of those count: the admin's lock-out
  preview's ``idp.domain.preview.reaching_combinations``, the same function;
- removing an item whose method still reaches the level with the user's other methods
  is *safe*; one that leaves them below it but lets them set up another method at their
  next login (enrolment during login) needs their explicit *confirmation*; one after
  which no login could reach the level any more is *refused*.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..domain import METHODS, LevelSettings
from ..domain.preview import enrol_options, first_steps, reaches
from ..methods import METHOD_TYPES
from ..security.passwords import PasswordService
from ..storage import db
from ..storage.method_use import record_added
from ..storage.models import AuditEvent, BrowserSession, User
from ..tenants.accounts import (
    MAX_PASSWORD_LENGTH,
    PasswordRefused,
    find_user,
    normalize_login,
    set_password,
)
from .enrolments import Enrolment, counting_methods, find_enrolment, methods_without
from .sessions import live_criteria

#: The keys of enrolled items (``SignInMethod.items``): a method's name, or its name and a
#: row id when a user may have several (``SignInMethod.several``); ids fit a 32-bit column.
KEY_PATTERN = re.compile("|".join([
    "(?:{})".format("|".join(re.escape(t.name) for t in METHOD_TYPES if not t.several)),
    "(?:{}):[0-9]{{1,10}}".format("|".join(re.escape(t.name) for t in METHOD_TYPES if t.several)),
]))
ID_PATTERN = re.compile(r"[0-9]{1,10}")
MAX_ID = 2**31 - 1
MAX_NAME = 200
MAX_LABEL = 100


class ProfileError(ValueError):
    """A change cannot be made as asked; `reason` names why for the page to explain, and
    `text`, when given, is that explanation already (the password policy's own words)."""

    def __init__(self, reason: str, text: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.text = text


# --- Input ---------------------------------------------------------------------------------

def clean_text(value: str | None, limit: int) -> str:
    """Return typed text with its whitespace collapsed; refuse control characters (NUL, ...)
    and text longer than `limit`."""
    text = " ".join((value or "").split())
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ProfileError("control_character")
    if len(text) > limit:
        raise ProfileError("too_long")
    return text


def parse_id(value: str) -> int | None:
    """Return a row id typed in a URL, or None when it cannot be one."""
    if not ID_PATTERN.fullmatch(value or ""):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def valid_key(key: str) -> bool:
    """Return whether `key` has the form of an enrolled item's key (``passkey:12``)."""
    if not KEY_PATTERN.fullmatch(key or ""):
        return False
    _, _, number = key.partition(":")
    return not number or parse_id(number) is not None


# --- Reaching the level (pure) -------------------------------------------------------------

def _usable(settings: LevelSettings, methods: Iterable[str]) -> list[str]:
    """Return the methods a login can use, in METHODS order: those worth points, and the
    password always (it starts a login even when worth nothing)."""
    names = set(methods)
    return [m for m in METHODS if m in names and m != "device"
            and (m == "password" or settings.points_of(m) > 0)]


def reachable_level(settings: LevelSettings, methods: Iterable[str]) -> int:
    """Return the highest level a login can reach with these methods (0 if none starts one)."""
    usable = _usable(settings, methods)
    return settings.level_of(usable) if set(usable) & first_steps(settings) else 0


@dataclass(frozen=True)
class Standing:
    """Where some methods leave a user: the level a login reaches with them (0 when none
    starts a login), the level required, and the methods of which setting up one at the
    next login reaches it (none when it is reached, or when nothing could start a login)."""

    level: int
    required: int
    enrol_after: tuple[str, ...]

    @property
    def reaches(self) -> bool:
        return self.level >= self.required


def standing(settings: LevelSettings, methods: Iterable[str],
             enrollable: Iterable[str]) -> Standing:
    """Return where `methods` leave a user: the one rule of the profile and the user
    administration for what removing an item means (``removal_effect`` and
    ``idp.admin.users.removal_effect``). Some method must still be able to start a login:
    without a password or a passkey nothing reaches any level, and nothing can be set up
    at a login that cannot start."""
    methods = frozenset(methods)
    enrol_after = () if reaches(settings, methods) else enrol_options(
        settings, methods, frozenset(enrollable))
    return Standing(reachable_level(settings, methods), settings.required_level, enrol_after)


@dataclass(frozen=True)
class Removal:
    """What removing one item means for reaching the directory's level."""

    item: Enrolment
    required: int
    level_before: int
    level_after: int
    #: Methods of which setting up one at the next login reaches the level again.
    enrol_after: tuple[str, ...]

    @property
    def safe(self) -> bool:
        """The user's other methods still reach the level (or never did without it)."""
        return self.level_after >= self.required or self.level_after >= self.level_before

    @property
    def refused(self) -> bool:
        """No login could reach the level after it: the last way in."""
        return not self.safe and not self.enrol_after


def removal_effect(settings: LevelSettings, items: list[Enrolment], key: str,
                   enrollable: Iterable[str]) -> Removal | None:
    """Return what removing the item `key` means, or None if the user has no such item.

    `enrollable` are the methods that can be set up during login (their channel works).
    """
    item = find_enrolment(items, key)
    if item is None:
        return None
    after = standing(settings, methods_without(items, key), enrollable)
    return Removal(item, after.required, reachable_level(settings, counting_methods(items)),
                   after.level, after.enrol_after)


# --- Personal information ------------------------------------------------------------------

def change_name(user: User, typed: str | None, now: float) -> str | None:
    """Set the user's display name (empty clears it); return the name before."""
    name = clean_text(typed, MAX_NAME) or None
    before = user.name
    user.name = name
    user.updated_at = now
    return before


def contact_taken(user: User, kind: str, value: str) -> bool:
    """Return whether another user of the directory has this email address or phone number
    (`kind` "email" or "phone"). An email address also may not be another user's
    username: both log in."""
    if kind == "email":
        other = find_user(user.directory, value)
        return other is not None and other.id != user.id
    return db.session.scalars(select(User.id).where(
        User.directory_id == user.directory_id, User.phone == value,
        User.id != user.id).limit(1)).first() is not None


def check_new_contact(user: User, kind: str, value: str) -> None:
    """Refuse a new email address or phone number before a code is sent to it: the user's
    own proven one again ("already_proven"), or another user's ("taken")."""
    current, proven = (user.email, user.email_verified) if kind == "email" \
        else (user.phone, user.phone_verified)
    if value == current and proven:
        raise ProfileError(f"already_proven_{kind}")
    if contact_taken(user, kind, value):
        raise ProfileError("taken")


@dataclass(frozen=True)
class ContactChange:
    """A proven email address or phone number saved on a user."""

    before: str | None
    after: str
    was_proven: bool

    @property
    def changed(self) -> bool:
        return self.before != self.after


#: The sign-in method whose codes go to each kind of contact detail.
CONTACT_METHODS = {"email": "email", "phone": "sms"}


def apply_contact(user: User, kind: str, value: str, now: float) -> ContactChange:
    """Save a proven email address or phone number on the user (`kind` "email" or "phone").

    Raises ProfileError("taken") when another user has it by now.
    """
    if contact_taken(user, kind, value):
        raise ProfileError("taken")
    if kind == "email":
        change = ContactChange(user.email, value, bool(user.email_verified))
        user.email, user.email_key, user.email_verified = value, normalize_login(value), True
    else:
        change = ContactChange(user.phone, value, bool(user.phone_verified))
        user.phone, user.phone_verified = value, True
    user.updated_at = now
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same address saved by another user at this moment
        raise ProfileError("taken") from exc
    # Proving an address sets up its codes (text message codes for a phone number).
    record_added(user.id, CONTACT_METHODS[kind], now)
    return change


# --- Password ------------------------------------------------------------------------------

def change_password(user: User, current: str, new: str, repeated: str,
                    passwords: PasswordService, now: float) -> None:
    """Replace the user's password after checking the current one; raise ProfileError.

    A user without a password (a passkey alone) sets a first one without `current`.
    """
    if user.password_hash is not None and (
            len(current) > MAX_PASSWORD_LENGTH
            or not passwords.verify(user.password_hash, current)):
        raise ProfileError("wrong_current")
    if new != repeated:
        raise ProfileError("mismatch")
    try:
        set_password(user, new, passwords, now)
    except PasswordRefused as exc:
        raise ProfileError(exc.reason, str(exc)) from exc


# --- Sessions ------------------------------------------------------------------------------

def find_session(user: User, session_id: int, now: float) -> BrowserSession | None:
    """Return the user's live session with this id, or None (another user's, ended, expired)."""
    return db.session.scalars(select(BrowserSession).where(
        BrowserSession.id == session_id, BrowserSession.user_id == user.id,
        *live_criteria(user.directory, now))).first()


# --- Activity ------------------------------------------------------------------------------

def recent_activity(user: User, events: Iterable[str], prefixes: Iterable[str] = (),
                    limit: int = 20) -> list[AuditEvent]:
    """Return the user's latest audit events of these kinds (or starting with a prefix)."""
    kinds = or_(AuditEvent.event.in_(list(events)),
                *(AuditEvent.event.like(f"{prefix}%") for prefix in prefixes))
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.user_id == user.id, AuditEvent.directory_id == user.directory_id, kinds,
    ).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))
