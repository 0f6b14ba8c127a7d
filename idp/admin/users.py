"""What a directory's admin does with its users: find them a page at a time, edit, disable,
end their sessions, read their recent logins.

Paging is by keyset on ``username_key`` (``after``/``before`` a key, 50 at a time), never
OFFSET: a deep page costs what the first does. A search matches the start of the username
or email address (the casefolded keys) or any part of the name, case-insensitively.

An admin never sets nor sees a password: nothing here touches ``password_hash``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..delivery.addresses import ContactError, check_email, parse_mobile, parse_phone
from ..domain import LevelSettings
from ..domain.preview import enrol_options
from ..methods import SignInMethod, enrollable_now
from ..methods.device import forget_devices
from ..security.attempts import locked_until, unlock, user_account_key
from ..security.passwords import PasswordService
from ..storage import db
from ..storage.models import (
    AuditEvent,
    BrowserSession,
    Client,
    Directory,
    User,
)
from ..tenants.accounts import (
    USERNAME_PATTERN,
    AccountError,
    create_user,
    find_user,
    normalize_login,
)
from ..tenants.directories import level_settings, sms_policy
from ..users import enrol_allowance
from ..users.claims import save_claims
from ..users.enrolments import (
    Enrolment,
    find_enrolment,
    list_enrolments,
    methods_without,
    remove_enrolment,
)
from ..users.links import invitations
from ..users.profile import standing
from ..users.sessions import end_sessions, live_criteria

PAGE_SIZE = 50
MAX_QUERY = 100
MAX_KEY = 254
MAX_NAME = 200
MAX_ID = 2**31 - 1  # an INTEGER key; larger ids would make PostgreSQL raise
LOGIN_EVENTS = ("login", "login.failed", "login.disabled", "login.denied", "method.failed")
RECENT_LOGINS = 20


class UserAdminError(ValueError):
    """A change an admin asked for is refused; the message says why, for the admin.

    ``field`` names the form field at fault, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class UserPage:
    """One page of users in username order, with what each has enrolled and the page keys."""

    users: list[User]
    methods: Mapping[int, frozenset[str]]
    next_after: str | None
    previous_before: str | None


@dataclass(frozen=True)
class RemovalEffect:
    """What removing one enrolled item would mean for reaching the directory's level."""

    level_after: int
    required: int
    reachable: bool
    can_enrol_at_login: bool


# --- finding users --------------------------------------------------------------------------

def page_key(value: str | None) -> str | None:
    """Return a paging key from a URL if it could be one (bounded, no control characters)."""
    if not value or len(value) > MAX_KEY or not value.isprintable():
        return None
    return value


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search(query: str):
    """Return the condition of a search, or None when there is nothing to search for."""
    text = "".join(c for c in query.strip() if c.isprintable())[:MAX_QUERY]
    key = normalize_login(text)
    if not key:
        return None
    prefix = _like_escape(key) + "%"
    return or_(User.username_key.like(prefix, escape="\\"),
               User.email_key.like(prefix, escape="\\"),
               func.lower(User.name).like(f"%{_like_escape(text.lower())}%", escape="\\"))


def search_users(directory: Directory, methods: Mapping[str, SignInMethod], query: str = "", *,
                 after: str | None = None, before: str | None = None,
                 size: int = PAGE_SIZE) -> UserPage:
    """Return the page of users matching `query` after (or before) a username key, with the
    methods of each (`methods`: the registry)."""
    where = [User.directory_id == directory.id]
    condition = _search(query)
    if condition is not None:
        where.append(condition)
    after, before = page_key(after), page_key(before)
    if before is not None and after is None:
        rows = list(db.session.scalars(select(User).where(*where, User.username_key < before)
                                       .order_by(User.username_key.desc()).limit(size + 1)))
        has_previous = len(rows) > size
        users = rows[:size][::-1]
        has_next = bool(users) and _any(where, User.username_key > users[-1].username_key)
    else:
        bound = [User.username_key > after] if after is not None else []
        rows = list(db.session.scalars(select(User).where(*where, *bound)
                                       .order_by(User.username_key).limit(size + 1)))
        has_next = len(rows) > size
        users = rows[:size]
        has_previous = bool(users) and after is not None and _any(
            where, User.username_key < users[0].username_key)
    return UserPage(users, methods_of_users(directory, users, methods),
                    users[-1].username_key if has_next else None,
                    users[0].username_key if has_previous else None)


