"""Users: creation, lookup by username or email, password checks with rehashing."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext
from sqlalchemy import or_, select

from .contact import EMAIL_PATTERN, ContactError, parse_phone
from .security.passwords import PasswordService
from .security.tokens import new_secret
from .storage import db
from .storage.models import Directory, User

USERNAME_PATTERN = re.compile(r"^[\w.@+-]{1,150}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


class AccountError(ValueError):
    """Account data is invalid; the message says why, for the person who gave it.

    Messages are in the page's language in a request, in English for the ``idp`` command.
    """


def normalize_login(value: str) -> str:
    """Return the comparison key of a username or email (NFKC, case-folded)."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def check_password_policy(password: str) -> None:
    """Refuse passwords that are too short or absurdly long (NIST SP 800-63B 5.1.1)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(gettext("a password has at least %(count)s characters",
                                   count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(gettext("a password has at most %(count)s characters",
                                   count=MAX_PASSWORD_LENGTH))


def create_user(directory: Directory, *, username: str, password: str | None,
                passwords: PasswordService, now: float, email: str | None = None,
                phone: str | None = None, name: str | None = None,
                is_admin: bool = False) -> User:
    """Create a user after validating every field."""
    if not USERNAME_PATTERN.match(username):
        raise AccountError(gettext("a username is 1-150 letters, digits or . @ + - _"))
    if email is not None and not EMAIL_PATTERN.match(email):
        raise AccountError(gettext("this is not a valid email address"))
    key = normalize_login(username)
    email_key = normalize_login(email) if email else None
    if find_user(directory, key) is not None or (email_key and find_user(directory, email_key)):
        raise AccountError(gettext("a user with this username or email already exists"))
    if password is not None:
        check_password_policy(password)
    user = User(directory_id=directory.id, subject=new_secret(16), username=username,
                username_key=key, email=email, email_key=email_key, email_verified=False,
                phone=_phone(phone) if phone else None, phone_verified=False, name=name,
                password_hash=passwords.hash(password) if password is not None else None,
                is_admin=is_admin, disabled=False, created_at=now, updated_at=now)
    db.session.add(user)
    db.session.flush()
    return user


def _phone(value: str) -> str:
    try:
        return parse_phone(value)
    except ContactError as exc:
        raise AccountError(str(exc)) from exc


def active_user(directory_id: int, user_id: int | None) -> User | None:
    """Return the user if it exists in this directory and is not disabled."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or user.disabled or user.directory_id != directory_id:
        return None
    return user


def find_user(directory: Directory, login: str) -> User | None:
    """Return the user whose username or email matches `login`."""
    key = normalize_login(login)
    if not key or "\x00" in key:  # no stored login has one; PostgreSQL refuses NUL
        return None
    return db.session.scalars(select(User).where(
        User.directory_id == directory.id,
        or_(User.username_key == key, User.email_key == key))).first()


def set_password(user: User, password: str, passwords: PasswordService, now: float) -> None:
    """Replace the user's password."""
    check_password_policy(password)
    user.password_hash = passwords.hash(password)
    user.updated_at = now


def check_login(directory: Directory, login: str, password: str,
                passwords: PasswordService, now: float) -> User | None:
    """Return the active user if the password is right, in the same time either way.

    A hash made with older argon2 parameters is replaced transparently.
    """
    user = find_user(directory, login) if len(login) <= 254 else None
    # Only the first characters are hashed (bounded cost), but a password longer
    # than any we store is never right, even if it starts with the right one.
    candidate = password[:MAX_PASSWORD_LENGTH]
    ok = passwords.verify(user.password_hash if user else None, candidate)
    if not ok or len(password) > MAX_PASSWORD_LENGTH or user is None or user.disabled:
        return None
    if passwords.needs_rehash(user.password_hash or ""):
        user.password_hash = passwords.hash(candidate)
        user.updated_at = now
    return user
