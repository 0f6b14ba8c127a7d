"""Password sign-in: argon2id hashes, login by username or email, rehashing, no enumeration."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from idp.methods import AccountDisabled, MethodFailed, PasswordMethod, Verified
from idp.methods.password import WRONG_CREDENTIALS
from idp.security.passwords import Argon2Parameters, PasswordService
from idp.storage import db
from idp.tenants.accounts import (
    MAX_PASSWORD_LENGTH,
    DisabledAccount,
    check_password,
    named_by,
    set_password,
)
from tests.support.live import PASSWORD, TEST_SETTINGS

pytestmark = pytest.mark.storage

NOW = 1_700_000_000.0


def check_login(directory, login: str, password: str, passwords: PasswordService, now: float):
    """The password step's check: the user the login names, and their password."""
    return check_password(named_by(directory, login), password, passwords, now)


class SpyHasher:
    """Delegate to an argon2 hasher and record every hash that was verified against."""

    def __init__(self, inner: PasswordHasher):
        self.inner = inner
        self.verified: list[str] = []

    def hash(self, password: str) -> str:
        return self.inner.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        self.verified.append(stored_hash)
        return self.inner.verify(stored_hash, password)

    def check_needs_rehash(self, stored_hash: str) -> bool:
        return self.inner.check_needs_rehash(stored_hash)


class CountingPasswordService(PasswordService):
    """A PasswordService that counts the argon2 verifications it runs."""

    def __init__(self, params: Argon2Parameters):
        super().__init__(params, concurrency=2, wait_seconds=5)
        self.spy = SpyHasher(self._hasher)
        self._hasher = self.spy  # type: ignore[assignment]

    @property
    def dummy_hash(self) -> str:
        return self._dummy_hash


def app_parameters() -> Argon2Parameters:
    return Argon2Parameters(memory_kib=TEST_SETTINGS["IDP_ARGON2_MEMORY_KIB"],
                            time_cost=TEST_SETTINGS["IDP_ARGON2_TIME_COST"])


@pytest.fixture
def user(directory, svc):
    return directory.add_user(email=f"Mixed.Case{id(directory)}@Example.org")


def test_a_password_is_stored_as_an_argon2id_hash_with_the_configured_parameters(user, rows):
    _, row = rows(user)
    params = app_parameters()
    assert row.password_hash.startswith(
        f"$argon2id$v=19$m={params.memory_kib},t={params.time_cost},p=1$")
    assert PASSWORD not in row.password_hash


@pytest.mark.parametrize("login", [
    lambda u, r: u.username,
    lambda u, r: u.username.upper(),
    lambda u, r: f"  {u.username}  ",
    lambda u, r: r.email,
    lambda u, r: r.email.lower(),
    lambda u, r: r.email.upper(),
], ids=["username", "username-upper-case", "username-padded", "email", "email-lower-case",
        "email-upper-case"])
def test_check_login_finds_the_user_by_username_or_email_in_any_case(user, rows, svc, login):
    directory_row, row = rows(user)
    found = check_login(directory_row, login(user, row), PASSWORD, svc.passwords, NOW)
    assert found is not None and found.id == row.id


@pytest.mark.parametrize("password", [
    "", "wrong password", PASSWORD.upper(), PASSWORD + " ", PASSWORD[:-1],
], ids=["empty", "other", "upper-case", "trailing-space", "one-short"])
def test_a_wrong_password_gives_none(user, rows, svc, password):
    directory_row, _ = rows(user)
    assert check_login(directory_row, user.username, password, svc.passwords, NOW) is None


@pytest.mark.parametrize("login", ["nobody", "nobody@example.org", "", "   ", "x" * 255],
                         ids=["username", "email", "empty", "spaces", "too-long"])
def test_an_unknown_user_gives_none(user, rows, svc, login):
    directory_row, _ = rows(user)
    assert check_login(directory_row, login, PASSWORD, svc.passwords, NOW) is None


def test_a_user_of_another_directory_is_unknown(live, user, svc):
    from idp.tenants.directories import get_directory
    from tests.support.live import new_directory

    other = get_directory(new_directory(live).slug)
    assert check_login(other, user.username, PASSWORD, svc.passwords, NOW) is None


def test_a_disabled_user_cannot_log_in_and_only_the_right_password_learns_why(user, rows,
                                                                               svc):
    directory_row, row = rows(user)
    row.disabled = True
    db.session.commit()
    with pytest.raises(DisabledAccount):
        check_login(directory_row, user.username, PASSWORD, svc.passwords, NOW)
    assert check_login(directory_row, user.username, "wrong password", svc.passwords,
                       NOW) is None
    with pytest.raises(AccountDisabled):
        PasswordMethod(svc.passwords).identify(directory_row, user.username, PASSWORD, NOW)


def test_a_user_without_a_password_cannot_log_in_even_with_the_dummy_password(directory, svc,
                                                                              rows):
    from idp.tenants.accounts import create_user
    from idp.tenants.directories import get_directory

    directory_row = get_directory(directory.slug)
    create_user(directory_row, username="nopassword", password=None, passwords=svc.passwords,
                now=NOW)
    db.session.commit()
    for password in ("", "not a real password, only for timing", PASSWORD):
        assert check_login(directory_row, "nopassword", password, svc.passwords, NOW) is None


def test_a_password_longer_than_the_maximum_is_refused_even_if_it_starts_right(directory, svc):
    from idp.tenants.accounts import create_user
    from idp.tenants.directories import get_directory

    directory_row = get_directory(directory.slug)
    longest = ("correct horse battery staple " * 40)[:MAX_PASSWORD_LENGTH]
    create_user(directory_row, username="longest", password=longest, passwords=svc.passwords,
                now=NOW)
    db.session.commit()
    assert check_login(directory_row, "longest", longest, svc.passwords, NOW) is not None
    assert check_login(directory_row, "longest", longest + "x", svc.passwords, NOW) is None