def _any(where: list, condition) -> bool:
    return bool(db.session.scalar(select(exists().where(*where, condition))))


def methods_of_users(directory: Directory, users: Iterable[User],
                     methods: Mapping[str, SignInMethod]) -> dict[int, frozenset[str]]:
    """Return the methods each user can complete, one ``holders`` query per method for the
    whole page: the census's rule and each method's ``is_enrolled``."""
    ids = [user.id for user in users]
    found: dict[int, set[str]] = {user_id: set() for user_id in ids}
    for name, method in methods.items():
        if method.per_user:
            for user_id in method.holders(directory, ids):
                found[user_id].add(name)
    return {user_id: frozenset(names) for user_id, names in found.items()}


def get_user(directory: Directory, user_id: str | int | None) -> User | None:
    """Return the directory's user with this id (as typed in a URL), if any."""
    text = str(user_id or "")
    if not text.isdecimal() or not text.isascii() or len(text) > 10 or int(text) > MAX_ID:
        return None
    user = db.session.get(User, int(text))
    return user if user is not None and user.directory_id == directory.id else None


def recent_logins(user: User, limit: int = RECENT_LOGINS) -> list[AuditEvent]:
    """Return the user's latest logins, failed steps and denied logins, newest first."""
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.user_id == user.id, AuditEvent.directory_id == user.directory_id,
        AuditEvent.event.in_(LOGIN_EVENTS)).order_by(AuditEvent.at.desc()).limit(limit)))


# --- checking fields ------------------------------------------------------------------------

def clean_name(value: str | None) -> str | None:
    """Return a display name trimmed (None when empty), or raise UserAdminError."""
    value = (value or "").strip()
    if len(value) > MAX_NAME:
        raise UserAdminError(gettext("A name has at most %(count)s characters.",
                                     count=MAX_NAME), "name")
    if not value.isprintable():
        raise UserAdminError(gettext("A name cannot contain control characters."), "name")
    return value or None


