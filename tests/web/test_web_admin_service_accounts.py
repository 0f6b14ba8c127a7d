"""Service accounts on the admin's Apps pages: marking an app as one, granting and taking back
admin scopes, and the audit log naming a service account as the actor of a change."""

from __future__ import annotations

import requests

from tests.support.agent import Page
from tests.web.admin_api import service_api
from tests.web.test_web_admin_clients import client_page, register, shown_secret, stored_client
from tests.web.test_web_admin_users import admin_agent, audit_events, press


def token_response(directory, client_id: str, secret: str) -> requests.Response:
    return requests.post(f"{directory.issuer}/token", data={"grant_type": "client_credentials"},
                         auth=(client_id, secret), timeout=30)


def test_an_admin_registers_a_service_account_with_admin_scopes(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = register(agent, directory, client_id="sync", redirect_uris="",
                    post_logout_redirect_uris="", service_account="yes",
                    service_scopes=["admin:users", "admin:audit"])
    assert page.title == "App registered", page.text[:500]
    _client_id, secret = shown_secret(page)
    row = stored_client(directory, "sync")
    assert row.service_account and row.service_scopes == "admin:users admin:audit"
    assert row.redirect_uris == []
    (event,) = audit_events(directory, "admin.client_created")
    assert event.detail["service_scopes"] == "admin:users admin:audit"
    assert token_response(directory, "sync", secret).json()["scope"] == "admin:users admin:audit"
    listing = Page(agent.get(f"{directory.issuer}/admin/clients"))
    assert "Service account: admin:users admin:audit" in listing.text


def test_a_public_app_cannot_be_a_service_account(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = register(agent, directory, client_id="spa", type="public", service_account="yes",
                    service_scopes=["admin:users"])
    assert page.status == 400
    assert "cannot be a service account" in page.soup.find(id="form-error").get_text()
    assert page.soup.find(id="service_account").get("aria-invalid") == "true"


def test_an_app_that_is_not_a_service_account_still_needs_a_redirect_uri(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = register(agent, directory, client_id="web", redirect_uris="")
    assert page.status == 400
    assert "redirect URI" in page.soup.find(id="form-error").get_text()


def test_taking_the_scopes_back_on_the_apps_page_stops_the_tokens(directory):
    api = service_api(directory, scopes="admin:users")
    assert api.get("/users").status_code == 200
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = client_page(agent, directory, api.client.client_id)
    assert page.soup.find(id="service_account").has_attr("checked")
    response = press(agent, page, "save", {"service_account": "", "service_scopes": []})
    assert response.status_code in (200, 302, 303), response.text[:300]
    row = stored_client(directory, api.client.client_id)
    assert not row.service_account and row.service_scopes == ""
    assert api.get("/users").status_code == 401
    refused = token_response(directory, api.client.client_id, api.client.secret)
    assert refused.json()["error"] == "unauthorized_client"


def test_the_audit_page_names_the_service_account_that_made_a_change(directory):
    api = service_api(directory, scopes="admin:users")
    user = directory.add_user()
    found = api.get("/users", params={"q": user.username}).json()["users"][0]
    api.post(f"/users/{found['id']}/disable")
    _admin, agent, _page = admin_agent(directory, "/admin/audit")
    page = Page(agent.get(f"{directory.issuer}/admin/audit?event=admin.user_disabled"))
    assert "By service account" in page.text
    assert api.client.client_id in page.text
