"""One password policy on every way a password is set: the profile, an invitation link and
``idp user add`` refuse common, breached and expected passwords, with a clear message
(NIST SP 800-63B-4 3.1.1.2)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from idp.clock import now
from idp.services import services
from idp.storage import db
from idp.tenants.accounts import create_user, find_user
from idp.tenants.directories import get_directory
from idp.users.invitations import create_invitation
from tests.cli.helpers import call_idp
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.web.helpers import assert_sane

STRONG = "a long and new passphrase"
COMMON = "This password is too common"
PERSONAL = "This password is too easy to guess from your username"


@dataclass
class Outcome:
    """What one attempt to set a password gave: whether it was taken, and the message."""

    accepted: bool
    message: str


@dataclass
class Path:
    """A way of setting a new password for `username` of the directory `slug`."""

    username: str
    slug: str
    submit: Callable[[str], Outcome]


def _error_text(response) -> str:
    box = Page(response).soup.find(id="form-error")
    return box.get_text(" ", strip=True) if box is not None else ""


def _profile(directory, monkeypatch) -> Path:
    """The password form of the profile, for a user logged in with password and app."""
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/password")
    assert page.title == "Change your password", page.text[:300]

    def submit(password: str) -> Outcome:
        response = agent.submit(page, "Change the password", by_label={
            "Current password": user.password, "New password": password,
            "New password again": password})
        assert_sane(response)
        return Outcome(Page(response).title == "Your account", _error_text(response))

    return Path(user.username, directory.slug, submit)


def _invitation(directory, monkeypatch) -> Path:
    """The set-your-password page of an invitation link."""
    username = f"invited{secrets.token_hex(3)}"
    with directory.live.app.app_context():
        row = create_user(get_directory(directory.slug), username=username, password=None,
                          passwords=services().passwords, now=now(),
                          email=f"{username}@example.org")
        token = create_invitation(row, None, now(), 3600)
        db.session.commit()
    link = f"{directory.issuer}/invitation/{token}"
    agent = Agent(directory.live.url)

    def submit(password: str) -> Outcome:
        page = Page(agent.get(link))
        assert page.title == "Set your password", page.text[:300]
        response = agent.submit(page, "Set the password", by_label={
            "New password": password, "Repeat the new password": password})
        assert_sane(response)
        return Outcome(Page(response).title.startswith("Log in"), _error_text(response))

    return Path(username, directory.slug, submit)


def _cli(directory, monkeypatch) -> Path:
    """``idp user add`` reading the password from standard input."""
    username = f"cli{secrets.token_hex(3)}"
    database = str(directory.live.app.config["SQLALCHEMY_DATABASE_URI"])

    def submit(password: str) -> Outcome:
        run = call_idp(monkeypatch, database, "user", "add", "--directory", directory.slug,
                       "--username", username, stdin=password + "\n")
        if run.returncode == 0:
            return Outcome(True, "")
        run.assert_one_line_error()
        return Outcome(False, run.stderr.strip().removeprefix("idp: error: "))

    return Path(username, directory.slug, submit)


PATHS = {"profile": _profile, "invitation": _invitation, "cli": _cli}


@pytest.fixture(params=list(PATHS))
def path(request, directory, monkeypatch) -> Path:
    return PATHS[request.param](directory, monkeypatch)


def password_is(directory, username: str, password: str) -> bool:
    """Return whether the user exists and `password` is theirs now."""
    with directory.live.app.app_context():
        row = find_user(get_directory(directory.slug), username)
        return row is not None and services().passwords.verify(row.password_hash, password)


@pytest.mark.parametrize("password", ["password", "12345678", "P@ssw0rd", "qwertyuiop",
                                      "iloveyou", "welkom01", "xxxxxxxx", "abcdefgh"])
def test_a_common_or_breached_password_is_refused_with_a_clear_message(directory, path,
                                                                       password):
    outcome = path.submit(password)
    assert not outcome.accepted
    assert outcome.message.startswith(COMMON), outcome.message
    assert not password_is(directory, path.username, password)


@pytest.mark.parametrize("derive", [
    lambda p: p.username, lambda p: p.username.upper() + "1", lambda p: f"{p.username}2024!",
    lambda p: p.slug + p.slug, lambda p: f"{p.slug}2024",
], ids=["username", "username-upper-1", "username-year", "directory-twice",
        "directory-year"])
def test_the_username_or_the_directorys_name_is_refused_as_a_password(directory, path,
                                                                      derive):
    password = derive(path)
    outcome = path.submit(password)
    assert not outcome.accepted
    assert outcome.message.startswith(PERSONAL), outcome.message
    assert not password_is(directory, path.username, password)


def test_a_strong_password_is_taken_after_a_refused_one(directory, path):
    assert not path.submit("password").accepted
    outcome = path.submit(STRONG)
    assert outcome.accepted, outcome.message
    assert password_is(directory, path.username, STRONG)
