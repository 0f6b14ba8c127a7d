"""The operator console: the installation's directories in figures, its health, and creating
a directory with its first admin invited; only for the admins of the operators' directory."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urljoin

import pytest
from sqlalchemy import func, select

from idp.admin.directories import disable_directory
from idp.clock import now
from idp.storage import db
from idp.storage.models import AuditEvent, Directory
from idp.tenants.directories import get_directory
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.support.live import operators_directory

CONSOLE = "/operator/"
NEW = "/operator/directories/new"


@pytest.fixture
def operators(live):
    return operators_directory(live)


def console(operators, path: str = CONSOLE, admin: bool = True):
    operator = operators.add_user(totp=True, admin=admin)
    return open_account_page(operators, operator, path)


def directory_count(live) -> int:
    with live.app.app_context():
        return db.session.scalar(select(func.count(Directory.id)))


def rows_of(page: Page) -> dict[str, list[str]]:
    return {tr.find("th").get_text(strip=True): [td.get_text(strip=True)
                                                  for td in tr.find_all("td")]
            for tr in page.soup.select("#directories tbody tr")}


def test_an_operator_sees_each_directory_in_figures_and_none_of_its_people(operators,
                                                                          directory):
    ann, bob = directory.add_user("ann-" + secrets.token_hex(3)), directory.add_user()
    directory.add_client()
    _agent, page = console(operators)

    assert page.title == "Operator console", page.text[:300]
    row = rows_of(page)[directory.slug]
    assert row[:4] == [f"Test {directory.slug}", "2", "1", "30"], row
    assert row[5].startswith("Active"), row
    assert ann.username not in page.text and bob.username not in page.text
    assert "Operator console" in [a.get_text(strip=True) for a in page.soup.select("nav a")]


def test_the_console_shows_the_health_of_the_database_channels_and_keys(operators, directory):
    _agent, page = console(operators)

    health = page.soup.find(id="health").get_text(" ", strip=True)
    assert "Database Answers" in health
    assert "Email Configured" in health  # the tests' loopback SMTP server
    key_rows = [[td.get_text(strip=True) for td in tr.find_all("td")]
                for tr in page.soup.select("#keys tbody tr")]
    mine = [row for row in key_rows if row[0] == directory.slug]
    assert {row[2] for row in mine} == {"RS256", "ES256"}, mine
    assert all(row[3] == "0 days" and row[4] == "Yes" for row in mine), mine


def test_the_console_does_not_exist_in_any_other_directory(directory):
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin)
    assert page.title == "Your account"

    response = agent.get(directory.issuer + CONSOLE)

    assert response.status_code == 404
    assert "Operator console" not in page.text


def test_a_user_of_the_operators_directory_who_is_not_an_admin_is_refused(operators):
    agent, page = console(operators, "/account/", admin=False)
    assert page.title == "Your account"

    assert agent.get(operators.issuer + CONSOLE).status_code == 403
    new = agent.get(operators.issuer + NEW)
    assert new.status_code == 403


def test_a_non_admin_posting_the_form_with_its_csrf_token_is_refused(operators, live):
    agent, page = console(operators, "/account/", admin=False)
    # The person's own session and CSRF token: only the role can refuse the post.
    csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    before = directory_count(live)

    response = agent.http.post(operators.issuer + NEW, data={
        "csrf_token": csrf, "slug": "x" + secrets.token_hex(4), "name": "X",
        "email": "x@example.org"}, allow_redirects=False, timeout=30)

    assert response.status_code == 403
    assert directory_count(live) == before


def test_an_operator_creates_a_directory_and_its_first_admin_is_invited(operators, live, mail):
    agent, page = console(operators, NEW)
    slug, email = "acme-" + secrets.token_hex(3), f"admin-{secrets.token_hex(3)}@acme.example"

    done = Page(agent.submit(page, "Create and invite the admin",
                             by_label={"Slug": slug, "Name": "Acme B.V.",
                                       "Email address of its first admin": email}))

    assert done.title == "Operator console", done.text[:300]
    assert f"Directory {slug} was created, and its first admin was invited" in done.text
    assert rows_of(done)[slug][:4] == ["Acme B.V.", "1", "0", "30"]
    message = mail.wait_for(email)
    body = message.get_body(("plain",)).get_content()
    [link] = re.findall(rf"{re.escape(live.url)}/d/{slug}/invitation/\S+", body)
    invitation = Page(agent.get(link))
    assert invitation.status == 200, invitation.text[:300]
    discovery = agent.get(f"{live.url}/d/{slug}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == f"{live.url}/d/{slug}"
    with live.app.app_context():
        created = get_directory(slug)
        assert created is not None and created.name == "Acme B.V."
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.event == "admin.directory_created",
            AuditEvent.detail["directory"].as_string() == slug)).all()
        assert event.directory_id == get_directory(operators.slug).id


@pytest.mark.parametrize(("slug", "message"), [
    ("Not A Slug", "A slug is 1 to 64 lowercase letters (a-z), digits and inner hyphens"),
    ("-edge", "A slug is 1 to 64 lowercase letters (a-z), digits and inner hyphens"),
    ("x" * 65, "A slug is 1 to 64 lowercase letters (a-z), digits and inner hyphens"),
    ("operators", "A directory 'operators' already exists."),
])
def test_a_malformed_or_taken_slug_is_refused_and_nothing_is_made(operators, live, slug,
                                                                   message):
    agent, page = console(operators, NEW)
    before = directory_count(live)

    refused = Page(agent.submit(page, "Create and invite the admin",
                                by_label={"Slug": slug, "Name": "Acme",
                                          "Email address of its first admin": "a@example.org"}))

    assert refused.status == 400
    assert message in refused.text
    assert refused.soup.find(id="slug")["aria-invalid"] == "true"
    assert directory_count(live) == before


def test_a_directory_without_a_valid_admin_email_is_not_made(operators, live):
    agent, page = console(operators, NEW)
    before = directory_count(live)

    refused = Page(agent.submit(page, "Create and invite the admin",
                                by_label={"Slug": "b-" + secrets.token_hex(3), "Name": "B",
                                          "Email address of its first admin": "not an email"}))

    assert refused.status == 400
    assert refused.soup.find(id="email")["aria-invalid"] == "true"
    assert directory_count(live) == before


def test_creating_a_directory_without_the_csrf_token_is_refused(operators, live):
    agent, page = console(operators, NEW)
    before = directory_count(live)

    response = agent.http.post(operators.issuer + NEW, data={
        "slug": "c-" + secrets.token_hex(3), "name": "C", "email": "c@example.org"},
        allow_redirects=False, timeout=30)

    assert response.status_code == 400
    assert directory_count(live) == before


def switch(agent, page: Page, slug: str, button: str) -> Page:
    """Press the Disable or Enable button of a directory's row."""
    for tr in page.soup.select("#directories tbody tr"):
        if tr.find("th").get_text(strip=True) == slug:
            form = tr.find("form")
            data = {tag["name"]: tag.get("value", "") for tag in form.find_all("input")}
            assert form.find("button").get_text(" ", strip=True).startswith(button)
            return Page(agent.follow(agent.http.post(urljoin(page.url, form["action"]),
                                                     data=data, allow_redirects=False,
                                                     timeout=30)))
    raise AssertionError(f"no row {slug}")


