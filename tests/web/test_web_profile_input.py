"""Hostile input to the profile: malformed ids and keys, missing CSRF tokens, NUL, markup,
oversized and undecodable fields. Never a server error; nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import User
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.web.helpers import assert_error_page, assert_sane

#: Every form of the profile: (path, fields of a plausible submission).
FORMS = [
    ("/account/details", {"name": "Anna"}),
    ("/account/email", {"value": "anna@example.org"}),
    ("/account/email/confirm", {"code": "123456"}),
    ("/account/phone", {"value": "+31612345678"}),
    ("/account/phone/confirm", {"code": "123456"}),
    ("/account/password", {"current": "x", "new": "y" * 10, "repeat": "y" * 10}),
    ("/account/methods/totp", {"code": "123456"}),
    ("/account/methods/passkey", {"credential": "{}", "name": "Key"}),
    ("/account/methods/app", {}),
    ("/account/methods/app/ask", {}),
    ("/account/methods/recovery", {}),
    ("/account/methods/totp:2147483647/remove", {"confirm": "yes"}),
    ("/account/methods/passkey:2147483647/name", {"name": "Key"}),
    ("/account/sessions/2147483647/end", {}),
    ("/account/sessions/end-others", {}),
    ("/account/devices/2147483647/forget", {}),
]
HOSTILE = ["\x00", "a\x00b", "<script>alert(1)</script>", "' OR 1=1 --", "\u202e\u0663",
           "x" * 20_000, "%00", "../../etc/passwd", "{{7*7}}"]


@pytest.fixture(scope="module")
def signed_in(shared_directory, shared_user):
    """A browser logged in to the shared directory's profile, and its CSRF token."""
    agent, page = open_account_page(shared_directory, shared_user)
    assert page.title == "Your account"
    return agent, page.soup.find("input", {"name": "csrf_token"})["value"]


def snapshot(directory, user) -> tuple:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return (row.name, row.email, row.email_verified, row.phone, row.password_hash)


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", "99999999999", "2147483648",
                                 "%C2%B3", "1%00", "%3Cscript%3E", "+1"])
@pytest.mark.parametrize("pattern", ["/account/sessions/{}/end", "/account/devices/{}/forget"])
def test_a_malformed_id_is_a_bad_request(shared_directory, signed_in, pattern, bad):
    agent, token = signed_in
    url = shared_directory.issuer + pattern.format(bad)
    assert_error_page(agent.get(url), 400, "invalid_request")
    assert_error_page(agent.http.post(url, data={"csrf_token": token}), 400, "invalid_request")


@pytest.mark.parametrize("bad", ["passkey", "passkey:", "passkey:abc", "passkey:0",
                                 "passkey:99999999999", "totp:1:2", "unknown:1",
                                 "%3Cscript%3E", "sms%00", "PASSWORD", "totp:%D9%A1"])
@pytest.mark.parametrize("action", ["remove", "name"])
def test_a_malformed_method_key_is_a_bad_request(shared_directory, signed_in, bad, action):
    agent, token = signed_in
    url = f"{shared_directory.issuer}/account/methods/{bad}/{action}"
    assert_error_page(agent.get(url), 400, "invalid_request")
    response = agent.http.post(url, data={"csrf_token": token, "confirm": "yes", "name": "x"})
    assert_error_page(response, 400, "invalid_request")


@pytest.mark.parametrize("key", ["passkey:2147483647", "app:1", "totp:999999", "device:1",
                                 "email"])
def test_an_item_the_user_does_not_have_is_not_found(shared_directory, signed_in, key):
    agent, token = signed_in
    url = f"{shared_directory.issuer}/account/methods/{key}/remove"
    assert_error_page(agent.get(url), 404, "not_found")
    assert_error_page(agent.http.post(url, data={"csrf_token": token, "confirm": "yes"}),
                      404, "not_found")


@pytest.mark.parametrize(("path", "fields"), FORMS)
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
        shared_directory, shared_user, signed_in, path, fields):
    agent, _token = signed_in
    before = snapshot(shared_directory, shared_user)
    response = agent.http.post(shared_directory.issuer + path, data=fields,
                               allow_redirects=False)
    assert_error_page(response, 400, "invalid_request")
    assert snapshot(shared_directory, shared_user) == before
    assert Page(agent.get(f"{shared_directory.issuer}/account/")).title == "Your account"


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(("path", "fields"), [form for form in FORMS if form[1]])
def test_hostile_field_values_never_cause_a_server_error(shared_directory, shared_user,
                                                         signed_in, path, fields, value):
    agent, token = signed_in
    before = snapshot(shared_directory, shared_user)
    data = dict.fromkeys(fields, value) | {"csrf_token": token}
    response = agent.http.post(shared_directory.issuer + path, data=data,
                               allow_redirects=False)
    assert_sane(response)
    assert response.status_code in (302, 400, 404, 409, 429), response.status_code
    after = snapshot(shared_directory, shared_user)
    # Only a name can change, and only to text without control characters.
    assert after[1:] == before[1:]
    assert "\x00" not in (after[0] or "")


def test_an_undecodable_form_is_a_bad_request(shared_directory, signed_in):
    agent, token = signed_in
    response = agent.http.post(f"{shared_directory.issuer}/account/details",
                               data=b"csrf_token=" + token.encode() + b"&name=%FF%FE%00",
                               headers={"Content-Type": "application/x-www-form-urlencoded"},
                               allow_redirects=False)
    assert_sane(response)
    assert response.status_code == 400


def test_an_oversized_form_is_refused(shared_directory, signed_in):
    agent, token = signed_in
    response = agent.http.post(f"{shared_directory.issuer}/account/details",
                               data={"csrf_token": token, "name": "x" * 100_000},
                               allow_redirects=False)
    assert_sane(response)
    assert response.status_code == 413


def test_an_unknown_contact_kind_is_not_found(shared_directory, signed_in):
    agent, _token = signed_in
    assert_error_page(agent.get(f"{shared_directory.issuer}/account/fax"), 404, "not_found")


def test_the_profile_pages_ask_a_stranger_to_log_in(shared_directory):
    from tests.support.agent import Agent

    stranger = Agent(shared_directory.live.url)
    for path, _fields in FORMS:
        page = Page(stranger.get(shared_directory.issuer + path.replace("/confirm", "")))
        assert_sane(page.response)
        assert page.title.startswith("Log in"), (path, page.title)
