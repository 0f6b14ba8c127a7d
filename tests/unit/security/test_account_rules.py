"""Accounts: what a username, email, phone number and password may be; lookups by login."""

from __future__ import annotations

import pytest

from idp.storage import db
from idp.tenants.accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    AccountError,
    PasswordRefused,
    check_password_policy,
    create_user,
    find_user,
    normalize_login,
    password_words,
    set_password,
)
from idp.tenants.directories import get_directory
from tests.support.live import PASSWORD, new_directory

NOW = 1_700_000_000.0


@pytest.fixture
def directory_row(directory, svc):
    return get_directory(directory.slug)


def add(directory_row, svc, username: str = "alice", **fields):
    fields.setdefault("password", PASSWORD)
    return create_user(directory_row, username=username, passwords=svc.passwords, now=NOW,
                       **fields)


@pytest.mark.parametrize(("typed", "key"), [
    ("Alice", "alice"), ("  alice  ", "alice"), ("ALICE@Example.ORG", "alice@example.org"),
    ("ａｌｉｃｅ", "alice"), ("Straße", "strasse"),
])
def test_logins_compare_case_and_width_insensitively(typed, key):
    assert normalize_login(typed) == key


@pytest.mark.parametrize("password", ["", "x" * (MIN_PASSWORD_LENGTH - 1),
                                      "x" * (MAX_PASSWORD_LENGTH + 1)],
                         ids=["empty", "too-short", "too-long"])
def test_the_password_policy_refuses_too_short_and_too_long(password):
    with pytest.raises(AccountError, match="at (least|most)"):
        check_password_policy(password)


STRONG_8 = "qT7#vL2!"
STRONG_MAX = ("correct horse battery staple " * 40)[:MAX_PASSWORD_LENGTH]


@pytest.mark.parametrize("password", [STRONG_8, STRONG_MAX, "correct horse battery staple",
                                      "ünïcødé pässwörd 🔑", "welkom in de polder 2024"],
                         ids=["8-characters", "1024-characters", "passphrase", "unicode",
                              "dutch-passphrase"])
def test_the_password_policy_accepts_a_strong_password_of_allowed_length(password):
    assert len(STRONG_8) == MIN_PASSWORD_LENGTH and len(STRONG_MAX) == MAX_PASSWORD_LENGTH
    check_password_policy(password, ["alice", "acme"])


@pytest.mark.parametrize("password", [
    "password", "12345678", "123456789", "Password1", "P@ssw0rd", "drowssap", "qwertyuiop",
    "1qaz2wsx", "iloveyou", "sunshine", "welkom01", "wachtwoord", "xxxxxxxx", "abcdefgh",
    "elephant", "PASSWORD", "x" * 200,
])
def test_the_password_policy_refuses_common_breached_and_expected_passwords(password):
    with pytest.raises(PasswordRefused, match="too common") as refused:
        check_password_policy(password)
    assert refused.value.reason == "common"


@pytest.mark.parametrize("control", ["\x00", "\n", "\t", "\x1b", "\x7f"])
def test_the_password_policy_refuses_control_characters(control):
    with pytest.raises(PasswordRefused, match="control characters") as refused:
        check_password_policy(f"correct horse{control}battery staple")
    assert refused.value.reason == "control_character"


@pytest.fixture
def acme(live, svc):
    directory = get_directory(new_directory(live).slug)
    directory.name = "Acme Corp"
    return directory


@pytest.mark.parametrize("password", [
    "alice.smith", "alicesmith", "ALICESMITH1", "Alice2024!", "ecilaecila", "acmecorp1",
    "AcmeCorp2024", "Acme Corp 2024", "smithalice", "al1ce.sm1th",
])
def test_the_password_policy_refuses_the_persons_own_words_and_variants(acme, password):
    words = password_words(acme, "alice.smith", "alice.smith@example.org", "Alice Smith")
    with pytest.raises(PasswordRefused, match="from your username") as refused:
        check_password_policy(password, words)
    assert refused.value.reason == "personal"


@pytest.mark.parametrize("password", ["AcmeCorp2024", "Alice2024!", "al1ce.sm1th"])
def test_a_password_refused_for_the_persons_words_is_fine_for_someone_else(password):
    check_password_policy(password, ["bob", "bob@example.org", "globex"])


@pytest.mark.storage
def test_every_way_of_setting_a_password_uses_the_one_policy(directory_row, svc):
    user = add(directory_row, svc, "alice", email="alice@example.org")
    for password in ("password", "alice2024"):
        with pytest.raises(PasswordRefused):
            set_password(user, password, svc.passwords, NOW)
        with pytest.raises(PasswordRefused):
            add(directory_row, svc, f"new{len(password)}", password=password)
    with pytest.raises(PasswordRefused, match="from your username"):
        add(directory_row, svc, "bob.jones", password="bobjones1")


@pytest.mark.storage
def test_a_user_is_found_by_username_or_email(directory_row, svc):
    user = add(directory_row, svc, "Alice", email="Alice@Example.org")
    db.session.commit()
    for login in ("alice", "ALICE", "alice@example.org", "ALICE@EXAMPLE.ORG"):
        assert find_user(directory_row, login).id == user.id
    assert find_user(directory_row, "bob") is None
    assert find_user(directory_row, "") is None


@pytest.mark.storage
@pytest.mark.parametrize("username", ["", "with space", "semi;colon", "a" * 151, "quote'"],
                         ids=["empty", "space", "semicolon", "too-long", "quote"])
def test_an_invalid_username_is_refused(directory_row, svc, username):
    with pytest.raises(AccountError, match="username"):
        add(directory_row, svc, username)


@pytest.mark.storage
@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "two@@example.org",
                                   "space in@example.org", "a@example.c"])
def test_an_invalid_email_is_refused(directory_row, svc, email):
    with pytest.raises(AccountError, match="email"):
        add(directory_row, svc, email=email)


@pytest.mark.storage
@pytest.mark.parametrize(("username", "email"), [
    ("ALICE", None), ("carol", "ALICE@example.org"), ("alice@example.org", None),
], ids=["same-username", "same-email", "username-is-their-email"])
def test_a_second_user_with_the_same_login_is_refused(directory_row, svc, username, email):
    add(directory_row, svc, "alice", email="alice@example.org")
    db.session.flush()
    with pytest.raises(AccountError, match="already exists"):
        add(directory_row, svc, username, email=email)


@pytest.mark.storage
def test_the_same_login_may_exist_in_another_directory(live, directory_row, svc):
    other = get_directory(new_directory(live).slug)  # before this session writes (SQLite)
    add(directory_row, svc, "alice", email="alice@example.org")
    assert add(other, svc, "alice", email="alice@example.org").directory_id == other.id


@pytest.mark.storage
def test_a_new_user_has_an_opaque_unique_subject_and_unverified_contacts(directory_row, svc):
    first = add(directory_row, svc, "alice", email="alice@example.org", phone="+31612345678")
    second = add(directory_row, svc, "bob")
    assert first.subject != second.subject
    assert "alice" not in first.subject
    assert len(first.subject) >= 22
    assert (first.email_verified, first.phone_verified) == (False, False)
    assert first.phone == "+31612345678"
    assert not first.disabled and not first.is_admin


@pytest.mark.storage
def test_a_too_short_password_is_refused_at_creation(directory_row, svc):
    with pytest.raises(AccountError, match="at least"):
        add(directory_row, svc, password="short")
