"""Users: creation, lookup by username or email, password checks with rehashing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from flask_babel import gettext
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from ..delivery.addresses import EMAIL_PATTERN, ContactError, parse_phone
from ..domain.policies import NIST_MIN_LENGTH, Policies
from ..security.guessability import estimate_guessability, personal_words
from ..security.passwords import PasswordService
from ..security.tokens import new_secret
from ..storage import db
from ..storage.method_use import record_added
from ..storage.models import Directory, User
from .policies import directory_policies

USERNAME_PATTERN = re.compile(r"^[\w.@+-]{1,150}$")
#: The least length of a password where the directory chose none (its policy's default).
MIN_PASSWORD_LENGTH = NIST_MIN_LENGTH
MAX_PASSWORD_LENGTH = 1024


class AccountError(ValueError):
    """Account data is invalid; the message says why, for the person who gave it.

    Messages are in the page's language in a request, in English for the ``idp`` command.
    """


class DisabledAccount(Exception):
    """The password is right, but an admin disabled the account: it may not log in."""

    def __init__(self, user: User):
        super().__init__(f"user {user.id} is disabled")
        self.user = user


def normalize_login(value: str) -> str:
    """Return the comparison key of a username or email (NFKC, case-folded)."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


#: A new password must not be among the first 10**6 guesses of an attacker who tries the
#: common and breached passwords, words, names and keyboard patterns first (zxcvbn's "very
#: guessable"): far more than the failed-attempt limits let anyone try.
MIN_GUESSES_LOG10 = 6
#: One built on the person's own words (username, email, name, directory) must be 100 times
#: harder: whoever targets one account knows them, and tries them with every year and digit
#: first ("Acme2024!").
MIN_PERSONAL_GUESSES_LOG10 = 8


