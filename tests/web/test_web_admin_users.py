"""The admin's Users pages: list and search, invite, edit, methods, disable, sessions, logins."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import insert, select

from idp.clock import now
from idp.storage import db
from idp.storage.models import AuditEvent, BrowserSession, Invitation, TokenFamily, User
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.live import new_mobile
from tests.web.helpers import assert_error_page, assert_sane, new_rp

# --- steps -----------------------------------------------------------------------------------

def admin_agent(directory, path: str = "/admin/users"):
    """Log an admin (password + authenticator app) in to an admin page."""
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin, path)
    assert page.status == 200, page.text[:300]
    return admin, agent, page


def stored_user(directory, username: str) -> User:
    with directory.live.app.app_context():
        row = find_user(get_directory(directory.slug), username)
        assert row is not None
        db.session.expunge(row)
        return row


def audit_events(directory, event: str) -> list[AuditEvent]:
    with directory.live.app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == get_directory(directory.slug).id,
            AuditEvent.event == event).order_by(AuditEvent.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def user_page(agent, directory, username: str) -> Page:
    page = Page(agent.get(f"{directory.issuer}/admin/users/{stored_user(directory, username).id}"))
    assert page.status == 200, page.text[:300]
    return page


def press(agent, page: Page, action: str, fields: dict[str, str] | None = None,
          item: str | None = None):
    """Press the button with name=action value=`action` (for "remove", of item `item`)."""
    for button in page.soup.find_all("button", attrs={"name": "action", "value": action}):
        form = button.find_parent("form")
        hidden = form.find("input", attrs={"name": "item"})
        if item is not None and (hidden is None or hidden["value"] != item):
            continue
        data = {tag["name"]: tag.get("value", "") for tag in form.find_all("input")
                if tag.get("name") and (tag.get("type") not in ("checkbox", "radio")
                                        or tag.has_attr("checked"))}
        for tag in form.find_all("textarea"):
            data[tag["name"]] = tag.get_text()
        data["action"] = action
        data.update(fields or {})
        url = urlparse(page.url)._replace(path=form["action"], query="").geturl()
        return agent.follow(agent.http.post(url, data=data, allow_redirects=False, timeout=30))
    raise AssertionError(f"no button {action!r} on {page.url}: {page.text[:300]}")


def press_confirmed(agent, page: Page, action: str):
    """Press a dangerous button, then its red twin on the page that asks once more."""
    asked = Page(press(agent, page, action))
    assert asked.soup.find("input", attrs={"name": "confirm", "value": "yes"}) is not None, \
        asked.text[:300]
    return press(agent, asked, action)


def csrf(page: Page, agent: Agent | None = None) -> str:
    """Return the CSRF token of the page's forms (the list has none: take the invite form's)."""
    found = page.soup.find("input", attrs={"name": "csrf_token"})
    if found is None:
        issuer = page.url.split("/admin/")[0]
        found = Page(agent.get(f"{issuer}/admin/users/new")).soup.find(
            "input", attrs={"name": "csrf_token"})
    return found["value"]


def add_plain_users(directory, names: list[str]) -> None:
    """Insert users without passwords in bulk (paging tests need many)."""
    with directory.live.app.app_context():
        dir_id = get_directory(directory.slug).id
        moment = now()
        db.session.execute(insert(User), [
            {"directory_id": dir_id, "subject": secrets.token_urlsafe(16), "username": name,
             "username_key": name.lower(), "email": f"{name.lower()}@example.org",
             "email_key": f"{name.lower()}@example.org", "email_verified": False,
             "phone_verified": False, "name": f"Person {name}", "is_admin": False,
             "disabled": False, "created_at": moment, "updated_at": moment} for name in names])
        db.session.commit()


def listed_usernames(page: Page) -> list[str]:
    return [row.find("td").get_text(strip=True) for row in page.soup.select("table.users tbody tr")]


# --- who may -----------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/admin/users"), ("GET", "/admin/users/new"), ("POST", "/admin/users/new"),
    ("GET", "/admin/users/ID"), ("POST", "/admin/users/ID")])
def test_a_user_without_the_admin_role_is_refused_every_users_page(directory, method, path):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    path = path.replace("ID", str(stored_user(directory, user.username).id))
    if method == "GET":
        response = agent.get(directory.issuer + path)
    else:
        response = agent.http.post(directory.issuer + path, allow_redirects=False, timeout=30,
                                   data={"csrf_token": csrf(page), "action": "disable",
                                         "username": "x", "email": "x@example.org"})
    assert_error_page(response, 403, "access_denied")


def test_the_users_pages_ask_for_a_login_first(directory):
    agent = Agent(directory.live.url)
    page = Page(agent.get(f"{directory.issuer}/admin/users"))
    assert page.title.startswith("Log in")


# --- the list ----------------------------------------------------------------------------------

def test_the_list_shows_each_user_with_status_role_and_methods(directory):
    plain = directory.add_user()
    admin, agent, page = admin_agent(directory)
    add_plain_users(directory, ["invitee1"])
    page = Page(agent.get(f"{directory.issuer}/admin/users"))
    rows = {row.find("td").get_text(strip=True): [td.get_text(" ", strip=True)
                                                   for td in row.find_all("td")]
            for row in page.soup.select("table.users tbody tr")}
    assert rows[admin.username][3:] == ["Active", "Admin", "Password, Authenticator app"]
    assert rows[plain.username][1:] == [plain.username.title(), plain.email, "Active", "",
                                        "Password"]
    assert rows["invitee1"][3:] == ["Invited", "", "None"]
    headers = [th.get_text(strip=True) for th in page.soup.select("table.users th")]
    assert headers == ["Username", "Name", "Email", "Status", "Role", "Sign-in methods"]


@pytest.mark.parametrize("query,expected", [
    ("ALPHA", {"alpha1", "alpha2"}),            # username prefix, any case
    ("beta.person@", {"beta"}),                 # email prefix
    ("zeeland", {"gamma"}),                     # part of the name, any case
    ("xample", set()),                          # inside an address, not at its start
    ("nobody-matches", set()),
])
def test_the_search_matches_the_start_of_a_username_or_email_or_part_of_a_name(
        directory, query, expected):
    _admin, agent, _page = admin_agent(directory)
    for username, email, name in [("alpha1", None, None), ("alpha2", None, None),
                                   ("beta", "beta.person@example.org", None),
                                   ("gamma", None, "Greta van Zeeland")]:
        created = directory.add_user(username, email=email)
        if name:
            with directory.live.app.app_context():
                find_user(get_directory(directory.slug), created.username).name = name
                db.session.commit()
    page = Page(agent.get(f"{directory.issuer}/admin/users", params={"q": query}))
    assert set(listed_usernames(page)) == expected
    assert page.soup.find(id="q")["value"] == query
    if not expected:
        assert f"No user matches “{query}”." in page.text


def test_paging_walks_every_user_once_in_order_fifty_at_a_time_and_back(directory):
    admin, agent, page = admin_agent(directory)
    names = [f"p{i:03d}" for i in range(120)]
    add_plain_users(directory, names)
    everyone = sorted([*names, admin.username])
    seen, pages = [], []
    page = Page(agent.get(f"{directory.issuer}/admin/users"))
    while True:
        shown = listed_usernames(page)
        assert 0 < len(shown) <= 50
        seen += shown
        pages.append(shown)
        if not page.soup.find("a", rel="next"):
            break
        page = Page(agent.get(page.link("Next")))
    assert seen == everyone
    assert [len(p) for p in pages] == [50, 50, 21]
    # Back again with "Previous": the same pages in reverse.
    back = [listed_usernames(page)]
    while page.soup.find("a", rel="prev"):
        page = Page(agent.get(page.link("Previous")))
        back.append(listed_usernames(page))
    assert back == pages[::-1]
    assert not page.soup.find("a", rel="prev")


def test_paging_keeps_the_search(directory):
    _admin, agent, _page = admin_agent(directory)
    add_plain_users(directory, [f"match{i:03d}" for i in range(60)] + ["other"])
    page = Page(agent.get(f"{directory.issuer}/admin/users", params={"q": "match"}))
    assert len(listed_usernames(page)) == 50
    following = Page(agent.get(page.link("Next")))
    assert parse_qs(urlparse(following.url).query)["q"] == ["match"]
    assert listed_usernames(following) == [f"match{i:03d}" for i in range(50, 60)]


@pytest.mark.parametrize("params", [
    {"q": "\x00"}, {"q": "a\x00b"}, {"q": "x" * 5000}, {"q": "<script>alert(1)</script>"},
    {"q": "%_\\"}, {"after": "\x00"}, {"after": "z" * 1000}, {"before": "\x00\x01"},
    {"after": "a", "before": "b"}, {"before": ""}, {"q": "\u202e\u200b"},
])
def test_hostile_search_and_paging_input_never_breaks_the_list(directory, params):
    _admin, agent, _page = admin_agent(directory)
    response = agent.get(f"{directory.issuer}/admin/users", params=params)
    assert_sane(response)
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text


# --- inviting ------------------------------------------------------------------------------------

def invitation_link(mail, email: str) -> str:
    message = mail.wait_for(email)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = re.search(r"https?://\S+/invitation/[A-Za-z0-9_-]+", text).group(0)
    assert link in html
    return link


def invite(agent, directory, *, title: str = "Invite a user",
           button: str = "Create and send the invitation", **fields: str) -> Page:
    page = Page(agent.get(f"{directory.issuer}/admin/users/new"))
    assert page.title == title
    values = {"username": f"new{secrets.token_hex(3)}", "name": "New Person",
              "email": f"new{secrets.token_hex(3)}@example.org", "phone": ""}
    values.update(fields)
    return Page(agent.submit(page, button, fields=values))


def test_an_admin_creates_a_user_who_is_invited_by_email_and_nobody_sets_a_password(
        directory, mail):
    admin, agent, _page = admin_agent(directory)
    phone = new_mobile()
    page = invite(agent, directory, username="newbie", name="New Bie",
                  email="newbie@example.org", phone=phone.replace("+31", "+31 "),
                  admin="yes")
    assert page.title == "User newbie"
    assert "newbie was created and invited by email to newbie@example.org." in page.text
    assert not page.soup.find("input", attrs={"type": "password"})
    row = stored_user(directory, "newbie")
    assert row.password_hash is None and row.is_admin and row.name == "New Bie"
    # Contact data an admin typed is unproven; the phone is stored in E.164.
    assert (row.phone, row.phone_verified, row.email_verified) == (phone, False, False)
    link = invitation_link(mail, "newbie@example.org")
    assert link.startswith(f"{directory.issuer}/invitation/")
    created = audit_events(directory, "admin.user_created")[-1]
    sent = audit_events(directory, "admin.invitation_sent")[-1]
    actor = stored_user(directory, admin.username).id
    assert (created.user_id, created.detail["actor"]) == (row.id, actor)
    assert (sent.user_id, sent.detail["actor"]) == (row.id, actor)
    with directory.live.app.app_context():
        stored = db.session.scalars(select(Invitation).where(Invitation.user_id == row.id)).one()
        token = link.rsplit("/", 1)[1]
        assert token not in stored.token_hash  # only its hash is kept
        assert stored.expires_at - stored.created_at == 72 * 3600


def test_the_invitation_email_is_in_the_language_of_the_admins_page(directory, mail):
    _admin, agent, _page = admin_agent(directory)
    agent.get(f"{directory.issuer}/admin/users?lang=nl")
    invite(agent, directory, title="Een gebruiker uitnodigen",
           button="Aanmaken en uitnodiging versturen", email="nl-invite@example.org")
    message = mail.wait_for("nl-invite@example.org")
    assert '<html lang="nl">' in message.get_body(("html",)).get_content()
    assert "/invitation/" in message.get_body(("plain",)).get_content()


def test_no_admin_page_has_a_password_field(directory):
    _admin, agent, _page = admin_agent(directory)
    user = directory.add_user(totp=True)
    for path in ("/admin/users", "/admin/users/new",
                 f"/admin/users/{stored_user(directory, user.username).id}"):
        page = Page(agent.get(directory.issuer + path))
        assert page.status == 200
        assert not page.soup.find("input", attrs={"type": "password"}), path
        assert not any("password" in (tag.get("name") or "") for tag in page.soup.find_all("input"))


@pytest.mark.parametrize("fields,field,message", [
    ({"username": ""}, "username", "A username is 1 to 150"),
    ({"username": "<script>x</script>"}, "username", "A username is 1 to 150"),
    ({"username": "a\x00b"}, "username", "A username is 1 to 150"),
    ({"username": "u" * 151}, "username", "A username is 1 to 150"),
    ({"email": ""}, "email", "Enter the email address the invitation goes to."),
    ({"email": "not-an-email"}, "email", "Enter an email address like"),
    ({"email": "a@b.c\x00"}, "email", "Enter an email address like"),
    ({"email": "x" * 64 + "@" + "d" * 250 + ".org"}, "email", "Enter an email address like"),
    ({"phone": "12345"}, "phone", "Enter the phone number in international form"),
    ({"phone": "+31\x00612345678"}, "phone", "Enter the phone number in international form"),
    ({"name": "n" * 201}, "name", "A name has at most 200 characters."),
    ({"name": "bad\x00name"}, "name", "A name cannot contain control characters."),
])
def test_invalid_new_user_fields_are_refused_with_the_field_marked(
        directory, mail, fields, field, message):
    _admin, agent, _page = admin_agent(directory)
    page = invite(agent, directory, **fields)
    assert_sane(page.response)
    assert page.status == 400 and page.title == "Invite a user"
    assert message in page.soup.find(id="form-error").get_text()
    assert page.soup.find(id=field)["aria-invalid"] == "true"
    with directory.live.app.app_context():
        assert db.session.scalar(select(User).where(
            User.directory_id == get_directory(directory.slug).id,
            User.name == "New Person")) is None


def test_a_taken_username_or_email_is_refused_clearly(directory):
    other = directory.add_user("taken", email="taken@example.org")
    _admin, agent, _page = admin_agent(directory)
    for fields in ({"username": "TAKEN"}, {"email": "Taken@Example.org"},
                   {"username": other.email}):
        page = invite(agent, directory, **fields)
        assert page.status == 400
        assert "Another user of this directory already has this" in page.text


def test_creating_without_the_csrf_token_is_refused(directory):
    _admin, agent, _page = admin_agent(directory)
    response = agent.http.post(f"{directory.issuer}/admin/users/new", timeout=30,
                               data={"username": "nocsrf", "email": "nocsrf@example.org"})
    assert_error_page(response, 400)
    with directory.live.app.app_context():
        assert find_user(get_directory(directory.slug), "nocsrf") is None


# --- one user ------------------------------------------------------------------------------------

@pytest.mark.parametrize("user_id", ["abc", "-1", "1e3", "0", "99999999999999999999",
                                     "2147483648", "\u0661\u0662", "%00", "1%00", " 1"])
def test_a_user_id_that_names_nobody_is_not_found(directory, user_id):
    _admin, agent, page = admin_agent(directory)
    assert_error_page(agent.get(f"{directory.issuer}/admin/users/{user_id}"), 404)
    response = agent.http.post(f"{directory.issuer}/admin/users/{user_id}", timeout=30,
                               data={"csrf_token": csrf(page, agent), "action": "disable"})
    assert_error_page(response, 404)


def test_a_user_of_another_directory_is_not_found(directory, live):
    from tests.support.live import new_directory

    other = new_directory(live)
    stranger = other.add_user(totp=True)
    stranger_id = stored_user(other, stranger.username).id
    _admin, agent, page = admin_agent(directory)
    assert_error_page(agent.get(f"{directory.issuer}/admin/users/{stranger_id}"), 404)
    response = agent.http.post(f"{directory.issuer}/admin/users/{stranger_id}", timeout=30,
                               data={"csrf_token": csrf(page, agent), "action": "disable"})
    assert_error_page(response, 404)
    assert not stored_user(other, stranger.username).disabled


def test_an_admin_edits_name_email_and_phone_which_become_unproven(directory):
    user = directory.add_user(phone=new_mobile(), email_verified=True)
    admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, user.username)
    phone = new_mobile()
    page = Page(press(agent, page, "save", {"name": "Renamed Person",
                                             "email": "renamed@example.org", "phone": phone}))
    assert "Saved." in page.text
    row = stored_user(directory, user.username)
    assert (row.name, row.email, row.email_key, row.phone) == (
        "Renamed Person", "renamed@example.org", "renamed@example.org", phone)
    assert not row.email_verified and not row.phone_verified
    event = audit_events(directory, "admin.user_updated")[-1]
    assert event.detail == {"actor": stored_user(directory, admin.username).id,
                            "fields": ["name", "email", "phone"]}
    assert event.user_id == row.id
    # Saving again changes nothing and says so.
    page = Page(press(agent, page, "save"))
    assert "Nothing changed." in page.text
    assert len(audit_events(directory, "admin.user_updated")) == 1


def test_an_email_address_of_another_user_is_refused(directory):
    directory.add_user(email="first@example.org")
    second = directory.add_user(email="second@example.org")
    _admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, second.username)
    page = Page(press(agent, page, "save", {"email": "FIRST@example.org"}))
    assert page.status == 400
    assert "Another user of this directory already has this email address." in page.text
    assert page.soup.find(id="email")["aria-invalid"] == "true"
    assert page.soup.find(id="email")["value"] == "FIRST@example.org"
    assert stored_user(directory, second.username).email == "second@example.org"


@pytest.mark.parametrize("fields", [
    {"email": "bad"}, {"email": "<script>@x.org"}, {"phone": "+999"}, {"phone": "x" * 40},
    {"name": "\x00"}, {"name": "x" * 300}, {"email": "a\x00@example.org"},
])
def test_invalid_edits_are_refused_and_change_nothing(directory, fields):
    user = directory.add_user()
    _admin, agent, _page = admin_agent(directory)
    before = stored_user(directory, user.username)
    page = Page(press(agent, user_page(agent, directory, user.username), "save", fields))
    assert_sane(page.response)
    assert page.status == 400 and page.soup.find(id="form-error")
    after = stored_user(directory, user.username)
    assert (after.name, after.email, after.phone) == (before.name, before.email, before.phone)


def test_the_page_warns_before_removing_a_method_the_level_needs_and_still_removes_it(
        directory):
    user = directory.add_user(totp=True)
    admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, user.username)
    key = page.soup.find("input", attrs={"name": "item"})["value"]
    assert key.startswith("totp:")
    button = page.soup.find("button", attrs={"value": "remove"})
    warning = page.soup.find(id=button["aria-describedby"])
    assert "Removing this leaves 20 of 30 points" in warning.get_text()
    page = Page(press(agent, page, "remove", item=key))
    assert "The sign-in method was removed." in page.text
    assert f"{user.username} cannot reach level 30 with what is left" in page.text
    assert not page.soup.find("input", attrs={"name": "item", "value": key})
    event = audit_events(directory, "admin.method_removed")[-1]
    assert event.detail == {"actor": stored_user(directory, admin.username).id,
                            "method": "totp"}
    # The user can still log in: the next login asks them to set up another method.
    rp = new_rp(directory, directory.add_client())
    page = Page(rp.log_in(rp.start(), user))
    assert page.title == "Set up a way to verify" and page.soup.find(id="set-up") is not None


def test_removing_a_method_that_is_not_needed_shows_no_warning(directory):
    user = directory.add_user(totp=True, phone=new_mobile())
    directory.set_levels(20)
    _admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, user.username)
    assert not page.soup.select("td .warn")
    page = Page(press(agent, page, "remove", item="sms"))
    assert "The sign-in method was removed." in page.text and "cannot reach" not in page.text
    row = stored_user(directory, user.username)
    assert row.phone == user.phone and not row.phone_verified  # the number stays, unproven


@pytest.mark.parametrize("item", ["password", "totp:999999", "passkey:1", "", "x" * 100,
                                  "sms\x00", "device:abc"])
def test_removing_a_method_the_user_does_not_have_is_refused(directory, item):
    user = directory.add_user(totp=True)
    _admin, agent, _page = admin_agent(directory)
    page = Page(press(agent, user_page(agent, directory, user.username), "remove",
                      {"item": item}, item=None))
    assert_sane(page.response)
    assert page.status == 400 and "This sign-in method is not there any more." in page.text
    assert stored_user(directory, user.username).password_hash is not None


def test_a_method_of_another_user_cannot_be_removed_through_this_users_page(directory):
    victim = directory.add_user(totp=True)
    other = directory.add_user()
    _admin, agent, _page = admin_agent(directory)
    key = user_page(agent, directory, victim.username).soup.find(
        "input", attrs={"name": "item"})["value"]
    page = Page(press(agent, user_page(agent, directory, other.username), "save", {
        "action": "remove", "item": key}))
    # "save" was overridden by the field: the remove is looked up among *other*'s items.
    assert page.status == 400
    assert user_page(agent, directory, victim.username).soup.find(
        "input", attrs={"name": "item", "value": key})


def test_disabling_a_user_ends_their_sessions_and_tokens_and_enabling_lets_them_back(
        directory, provider_clock):
    user = directory.add_user(totp=True)
    user_agent_, page = open_account_page(directory, user)
    provider_clock(30)  # the next TOTP code
    rp = new_rp(directory, directory.add_client())
    tokens = rp.exchange(rp.sign_in(user)["code"])
    admin, agent, _page = admin_agent(directory)

    page = Page(press_confirmed(agent, user_page(agent, directory, user.username), "disable"))
    assert f"{user.username} is disabled" in page.text and "Disabled: cannot log in." in page.text
    row = stored_user(directory, user.username)
    assert row.disabled
    with directory.live.app.app_context():
        assert not db.session.scalars(select(BrowserSession).where(
            BrowserSession.user_id == row.id, BrowserSession.ended_at.is_(None))).all()
        grants = db.session.scalars(select(TokenFamily).where(
            TokenFamily.user_id == row.id)).all()
        assert grants and all(grant.revoked_at for grant in grants)
    assert Page(user_agent_.get(f"{directory.issuer}/account/")).title.startswith("Log in")
    refreshed = rp.token_request({"grant_type": "refresh_token",
                                  "refresh_token": tokens.get("refresh_token", "none")})
    assert refreshed.status_code == 400
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    other = new_rp(directory, directory.add_client())
    assert other.log_in(other.start(), user).status_code == 403  # told: disabled
    event = audit_events(directory, "admin.user_disabled")[-1]
    assert event.detail == {"actor": stored_user(directory, admin.username).id, "devices": 0}

    page = Page(press(agent, page, "enable"))
    assert f"{user.username} can log in again." in page.text
    assert audit_events(directory, "admin.user_enabled")
    provider_clock(30)
    _agent, page = open_account_page(directory, user)
    assert page.title == "Your account"


def test_an_admin_cannot_disable_themself(directory):
    admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, admin.username)
    assert "You cannot disable your own account." in page.text
    assert not page.soup.find("button", attrs={"value": "disable"})
    response = agent.http.post(page.url, timeout=30, allow_redirects=False,
                               data={"csrf_token": csrf(page), "action": "disable"})
    assert response.status_code == 400
    assert "You cannot disable your own account." in Page(response).soup.find(
        id="form-error").get_text()
    assert not stored_user(directory, admin.username).disabled


def test_logging_a_user_out_everywhere_ends_each_session_and_revokes_their_tokens(
        directory, provider_clock):
    user = directory.add_user(totp=True)
    first, _page = open_account_page(directory, user)
    provider_clock(30)  # the next TOTP code
    second, _page = open_account_page(directory, user)
    provider_clock(30)
    rp = new_rp(directory, directory.add_client())
    tokens = rp.exchange(rp.sign_in(user)["code"])
    admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, user.username)
    assert "3 active browser sessions." in page.text

    page = Page(press(agent, page, "end_sessions"))
    assert f"{user.username} is logged out everywhere." in page.text
    assert "0 active browser sessions." in page.text
    for browser in (first, second):
        assert Page(browser.get(f"{directory.issuer}/account/")).title.startswith("Log in")
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    event = audit_events(directory, "admin.sessions_ended")[-1]
    assert event.detail == {"actor": stored_user(directory, admin.username).id, "sessions": 3,
                            "devices": 0}
    assert not stored_user(directory, user.username).disabled


def test_the_user_page_lists_recent_logins_with_app_address_browser_and_level(directory):
    user = directory.add_user(totp=True)
    rp = new_rp(directory, directory.add_client())
    chrome = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
    rp.agent.http.headers["User-Agent"] = chrome
    rp.sign_in(user)
    _admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, user.username)
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in page.soup.select("table.logins tbody tr")]
    assert rows and rows[0][1:5] == ["Logged in", rp.client.client_id, "30", "127.0.0.1"]
    # The browser as people name it; the whole string is there for the curious.
    assert rows[0][5] == "Chrome on Mac OS X"
    assert page.soup.select_one("table.logins tbody tr td:last-child span")["title"] == chrome


def test_recent_logins_show_at_most_twenty(directory):
    user = directory.add_user()
    with directory.live.app.app_context():
        from idp import audit

        row = find_user(get_directory(directory.slug), user.username)
        for i in range(30):
            audit.record(row.directory_id, audit.events.LOGIN, now() - 1000 + i, user_id=row.id,
                         client_id=f"c{i}", ip="192.0.2.1", user_agent="agent", acr="30")
        db.session.commit()
    _admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, user.username)
    rows = page.soup.select("table.logins tbody tr")
    assert len(rows) == 20 and rows[0].find_all("td")[2].get_text() == "c29"


def test_a_change_without_the_csrf_token_is_refused(directory):
    user = directory.add_user()
    _admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, user.username)
    response = agent.http.post(page.url, data={"action": "disable"}, timeout=30)
    assert_error_page(response, 400)
    assert not stored_user(directory, user.username).disabled


@pytest.mark.parametrize("action", ["", "delete", "set_password", "x" * 500, "save\x00"])
def test_an_unknown_action_is_refused(directory, action):
    user = directory.add_user()
    _admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, user.username)
    response = agent.http.post(page.url, data={"csrf_token": csrf(page), "action": action,
                                               "password": "hijacked-password"}, timeout=30)
    assert_error_page(response, 400)
    assert stored_user(directory, user.username).password_hash is not None


# --- what a removal means (the rule itself, without the app) -------------------------------------

@pytest.mark.parametrize("points,items,key,expected", [
    # Password + app at the default 30: removing the app leaves 20; the app can be set up again.
    ({}, ["password", "totp"], "totp:1", (20, False, True)),
    # Recovery codes cannot be set up during a login: nothing else gets there.
    ({"sms": 0, "email": 0, "totp": 0, "app": 0, "passkey": 0}, ["password", "recovery"],
     "recovery", (20, False, False)),
    # Still enough without it.
    ({}, ["password", "totp", "sms"], "sms", (30, True, False)),
    # A passkey alone reaches 30; without it the password and one more method do.
    ({}, ["password", "passkey"], "passkey:1", (20, False, True)),
])
def test_a_removal_says_whether_the_level_stays_reachable(points, items, key, expected):
    from idp.admin.users import removal_effect
    from idp.domain import LevelSettings
    from idp.users.enrolments import Enrolment

    settings = LevelSettings().with_changes(points=points)
    enrolments = [Enrolment(m, f"{m}:1" if m in ("totp", "passkey") else m, m) for m in items]
    effect = removal_effect(settings, enrolments, key,
                            {"sms", "email", "totp", "app", "passkey"})
    assert (effect.level_after, effect.reachable, effect.can_enrol_at_login) == expected
    assert effect.required == 30


def test_a_wrong_password_shows_in_the_users_recent_logins(directory):
    user = directory.add_user(totp=True)
    rp = new_rp(directory, directory.add_client())
    page = Page(rp.start())
    rp.agent.submit(page, "Log in", by_label={"Username or email": user.username,
                                              "Password": "not the password"})
    _admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, user.username)
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in page.soup.select("table.logins tbody tr")]
    assert rows and rows[0][1] == "Failed" and rows[0][4] == "127.0.0.1"