def test_a_hash_with_older_cheaper_parameters_is_rehashed_on_login(user, rows, svc):
    directory_row, row = rows(user)
    cheap = PasswordService(Argon2Parameters(memory_kib=512, time_cost=1), 1, 5)
    row.password_hash = cheap.hash(PASSWORD)
    db.session.commit()
    assert svc.passwords.needs_rehash(row.password_hash)

    found = check_login(directory_row, user.username, PASSWORD, svc.passwords, NOW + 10)
    db.session.commit()
    db.session.expire_all()

    assert found is not None
    _, row = rows(user)
    assert row.password_hash.startswith(
        f"$argon2id$v=19$m={TEST_SETTINGS['IDP_ARGON2_MEMORY_KIB']},")
    assert not svc.passwords.needs_rehash(row.password_hash)
    assert row.updated_at == NOW + 10
    assert check_login(directory_row, user.username, PASSWORD, svc.passwords, NOW) is not None


def test_a_current_hash_is_left_alone_on_login(user, rows, svc):
    directory_row, row = rows(user)
    before = row.password_hash
    check_login(directory_row, user.username, PASSWORD, svc.passwords, NOW + 10)
    assert row.password_hash == before


def test_a_wrong_password_does_not_rehash_an_old_hash(user, rows, svc):
    directory_row, row = rows(user)
    cheap = PasswordService(Argon2Parameters(memory_kib=512, time_cost=1), 1, 5)
    old = row.password_hash = cheap.hash(PASSWORD)
    assert check_login(directory_row, user.username, "wrong password", svc.passwords, NOW) is None
    assert row.password_hash == old


def test_set_password_replaces_the_password(user, rows, svc):
    directory_row, row = rows(user)
    set_password(row, "a brand new passphrase", svc.passwords, NOW + 1)
    assert check_login(directory_row, user.username, PASSWORD, svc.passwords, NOW) is None
    assert check_login(directory_row, user.username, "a brand new passphrase", svc.passwords,
                       NOW) is not None
    assert row.updated_at == NOW + 1


# --- the same cost whether or not the user exists ------------------------------------------


def test_an_unknown_user_still_costs_one_verification_against_the_dummy_hash(user, rows):
    directory_row, _ = rows(user)
    passwords = CountingPasswordService(app_parameters())
    assert check_login(directory_row, "nobody", PASSWORD, passwords, NOW) is None
    assert passwords.spy.verified == [passwords.dummy_hash]


@pytest.mark.parametrize("login", ["", "x" * 300], ids=["empty", "too-long"])
def test_a_login_that_cannot_match_still_costs_one_verification(user, rows, login):
    directory_row, _ = rows(user)
    passwords = CountingPasswordService(app_parameters())
    assert check_login(directory_row, login, PASSWORD, passwords, NOW) is None
    assert passwords.spy.verified == [passwords.dummy_hash]


@pytest.mark.parametrize("password", [PASSWORD, "wrong password"], ids=["right", "wrong"])
def test_a_known_user_costs_one_verification_against_their_own_hash(user, rows, password):
    directory_row, row = rows(user)
    passwords = CountingPasswordService(app_parameters())
    check_login(directory_row, user.username, password, passwords, NOW)
    assert passwords.spy.verified == [row.password_hash]


def test_a_disabled_user_costs_the_same_one_verification(user, rows):
    directory_row, row = rows(user)
    row.disabled = True
    passwords = CountingPasswordService(app_parameters())
    with pytest.raises(DisabledAccount):
        check_login(directory_row, user.username, PASSWORD, passwords, NOW)
    assert len(passwords.spy.verified) == 1


# --- the sign-in method ---------------------------------------------------------------------


def test_the_password_method_identifies_the_user(user, rows, svc):
    directory_row, row = rows(user)
    found = PasswordMethod(svc.passwords).identify(directory_row, user.username, PASSWORD, NOW)
    assert found.id == row.id


@pytest.mark.parametrize(("login", "password"), [
    ("nobody", PASSWORD), (None, "wrong password"), (None, ""),
], ids=["unknown-user", "wrong-password", "empty-password"])
def test_the_password_method_gives_one_message_for_every_failure(user, rows, svc, login,
                                                                 password):
    directory_row, _ = rows(user)
    with pytest.raises(MethodFailed) as failure:
        PasswordMethod(svc.passwords).identify(directory_row, login or user.username, password,
                                               NOW)
    assert str(failure.value) == WRONG_CREDENTIALS


def test_the_password_method_verifies_the_user_of_the_context(user, context, svc):
    ctx = context(user, NOW)
    verified = PasswordMethod(svc.passwords).verify(
        ctx, {"username": user.username, "password": PASSWORD})
    assert verified == Verified(amr=("pwd",))
    assert PasswordMethod().is_enrolled(ctx.user)


def test_the_password_method_refuses_another_users_password(directory, user, context, svc):
    other = directory.add_user()
    with pytest.raises(MethodFailed, match=WRONG_CREDENTIALS):
        PasswordMethod(svc.passwords).verify(
            context(user, NOW), {"username": other.username, "password": PASSWORD})


def test_the_password_method_refuses_a_form_without_fields(user, context, svc):
    with pytest.raises(MethodFailed, match=WRONG_CREDENTIALS):
        PasswordMethod(svc.passwords).verify(context(user, NOW), {})