def clean_email(value: str | None) -> str | None:
    """Return an email address trimmed (None when empty), or raise UserAdminError."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return check_email(value)
    except ContactError as exc:
        raise UserAdminError(str(exc), "email") from exc


def clean_phone(value: str | None, directory: Directory,
                current: str | None = None) -> str | None:
    """Return a phone number in E.164 (None when empty), or raise UserAdminError.

    A number other than `current` (the stored one) must be one the directory's SMS
    destination policy allows: an admin cannot type what the user could not.
    """
    value = (value or "").strip()
    if not value:
        return None
    try:
        e164 = parse_phone(value)
        if e164 != current:
            e164 = parse_mobile(e164, sms_policy(directory))
    except ContactError as exc:
        raise UserAdminError(str(exc), "phone") from exc
    return e164


def email_taken(directory: Directory, email: str, except_user: User | None = None) -> bool:
    """Return whether another user logs in with this address (as username or email)."""
    key = normalize_login(email)
    query = select(exists().where(User.directory_id == directory.id,
                                  or_(User.username_key == key, User.email_key == key),
                                  *([User.id != except_user.id] if except_user else [])))
    return bool(db.session.scalar(query))


# --- changing users -------------------------------------------------------------------------

def create_invited_user(directory: Directory, actor: User | Client | None, *, username: str,
                        name: str | None, email: str | None, phone: str | None,
                        is_admin: bool, now: float, passwords: PasswordService) -> User:
    """Create a user without a password, to be invited by email; audit it (no `actor`: the
    installation's operator).

    Contact data an admin typed is unproven: the invitation link proves the email address,
    a code proves the phone.
    """
    username = (username or "").strip()
    if not USERNAME_PATTERN.match(username):
        raise UserAdminError(gettext("A username is 1 to 150 letters, digits or . @ + - _"),
                             "username")
    name, email = clean_name(name), clean_email(email)
    phone = clean_phone(phone, directory)
    if email is None:
        raise UserAdminError(gettext("Enter the email address the invitation goes to."),
                             "email")
    if find_user(directory, username) is not None:
        raise UserAdminError(gettext("Another user of this directory already has this "
                                     "username."), "username")
    if email_taken(directory, email):
        raise UserAdminError(gettext("Another user of this directory already has this "
                                     "email address."), "email")
    try:
        user = create_user(directory, username=username, password=None, passwords=passwords,
                           now=now, email=email, phone=phone, name=name, is_admin=is_admin)
    except (AccountError, IntegrityError) as exc:  # a race with another admin
        db.session.rollback()
        raise UserAdminError(gettext("Another user of this directory already has this "
                                     "username or email address.")) from exc
    audit.record(directory.id, audit.events.ADMIN_USER_CREATED, now, user_id=user.id,
                 admin=is_admin, **audit.actor_of(actor))
    return user


def update_user(directory: Directory, user: User, *, name: str | None, email: str | None,
                phone: str | None, now: float) -> list[str]:
    """Change the name, email and phone; return the fields that changed.

    A new email or phone is unproven until its owner proves it with a code; a pending
    invitation went to the old address, so it ends.
    """
    name, email = clean_name(name), clean_email(email)
    phone = clean_phone(phone, directory, user.phone)
    changed = []
    if name != user.name:
        user.name = name
        changed.append("name")
    if email != user.email:
        if email is not None and email_taken(directory, email, except_user=user):
            raise UserAdminError(gettext("Another user of this directory already has this "
                                         "email address."), "email")
        user.email = email
        user.email_key = normalize_login(email) if email else None
        user.email_verified = False
        invitations.end_open(user.id, now)
        changed.append("email")
    if phone != user.phone:
        user.phone, user.phone_verified = phone, False
        changed.append("phone")
    if changed:
        user.updated_at = now
        try:
            db.session.flush()
        except IntegrityError as exc:  # another admin took the address a moment ago
            db.session.rollback()
            raise UserAdminError(gettext("Another user of this directory already has this "
                                         "email address."), "email") from exc
    return changed


def set_disabled(user: User, disabled: bool, actor: User | Client, now: float) -> int:
    """Disable (ending every session and token, forgetting every remembered device) or
    enable a user; never oneself. Return how many remembered devices were forgotten."""
    if disabled and isinstance(actor, User) and user.id == actor.id:
        raise UserAdminError(gettext("You cannot disable your own account."))
    user.disabled = disabled
    user.updated_at = now
    if not disabled:
        return 0
    user.enrol_allowed_until = None  # an admin's help ends with the account's use
    end_sessions(user.directory, user.id, now, "user_disabled")
    return forget_devices(user.id, now)


def live_sessions(user: User, now: float) -> int:
    """Return how many browser sessions of the user are live."""
    return db.session.scalar(select(func.count(BrowserSession.id)).where(
        BrowserSession.user_id == user.id, *live_criteria(user.directory, now))) or 0


def removal_effect(settings: LevelSettings, items: list[Enrolment], key: str,
                   enrollable: Iterable[str]) -> RemovalEffect:
    """Say whether the user still reaches the required level without item `key` ("" for
    none), and if not, whether their next login would let them enrol a method that gets
    them there: the profile's rule (``idp.users.profile.standing``), so both pages agree."""
    after = standing(settings, methods_without(items, key), enrollable)
    return RemovalEffect(after.level, after.required, after.reaches, bool(after.enrol_after))


def locked_out_until(user: User, now: float) -> float | None:
    """Return until when failed attempts lock the user out (from some source), or None."""
    return locked_until(user.directory_id, user_account_key(user.directory_id, user.id), now)


def unlock_user(user: User, actor: User | Client, now: float) -> int:
    """End the user's lock-outs and forget their failed attempts, from every source; audit
    it. Return how many lock-outs were ended."""
    ended = unlock(user.directory_id, user_account_key(user.directory_id, user.id), now)
    audit.record(user.directory_id, audit.events.ADMIN_USER_UNLOCKED, now, user_id=user.id,
                 count=ended, **audit.actor_of(actor))
    return ended


# --- the changes an admin (or a service account) makes, each audited with its actor ---------

def change_user(directory: Directory, user: User, actor: User | Client, *, name: str | None,
                email: str | None, phone: str | None, now: float) -> list[str]:
    """Change the name, email and phone (``update_user``) and audit what changed."""
    changed = update_user(directory, user, name=name, email=email, phone=phone, now=now)
    if changed:
        audit.record(directory.id, audit.events.ADMIN_USER_UPDATED, now, user_id=user.id,
                     fields=changed, **audit.actor_of(actor))
    return changed


def change_claims(user: User, actor: User | Client, typed: Mapping[str, object],
                  names: Iterable[str], now: float) -> list[str]:
    """Save the user's standard claims (``save_claims``: every field checked) and audit
    which changed."""
    changed = save_claims(user, typed, names, now)
    if changed:
        audit.record(user.directory_id, audit.events.ADMIN_USER_UPDATED, now, user_id=user.id,
                     fields=changed, **audit.actor_of(actor))
    return changed


def switch_user(user: User, disabled: bool, actor: User | Client, now: float) -> None:
    """Disable or enable a user (``set_disabled``) and audit it."""
    forgotten = set_disabled(user, disabled, actor, now)
    if disabled:
        audit.record(user.directory_id, audit.events.ADMIN_USER_DISABLED, now, user_id=user.id,
                     devices=forgotten, **audit.actor_of(actor))
    else:
        audit.record(user.directory_id, audit.events.ADMIN_USER_ENABLED, now, user_id=user.id,
                     **audit.actor_of(actor))


def remove_method(directory: Directory, user: User, key: str, actor: User | Client, now: float,
                  methods: Mapping[str, SignInMethod]) -> tuple[Enrolment, RemovalEffect]:
    """Remove one of the user's items; return it and what it means for their level (the
    one removal rule, ``removal_effect``). Audited."""
    items = list_enrolments(user, now, methods)
    item = find_enrolment(items, key)
    if item is None or not item.removable:
        raise UserAdminError(gettext("This sign-in method is not there any more."))
    effect = removal_effect(level_settings(directory), items, item.key, enrollable_now(methods))
    remove_enrolment(user, item.key, now, methods)
    audit.record(directory.id, audit.events.ADMIN_METHOD_REMOVED, now, user_id=user.id,
                 method=item.method, **audit.actor_of(actor))
    return item, effect


def log_out_user(directory: Directory, user: User, actor: User | Client, now: float,
                 ip: str | None) -> int:
    """End every session of the user (revoking the apps' tokens from them) and forget
    their remembered devices; audit it and return how many sessions ended."""
    ended = end_sessions(directory, user.id, now, "admin", ip=ip)
    forgotten = forget_devices(user.id, now)
    audit.record(directory.id, audit.events.ADMIN_SESSIONS_ENDED, now, user_id=user.id,
                 sessions=ended.sessions, devices=forgotten, **audit.actor_of(actor))
    return ended.sessions


# --- helping a user whose methods are gone ------------------------------------------------

def enrol_after_password(settings: LevelSettings, enrollable: Iterable[str]) -> tuple[str, ...]:
    """Return the methods of which setting up one after the password reaches the level:
    what an allowance to set up a new method at the next login can lead to (none: it
    cannot help, the password and one new method stay below the level)."""
    return enrol_options(settings, frozenset({"password"}), frozenset(enrollable))


def allow_enrolment(directory: Directory, user: User, actor: User | Client, now: float,
                    methods: Mapping[str, SignInMethod], *, ip: str | None = None,
                    user_agent: str | None = None) -> float:
    """Let the user set up a new method at their next login, once, for
    ``enrol_allowance.ALLOWANCE_HOURS`` (``idp.users.enrol_allowance``); audit it and
    return until when. Refused for a user who cannot log in with a password, or when no
    method set up after the password would reach the directory's level."""
    if user.disabled:
        raise UserAdminError(gettext("This user is disabled: enable them first."))
    if not user.password_hash:
        raise UserAdminError(gettext("This user has not set a password yet: send the "
                                     "invitation again instead."))
    if not enrol_after_password(level_settings(directory), enrollable_now(methods)):
        raise UserAdminError(gettext(
            "No method set up after the password reaches level %(level)s, so a new method "
            "at the next login would not get this user in.",
            level=level_settings(directory).required_level))
    until = enrol_allowance.grant(user, now)
    audit.record(directory.id, audit.events.ADMIN_ENROL_ALLOWED, now, user_id=user.id,
                 ip=ip, user_agent=user_agent, hours=enrol_allowance.ALLOWANCE_HOURS,
                 **audit.actor_of(actor))
    return until


def withdraw_enrolment(directory: Directory, user: User, actor: User | Client, now: float,
                       *, ip: str | None = None, user_agent: str | None = None) -> bool:
    """End the user's allowance to set up a new method at the next login; audit it. Say
    whether one was live."""
    live = enrol_allowance.withdraw(user, now)
    if live:
        audit.record(directory.id, audit.events.ADMIN_ENROL_WITHDRAWN, now, user_id=user.id,
                     ip=ip, user_agent=user_agent, **audit.actor_of(actor))
    return live