def test_an_operator_disables_and_enables_a_directory(operators, directory, live):
    discovery = f"{directory.issuer}/.well-known/openid-configuration"
    agent, page = console(operators)

    disabled = switch(agent, page, directory.slug, "Disable")

    assert f"Directory {directory.slug} is disabled" in disabled.text
    assert rows_of(disabled)[directory.slug][5].startswith("Disabled")
    assert agent.get(discovery).status_code == 403
    enabled = switch(agent, disabled, directory.slug, "Enable")
    assert f"Directory {directory.slug} is enabled again" in enabled.text
    assert agent.get(discovery).status_code == 200
    with live.app.app_context():
        mine = get_directory(operators.slug).id
        logged = db.session.scalars(select(AuditEvent.event).where(
            AuditEvent.directory_id == mine,
            AuditEvent.detail["directory"].as_string() == directory.slug)).all()
        theirs = db.session.scalars(select(AuditEvent.user_agent).where(
            AuditEvent.directory_id == get_directory(directory.slug).id,
            AuditEvent.event.in_(["directory.disabled", "directory.enabled"]))).all()
    assert logged == ["admin.directory_disabled", "admin.directory_enabled"]
    assert len(theirs) == 2 and all(a.startswith("operator console: ") for a in theirs)


def test_the_operators_directory_is_not_disabled_from_its_own_console(operators, live):
    agent, page = console(operators)
    csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]

    response = agent.follow(agent.http.post(
        f"{operators.issuer}/operator/directories/{operators.slug}/disable",
        data={"csrf_token": csrf}, allow_redirects=False, timeout=30))

    assert "cannot be disabled from its own console" in response.text
    with live.app.app_context():
        assert get_directory(operators.slug).disabled_at is None


