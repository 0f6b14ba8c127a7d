"""Destructive admin actions ask once more, without JavaScript, and look dangerous: a new
client secret, disabling an app, disabling a user. A new secret leaves the old one working
for the installation's grace period (IDP_CLIENT_SECRET_GRACE_SECONDS), audited and shown on
the app's page; the admin may stop it sooner."""

from __future__ import annotations

import pytest

from idp.clock import now
from tests.support.agent import Page
from tests.support.live import build_live, new_directory
from tests.web.helpers import assert_sane
from tests.web.test_web_admin_clients import client_page, introspects, shown_secret, stored_client
from tests.web.test_web_admin_users import admin_agent, audit_events, press, stored_user, user_page

DAY = 24 * 3600


def confirmation(response, action: str) -> Page:
    """The page that asks once more: a red button for `action` and a way back."""
    assert_sane(response)
    assert response.status_code == 200, response.text[:300]
    page = Page(response)
    button = page.soup.find("button", attrs={"name": "action", "value": action})
    assert button is not None, page.text[:500]
    assert "danger" in button.get("class", [])
    form = button.find_parent("form")
    assert form.find("input", attrs={"name": "confirm", "value": "yes"}) is not None
    assert form.find("a", href=True) is not None  # the way back, which changes nothing
    return page


def test_the_dangerous_buttons_are_marked_as_such(directory):
    client = directory.add_client()
    user = directory.add_user()
    _admin, agent, _page = admin_agent(directory)
    for page, action in ((client_page(agent, directory, client.client_id), "rotate"),
                         (client_page(agent, directory, client.client_id), "disable"),
                         (user_page(agent, directory, user.username), "disable")):
        button = page.soup.find("button", attrs={"name": "action", "value": action})
        assert "danger" in button.get("class", []), action
    save = client_page(agent, directory, client.client_id).soup.find(
        "button", attrs={"name": "action", "value": "save"})
    assert "danger" not in (save.get("class") or [])


def test_a_new_secret_is_asked_once_more_and_nothing_changes_until_confirmed(directory):
    client = directory.add_client()
    _admin, agent, _page = admin_agent(directory)
    before = stored_client(directory, client.client_id).secret_hash

    asked = confirmation(press(agent, client_page(agent, directory, client.client_id),
                               "rotate"), "rotate")

    name = stored_client(directory, client.client_id).name
    assert asked.title == f"Make a new secret for {name}?"
    assert "keeps working until" in asked.text
    assert stored_client(directory, client.client_id).secret_hash == before
    assert audit_events(directory, "admin.client_secret_rotated") == []
    # Cancel leads back to the app, where nothing happened.
    back = asked.soup.find("a", string="Cancel")["href"]
    assert back.endswith(f"/admin/clients/{client.client_id}")


def test_both_secrets_work_during_the_grace_and_only_the_new_one_after(directory,
                                                                       provider_clock):
    client = directory.add_client()
    _admin, agent, _page = admin_agent(directory)
    asked = confirmation(press(agent, client_page(agent, directory, client.client_id),
                               "rotate"), "rotate")

    shown = Page(press(agent, asked, "rotate"))
    assert shown.title == "New secret"
    _client_id, secret = shown_secret(shown)
    assert "previous secret still works until" in shown.soup.find(id="secret-grace").text
    assert introspects(directory, client.client_id, secret) == 200
    assert introspects(directory, client.client_id, client.secret) == 200
    # The grace is audited and shown on the app's page.
    event = audit_events(directory, "admin.client_secret_rotated")[-1]
    assert event.detail["grace_seconds"] == DAY
    page = client_page(agent, directory, client.client_id)
    assert "The previous secret still works until" in page.soup.find(id="secret-grace").text
    stored = stored_client(directory, client.client_id)
    assert stored.previous_secret_until == pytest.approx(now() + DAY, abs=120)

    provider_clock(DAY + 60)
    assert introspects(directory, client.client_id, client.secret) == 401
    assert introspects(directory, client.client_id, secret) == 200
    assert client_page(agent, directory, client.client_id).soup.find(id="secret-grace") is None


def test_the_admin_may_stop_the_previous_secret_sooner(directory):
    client = directory.add_client()
    _admin, agent, _page = admin_agent(directory)
    press(agent, confirmation(press(agent, client_page(agent, directory, client.client_id),
                                    "rotate"), "rotate"), "rotate")

    asked = confirmation(press(agent, client_page(agent, directory, client.client_id),
                               "end_grace"), "end_grace")
    assert introspects(directory, client.client_id, client.secret) == 200
    done = Page(press(agent, asked, "end_grace"))

    assert "The previous secret no longer works." in done.text
    assert introspects(directory, client.client_id, client.secret) == 401
    assert len(audit_events(directory, "admin.client_secret_grace_ended")) == 1


@pytest.fixture(scope="module")
def no_grace(backend, database_url_factory):
    """A provider of its own whose installation gives old secrets no grace."""
    live = build_live(database_url_factory(backend), IDP_CLIENT_SECRET_GRACE_SECONDS=0)
    yield live
    live.stop()


def test_without_a_grace_the_old_secret_stops_at_once_and_the_page_says_so(no_grace):
    directory = new_directory(no_grace)
    client = directory.add_client()
    _admin, agent, _page = admin_agent(directory)
    asked = confirmation(press(agent, client_page(agent, directory, client.client_id),
                               "rotate"), "rotate")
    assert "stops working at once" in asked.text

    shown = Page(press(agent, asked, "rotate"))
    _client_id, secret = shown_secret(shown)
    assert introspects(directory, client.client_id, secret) == 200
    assert introspects(directory, client.client_id, client.secret) == 401
    assert audit_events(directory, "admin.client_secret_rotated")[-1].detail[
        "grace_seconds"] == 0


def test_disabling_an_app_is_asked_once_more(directory):
    client = directory.add_client()
    _admin, agent, _page = admin_agent(directory)

    asked = confirmation(press(agent, client_page(agent, directory, client.client_id),
                               "disable"), "disable")
    assert not stored_client(directory, client.client_id).disabled
    Page(press(agent, asked, "disable"))
    assert stored_client(directory, client.client_id).disabled


def test_disabling_a_user_is_asked_once_more(directory):
    user = directory.add_user()
    _admin, agent, _page = admin_agent(directory)

    asked = confirmation(press(agent, user_page(agent, directory, user.username), "disable"),
                         "disable")
    assert asked.title == f"Disable {user.username}?"
    assert not stored_user(directory, user.username).disabled
    done = Page(press(agent, asked, "disable"))
    assert "is disabled and logged out everywhere" in done.text
    assert stored_user(directory, user.username).disabled


def test_the_confirmation_speaks_dutch(directory):
    user = directory.add_user()
    _admin, agent, _page = admin_agent(directory)
    agent.get(f"{directory.issuer}/account/?lang=nl")

    asked = confirmation(press(agent, user_page(agent, directory, user.username), "disable"),
                         "disable")
    assert asked.title == f"{user.username} uitschakelen?"