class PasswordRefused(AccountError):
    """A new password breaks the policy; `reason` names the rule for tests and callers."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def password_words(directory: Directory, username: str, email: str | None = None,
                   name: str | None = None) -> list[str]:
    """Return the words of a person and their directory that their password may not be."""
    return personal_words([username, email, email.partition("@")[0] if email else None,
                           name, directory.name, directory.slug])


def words_of(user: User) -> list[str]:
    """Return the words of a user and their directory that their password may not be."""
    return password_words(user.directory, user.username, user.email, user.name)


def check_password_policy(password: str, own_words: Iterable[str] = (),
                          policies: Policies | None = None) -> None:
    """Refuse a new password that is too short, too long, holds control characters, or is
    common, expected or breached (NIST SP 800-63B-4 3.1.1.2): a common password, a word or
    name, a keyboard pattern, or a variant of the person's own words (`own_words`: their
    username, email address, name and directory, see ``password_words``).

    `policies` are the directory's (``directory_policies``): its least length, and whether
    it checks for common passwords; without them, the defaults hold.

    The one password policy: every way of setting a password calls it. Raises
    PasswordRefused with the reason and a message for the person.
    """
    least = policies.password_min_length if policies is not None else MIN_PASSWORD_LENGTH
    if len(password) < least:
        raise PasswordRefused("too_short", gettext(
            "A password has at least %(count)s characters.", count=least))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRefused("too_long", gettext(
            "A password has at most %(count)s characters.", count=MAX_PASSWORD_LENGTH))
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        raise PasswordRefused("control_character", gettext(
            "A password cannot contain control characters."))
    if policies is not None and not policies.password_common_check:
        return
    guessability = estimate_guessability(password, own_words)
    if guessability.personal and guessability.guesses_log10 < MIN_PERSONAL_GUESSES_LOG10:
        raise PasswordRefused("personal", gettext(
            "This password is too easy to guess from your username, email address or name, "
            "or the directory's name. Choose another."))
    if guessability.guesses_log10 < MIN_GUESSES_LOG10:
        raise PasswordRefused("common", gettext(
            "This password is too common: attackers try common and leaked passwords, words "
            "and keyboard patterns first. Choose another; a few unrelated words make a strong "
            "password."))


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
        check_password_policy(password, password_words(directory, username, email, name),
                              directory_policies(directory))
    user = User(directory_id=directory.id, subject=new_secret(16), username=username,
                username_key=key, email=email, email_key=email_key, email_verified=False,
                phone=_phone(phone) if phone else None, phone_verified=False, name=name,
                password_hash=passwords.hash(password) if password is not None else None,
                is_admin=is_admin, disabled=False, created_at=now, updated_at=now)
    db.session.add(user)
    db.session.flush()
    if password is not None:
        record_added(user.id, "password", now)
    return user


def _phone(value: str) -> str:
    try:
        return parse_phone(value)
    except ContactError as exc:
        raise AccountError(str(exc)) from exc


#: How a user is loaded while serving a request: without joining its directory (the
#: request's is in the session already, kept in memory, and found there when read).
USER_WITHOUT_DIRECTORY = (lazyload(User.directory),)


def active_user(directory_id: int, user_id: int | None) -> User | None:
    """Return the user if it exists in this directory and is not disabled (its directory
    not joined: ``USER_WITHOUT_DIRECTORY``)."""
    user = db.session.get(User, user_id, options=USER_WITHOUT_DIRECTORY) \
        if user_id is not None else None
    return user if user is not None and is_active(user, directory_id) else None


def served_user(directory: Directory, user: User) -> User | None:
    """Return `user` as ``active_user`` does, for a request that only reads it: a row read in
    no session (``idp.storage.plain``), served if active in `directory`, which it is given
    as its own."""
    if not is_active(user, directory.id):
        return None
    set_committed_value(user, "directory", directory)
    return user


def is_active(user: User, directory_id: int) -> bool:
    """Say whether the user may be served in this directory: one of its own, not disabled."""
    return not user.disabled and user.directory_id == directory_id


# Built once: every password login looks its user up.
_BY_LOGIN = select(User).where(
    User.directory_id == bindparam("directory"),
    or_(User.username_key == bindparam("login"), User.email_key == bindparam("login")),
).options(*USER_WITHOUT_DIRECTORY)


def find_user(directory: Directory, login: str) -> User | None:
    """Return the user whose username or email matches `login` (its directory not joined:
    ``USER_WITHOUT_DIRECTORY``)."""
    key = normalize_login(login)
    if not key or "\x00" in key:  # no stored login has one; PostgreSQL refuses NUL
        return None
    return db.session.scalars(_BY_LOGIN, {"directory": directory.id, "login": key}).first()


def set_password(user: User, password: str, passwords: PasswordService, now: float) -> None:
    """Replace the user's password."""
    check_password_policy(password, words_of(user), directory_policies(user.directory))
    user.password_hash = passwords.hash(password)
    user.updated_at = now
    record_added(user.id, "password", now)


def named_by(directory: Directory, login: str) -> User | None:
    """Return the user a typed login (username or email) names, or None; one longer than
    any stored login names nobody, without a statement."""
    return find_user(directory, login) if len(login) <= 254 else None


def check_password(user: User | None, password: str, passwords: PasswordService,
                   now: float) -> User | None:
    """Return `user`, the one a login names (None: it names nobody), if the password is
    right, in the same time either way.

    Raises DisabledAccount when the password is right but the account is disabled: only
    who knows the password learns that. A hash made with older argon2 parameters is
    replaced transparently.
    """
    # Only the first characters are hashed (bounded cost), but a password longer
    # than any we store is never right, even if it starts with the right one.
    candidate = password[:MAX_PASSWORD_LENGTH]
    ok = passwords.verify(user.password_hash if user else None, candidate)
    if not ok or len(password) > MAX_PASSWORD_LENGTH or user is None:
        return None
    if user.disabled:
        raise DisabledAccount(user)
    if passwords.needs_rehash(user.password_hash or ""):
        user.password_hash = passwords.hash(candidate)
        user.updated_at = now
    return user