def test_disabling_a_directory_that_does_not_exist_is_not_found(operators):
    agent, page = console(operators)
    csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]

    response = agent.http.post(f"{operators.issuer}/operator/directories/no-such-one/disable",
                               data={"csrf_token": csrf}, allow_redirects=False, timeout=30)

    assert response.status_code == 404


# --- changes need a recent login ---------------------------------------------------------------

STALE = 700  # seconds after the login: past the fresh window of 600 s
OPERATOR_REASON = ("For your security, log in again before you create, disable or enable a "
                   "directory.")


def post_form(agent, url: str, csrf: str, **data: str):
    return agent.http.post(url, data={"csrf_token": csrf, **data}, allow_redirects=False,
                           timeout=30)


def assert_asks_to_log_in_again(response, operators, back: str) -> Page:
    page = Page(response)
    assert response.status_code == 403, f"{response.status_code}: {page.text[:300]}"
    assert page.title == "Log in again", page.text[:300]
    assert OPERATOR_REASON in page.text
    form, _button = page.form_with_button("Continue")
    fields = {i["name"]: i.get("value") for i in form.find_all("input")}
    assert fields == {"next": f"/d/{operators.slug}{back}", "fresh": "1",
                      "why": "operator"}
    return page


def continue_to_log_in(agent, refusal: Page, operator) -> Page:
    """Press Continue on the refusal and log in again: password, then the app's code."""
    page = Page(agent.submit(refusal, "Continue"))
    assert page.title.startswith("Log in"), page.text[:300]
    page = Page(agent.submit(page, "Log in", by_label={
        "Username or email": operator.username, "Password": operator.password}))
    assert page.title == "Choose how to verify", page.text[:300]
    form = Page(agent.get(page.link("Continue with authenticator app")))
    return Page(agent.submit(form, "Verify", by_label={"Code": operator.totp()}))


def test_a_stale_operator_session_must_log_in_again_to_create_a_directory(operators, live,
                                                                         provider_clock):
    operator = operators.add_user(totp=True, admin=True)
    agent, page = open_account_page(operators, operator, NEW)
    csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    provider_clock(STALE)
    before = directory_count(live)
    slug = "stale-" + secrets.token_hex(3)

    refused = post_form(agent, operators.issuer + NEW, csrf, slug=slug, name="Stale",
                        email="admin@stale.example")

    refusal = assert_asks_to_log_in_again(refused, operators, NEW)
    assert directory_count(live) == before
    # Continue: the password and the app again, then back on the form; now it goes through.
    again = continue_to_log_in(agent, refusal, operator)
    assert again.url.endswith(NEW) and again.title != "Log in again", again.text[:300]
    csrf = again.soup.find("input", attrs={"name": "csrf_token"})["value"]
    done = Page(agent.follow(post_form(agent, operators.issuer + NEW, csrf, slug=slug,
                                       name="Stale", email="admin@stale.example")))
    assert f"Directory {slug} was created" in done.text, done.text[:300]
    assert directory_count(live) == before + 1


@pytest.mark.parametrize("action", ["disable", "enable"])
def test_a_stale_operator_session_must_log_in_again_to_disable_or_enable(operators, directory,
                                                                         live, provider_clock,
                                                                         action):
    if action == "enable":
        with live.app.app_context():
            disable_directory(get_directory(directory.slug), now(), by="test")
            db.session.commit()
    operator = operators.add_user(totp=True, admin=True)
    agent, page = open_account_page(operators, operator, CONSOLE)
    csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    provider_clock(STALE)
    target = f"{operators.issuer}/operator/directories/{directory.slug}/{action}"

    refusal = assert_asks_to_log_in_again(post_form(agent, target, csrf), operators, CONSOLE)

    with live.app.app_context():
        assert (get_directory(directory.slug).disabled_at is None) == (action == "disable")
    console_page = continue_to_log_in(agent, refusal, operator)
    assert console_page.title == "Operator console", console_page.text[:300]
    csrf = console_page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    done = Page(agent.follow(post_form(agent, target, csrf)))
    assert done.title == "Operator console", done.text[:300]
    with live.app.app_context():
        assert (get_directory(directory.slug).disabled_at is None) == (action == "enable")


def test_a_fresh_operator_session_changes_without_logging_in_again(operators, directory,
                                                                   live, provider_clock):
    agent, page = console(operators)
    provider_clock(500)  # still within the 600 s window

    done = switch(agent, page, directory.slug, "Disable")

    assert done.title == "Operator console" and "is disabled" in done.text
    with live.app.app_context():
        assert get_directory(directory.slug).disabled_at is not None
