"""Browser sessions: found by the hash of the cookie token, rotated on every step, per directory,
and not found once ended, too old or unused for too long."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.security.tokens import hash_secret
from idp.storage import db
from idp.storage.models import BrowserSession, Directory, SessionMethod
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory, update_session_lifetimes
from idp.users.sessions import (
    CookiePolicy,
    complete_method,
    completions,
    end_sessions,
    load_session,
    record_activity,
    rotate_token,
    sessions_of,
    start_session,
)
from tests.support.live import new_directory

pytestmark = pytest.mark.storage

NOW = 1_700_000_000.0
HOUR = 3600.0
TTL = 12 * HOUR  # a directory's default session lifetime; unused for an hour, it ends sooner


@pytest.fixture
def directory_row(directory, svc) -> Directory:
    return get_directory(directory.slug)


@pytest.fixture
def users(directory, directory_row):
    """Return the rows of two users of the directory."""
    first, second = directory.add_user(), directory.add_user()
    return find_user(directory_row, first.username), find_user(directory_row, second.username)


@pytest.fixture
def started(directory_row) -> tuple[BrowserSession, str]:
    row, token = start_session(directory_row, NOW, "192.0.2.1", "Test browser")
    db.session.commit()
    return row, token


def reload(directory_row: Directory, token: str, now: float = NOW) -> BrowserSession | None:
    """Load the session as a later request would: from the database, by its cookie."""
    db.session.expire_all()
    return load_session(directory_row, token, now)


def test_a_new_session_is_anonymous_and_found_by_its_token(directory_row, started):
    row, token = started
    loaded = reload(directory_row, token)
    assert loaded is not None and loaded.id == row.id
    assert loaded.user_id is None
    assert loaded.expires_at == NOW + TTL
    assert completions(loaded) == ()


def test_the_database_holds_only_the_hash_of_the_token(directory_row, started):
    row, token = started
    assert row.token_hash == hash_secret(token)
    assert token not in row.token_hash
    assert len(token) >= 43


@pytest.mark.parametrize("token", [None, "", "unknown", "x" * 101],
                         ids=["none", "empty", "unknown", "too-long"])
def test_no_session_is_found_for_a_missing_or_unknown_token(directory_row, started, token):
    assert load_session(directory_row, token, NOW) is None


def test_completing_a_method_rotates_the_token(directory_row, started, users):
    row, token = started
    new_token = complete_method(row, users[0], "password", ("pwd",), NOW + 1)
    db.session.commit()

    assert new_token != token
    assert reload(directory_row, token) is None
    loaded = reload(directory_row, new_token)
    assert loaded is not None and loaded.id == row.id
    assert loaded.user_id == users[0].id
    assert loaded.last_seen_at == NOW + 1


def test_every_completed_method_rotates_the_token_again(directory_row, started, users):
    row, _ = started
    seen = {complete_method(row, users[0], "password", ("pwd",), NOW + 1),
            complete_method(row, users[0], "totp", ("otp",), NOW + 2),
            rotate_token(row)}
    db.session.commit()
    assert len(seen) == 3


def test_methods_of_the_same_user_add_up(directory_row, started, users):
    row, _ = started
    complete_method(row, users[0], "password", ("pwd",), NOW + 1)
    token = complete_method(row, users[0], "totp", ("otp",), NOW + 2)
    db.session.commit()

    loaded = reload(directory_row, token)
    assert [(c.method, c.at, c.amr) for c in completions(loaded)] == [
        ("password", NOW + 1, ("pwd",)), ("totp", NOW + 2, ("otp",))]


def test_a_different_user_clears_the_previous_users_methods(directory_row, started, users):
    row, _ = started
    first, second = users
    complete_method(row, first, "password", ("pwd",), NOW + 1)
    complete_method(row, first, "totp", ("otp",), NOW + 2)
    db.session.commit()

    token = complete_method(row, second, "password", ("pwd",), NOW + 3)
    db.session.commit()

    loaded = reload(directory_row, token)
    assert loaded.user_id == second.id
    assert [(c.method, c.at) for c in completions(loaded)] == [("password", NOW + 3)]
    stored = db.session.scalars(select(SessionMethod).where(
        SessionMethod.session_id == row.id)).all()
    assert [m.completed_at for m in stored] == [NOW + 3]


def test_an_ended_session_is_not_loaded(directory_row, started, users):
    row, _ = started
    token = complete_method(row, users[0], "password", ("pwd",), NOW + 1)
    end_sessions(directory_row, users[0].id, NOW + 2, "logout", only=row.id)
    db.session.commit()
    assert reload(directory_row, token, NOW + 3) is None
    assert sessions_of(users[0], NOW + 3) == []


@pytest.mark.parametrize("after", [0, 1, 86400], ids=["at-expiry", "just-after", "a-day-after"])
def test_a_session_unused_for_the_idle_lifetime_is_not_loaded(directory_row, started, after):
    _, token = started
    assert reload(directory_row, token, NOW + HOUR - 1) is not None
    assert reload(directory_row, token, NOW + HOUR + after) is None


def test_activity_keeps_a_session_from_going_idle(directory_row, started):
    row, token = started
    assert record_activity(row, NOW + 50 * 60)
    db.session.commit()
    assert reload(directory_row, token, NOW + 50 * 60 + HOUR - 1) is not None
    assert reload(directory_row, token, NOW + 50 * 60 + HOUR) is None


@pytest.mark.parametrize(("after", "written"), [(1, False), (59, False), (60, True)])
def test_activity_is_written_at_most_once_a_minute(directory_row, started, after, written):
    row, _ = started
    assert record_activity(row, NOW + after) is written
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(BrowserSession, row.id).last_seen_at == (NOW + after if written
                                                                   else NOW)


def test_a_used_session_ends_at_its_absolute_lifetime(directory_row):
    update_session_lifetimes(directory_row, 2, 60)
    row, token = start_session(directory_row, NOW, None, None)
    for minutes in (40, 80, 110):
        record_activity(row, NOW + minutes * 60)
    db.session.commit()
    assert reload(directory_row, token, NOW + 2 * HOUR - 1) is not None
    assert reload(directory_row, token, NOW + 2 * HOUR) is None


def test_a_shorter_lifetime_holds_for_the_sessions_already_open(directory_row, started):
    row, token = started
    update_session_lifetimes(directory_row, 1, 60)
    record_activity(row, NOW + 30 * 60)
    db.session.commit()
    assert reload(directory_row, token, NOW + HOUR - 1) is not None
    assert reload(directory_row, token, NOW + HOUR) is None


def test_a_session_of_one_directory_is_not_found_from_another(live, directory_row, started):
    _, token = started
    other = get_directory(new_directory(live).slug)
    assert load_session(other, token, NOW) is None
    assert load_session(directory_row, token, NOW) is not None


def test_sessions_of_lists_the_users_live_sessions_newest_first(directory_row, users):
    user = users[0]
    rows = []
    for i in range(3):
        row, _ = start_session(directory_row, NOW + i, None, None)
        complete_method(row, user, "password", ("pwd",), NOW + i)
        rows.append(row)
    end_sessions(directory_row, user.id, NOW + 5, "logout", only=rows[1].id)
    db.session.commit()
    assert [s.id for s in sessions_of(user, NOW + 6)] == [rows[2].id, rows[0].id]
    assert sessions_of(users[1], NOW + 6) == []


def test_sessions_of_leaves_out_idle_and_expired_sessions(directory_row, users):
    user = users[0]
    idle, _ = start_session(directory_row, NOW, None, None)
    used, _ = start_session(directory_row, NOW, None, None)
    for row in (idle, used):
        complete_method(row, user, "password", ("pwd",), NOW)
    complete_method(used, user, "totp", ("otp",), NOW + HOUR - 1)
    db.session.commit()
    assert {s.id for s in sessions_of(user, NOW + HOUR - 1)} == {idle.id, used.id}
    assert [s.id for s in sessions_of(user, NOW + HOUR)] == [used.id]
    assert sessions_of(user, NOW + TTL) == []


@pytest.mark.parametrize(("agent", "stored"), [
    (None, None), ("", None), ("Firefox", "Firefox"), ("x" * 400, "x" * 300),
])
def test_the_user_agent_is_kept_short(directory_row, agent, stored):
    row, _ = start_session(directory_row, NOW, None, agent)
    assert row.user_agent == stored


@pytest.mark.parametrize(("secure", "name"), [(True, "__Host-idp-acme"), (False, "idp-acme")])
def test_the_cookie_is_named_per_directory_and_host_prefixed_on_https(secure, name):
    assert CookiePolicy(secure=secure).name(Directory(slug="acme")) == name


def test_ending_sessions_names_one_session_or_a_user_never_every_anonymous_one(directory_row,
                                                                              started):
    with pytest.raises(ValueError):
        end_sessions(directory_row, None, NOW + 1, "logout")
    db.session.rollback()
    assert reload(directory_row, started[1], NOW + 2) is not None
