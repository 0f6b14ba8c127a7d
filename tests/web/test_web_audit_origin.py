"""Admin actions in the audit log say where they came from: the IP address and the browser
(or program) of the admin page, the admin API's service account and the operator console,
as the audit page shows them."""

from __future__ import annotations

from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AuditEvent
from idp.tenants.directories import get_directory
from tests.support.agent import Page
from tests.support.live import operators_directory
from tests.web.admin_api import service_api
from tests.web.test_web_admin_users import admin_agent, audit_events, press, stored_user, user_page
from tests.web.test_web_operator_console import console, switch

ADMIN_BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AdminBrowser/1.0"
SCRIPT = "provisioning-script/2.3"


def test_an_admins_change_records_their_address_and_browser_shown_on_the_audit_page(
        directory):
    person = directory.add_user()
    _admin, agent, _page = admin_agent(directory)
    agent.http.headers["User-Agent"] = ADMIN_BROWSER

    press(agent, user_page(agent, directory, person.username), "save",
          {"name": "Renamed Person"})

    event = audit_events(directory, "admin.user_updated")[-1]
    assert (event.ip, event.user_agent) == ("127.0.0.1", ADMIN_BROWSER)
    page = Page(agent.get(f"{directory.issuer}/admin/audit?event=admin.user_updated"))
    row = page.soup.select_one("table tbody tr")
    assert "127.0.0.1" in row.get_text(" ", strip=True)
    assert row.select_one(".agent span")["title"] == ADMIN_BROWSER


def test_a_service_accounts_call_records_the_address_and_program(directory):
    person = directory.add_user()
    api = service_api(directory)
    user_id = stored_user(directory, person.username).id

    response = api.patch(f"/users/{user_id}", json={"name": "Changed By Script"},
                         headers={"User-Agent": SCRIPT})

    assert response.status_code == 200, response.text
    event = audit_events(directory, "admin.user_updated")[-1]
    assert (event.ip, event.user_agent) == ("127.0.0.1", SCRIPT)
    assert "actor_client" in event.detail


def test_an_operators_action_records_the_address_on_both_sides(live, directory):
    operators = operators_directory(live)
    agent, page = console(operators)
    agent.http.headers["User-Agent"] = ADMIN_BROWSER

    switch(agent, page, directory.slug, "Disable")

    with live.app.app_context():
        mine = db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == get_directory(operators.slug).id,
            AuditEvent.event == "admin.directory_disabled",
            AuditEvent.detail["directory"].as_string() == directory.slug)).one()
        theirs = db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == get_directory(directory.slug).id,
            AuditEvent.event == "directory.disabled")).one()
        assert (mine.ip, mine.user_agent) == ("127.0.0.1", ADMIN_BROWSER)
        # The directory's own admins read who did it; the address is the operator's.
        assert theirs.ip == "127.0.0.1"
        assert theirs.user_agent.startswith("operator console: ")
