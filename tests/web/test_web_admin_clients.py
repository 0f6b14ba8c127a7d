"""The admin's Apps pages: register, show the secret once, edit, rotate, disable, enable."""

from __future__ import annotations

import json

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import select

from idp.security.tokens import hash_secret
from idp.storage import db
from idp.storage.models import Client, TokenFamily
from idp.tenants.clients import get_client
from idp.tenants.directories import get_directory
from tests.protocol._helpers import jose_header
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.support.live import TestClient as Registered
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.web.helpers import assert_error_page, assert_sane
from tests.web.test_web_admin_users import (
    admin_agent,
    audit_events,
    press,
    press_confirmed,
    stored_user,
)

REDIRECT = "https://rp.example.org/callback"


def stored_client(directory, client_id: str) -> Client:
    with directory.live.app.app_context():
        row = get_client(get_directory(directory.slug), client_id)
        assert row is not None
        db.session.expunge(row)
        return row


def register(agent, directory, **fields: str) -> Page:
    page = Page(agent.get(f"{directory.issuer}/admin/clients/new"))
    assert page.title == "Register an app"
    values = {"name": "Portal", "client_id": "", "redirect_uris": REDIRECT,
              "post_logout_redirect_uris": "https://rp.example.org/logged-out",
              "type": "confidential", "consent": "first_party", "min_acr": ""}
    values.update(fields)
    return Page(agent.submit(page, "Register the app", fields=values))


def shown_secret(page: Page) -> tuple[str, str | None]:
    secret = page.soup.find(id="client-secret")
    return (page.soup.find(id="client-id").get_text(strip=True),
            secret.get_text(strip=True) if secret else None)


def client_page(agent, directory, client_id: str) -> Page:
    page = Page(agent.get(f"{directory.issuer}/admin/clients/{client_id}"))
    assert page.status == 200, page.text[:300]
    return page


def introspects(directory, client_id: str, secret: str) -> int:
    """Return the status of an introspection authenticated with this secret (200 or 401)."""
    return requests.post(f"{directory.issuer}/introspect", data={"token": "nothing"},
                         auth=(client_id, secret), timeout=30).status_code


def test_a_non_admin_is_refused_the_apps_pages(directory):
    client = directory.add_client()
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    for path in ("/admin/clients", "/admin/clients/new", f"/admin/clients/{client.client_id}"):
        assert_error_page(agent.get(directory.issuer + path), 403, "access_denied")
    response = agent.http.post(f"{directory.issuer}/admin/clients/{client.client_id}",
                               data={"action": "disable"}, timeout=30)
    assert response.status_code in (400, 403)
    assert not stored_client(directory, client.client_id).disabled


def test_registering_a_confidential_app_shows_its_secret_once_and_the_secret_works(directory):
    directory.set_levels(20)  # the app asks for more than the directory
    admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = register(agent, directory, client_id="portal", min_acr="30")
    assert page.title == "App registered"
    assert page.response.headers["Cache-Control"] == "no-store"
    assert page.url.endswith("/admin/clients/new")  # the POST's own answer, no redirect
    client_id, secret = shown_secret(page)
    assert client_id == "portal" and secret and len(secret) >= 40
    row = stored_client(directory, "portal")
    assert row.secret_hash == hash_secret(secret) and secret not in str(row.__dict__)
    assert (row.name, row.redirect_uris, row.min_acr, row.public, row.first_party) == (
        "Portal", [REDIRECT], 30, False, True)
    assert row.post_logout_redirect_uris == ["https://rp.example.org/logged-out"]
    # Never shown again: not on the app's page, nor on the list.
    assert secret not in client_page(agent, directory, "portal").response.text
    listing = Page(agent.get(f"{directory.issuer}/admin/clients"))
    assert secret not in listing.response.text
    cells = [td.get_text(strip=True) for td in
             listing.soup.find("a", string="portal").find_parent("tr").find_all("td")]
    assert cells == ["portal", "Portal", "Confidential", "First-party: no consent asked", "30",
                     "Active"]
    event = audit_events(directory, "admin.client_created")[-1]
    assert event.client_id == "portal"
    assert event.detail["actor"] == stored_user(directory, admin.username).id
    # The secret authenticates the app, and a full login with it gets tokens.
    assert introspects(directory, "portal", secret) == 200
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, Registered("portal", secret, REDIRECT, ""))
    tokens = rp.exchange(rp.sign_in(user)["code"])
    assert tokens["claims"]["acr"] == "30"  # the app's minimum, above the directory's 20


def test_a_public_app_gets_no_secret_and_an_empty_client_id_is_made_up(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = register(agent, directory, type="public", consent="consent")
    client_id, secret = shown_secret(page)
    assert secret is None and client_id.startswith("app-")
    assert "This is a public app" in page.text
    row = stored_client(directory, client_id)
    assert row.public and row.secret_hash is None and not row.first_party


@pytest.mark.parametrize("fields,field,message", [
    ({"redirect_uris": ""}, "redirect_uris", "Enter at least one redirect URI."),
    ({"redirect_uris": "javascript:alert(1)"}, "redirect_uris", "is not a URI an app can use"),
    ({"redirect_uris": "http://evil.example/cb"}, "redirect_uris", "is not a URI an app can use"),
    ({"redirect_uris": "https://rp.example.org/cb#frag"}, "redirect_uris", "is not a URI"),
    ({"redirect_uris": "/relative"}, "redirect_uris", "is not a URI an app can use"),
    ({"redirect_uris": "https://rp.example.org/\x00"}, "redirect_uris", "is not a URI"),
    ({"redirect_uris": "https://rp.example.org/a b"}, "redirect_uris", "is not a URI"),
    ({"redirect_uris": "https://rp.example.org/" + "a" * 2100}, "redirect_uris", "is not a URI"),
    ({"redirect_uris": "\n".join(f"https://rp.example.org/{i}" for i in range(21))},
     "redirect_uris", "Enter at most 20 URIs."),
    ({"post_logout_redirect_uris": "ftp://x.example/"}, "post_logout_redirect_uris",
     "is not a URI"),
    ({"name": ""}, "name", "Enter the app's name"),
    ({"name": "n" * 201}, "name", "Enter the app's name"),
    ({"name": "a\x00b"}, "name", "Enter the app's name"),
    ({"client_id": "idp-mine"}, "client_id", "belong to the provider"),
    ({"client_id": "bad id!"}, "client_id", "A client id is 1 to 100 characters"),
    ({"client_id": "x" * 101}, "client_id", "A client id is 1 to 100 characters"),
    ({"client_id": "a\x00"}, "client_id", "A client id is 1 to 100 characters"),
    ({"min_acr": "-1"}, "min_acr", "The minimum level is a whole number from 0 to 1000"),
    ({"min_acr": "1001"}, "min_acr", "The minimum level is a whole number from 0 to 1000"),
    ({"min_acr": "1e3"}, "min_acr", "The minimum level is a whole number from 0 to 1000"),
    ({"min_acr": "\u0663"}, "min_acr", "The minimum level is a whole number from 0 to 1000"),
    ({"min_acr": "99999999999999999999"}, "min_acr", "The minimum level is a whole number"),
    ({"type": "weird"}, None, "Choose the kind of app"),
    ({"consent": ""}, None, "Choose the kind of app"),
])
def test_invalid_registrations_are_refused_with_the_field_marked(
        directory, fields, field, message):
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = register(agent, directory, client_id="refused", **fields) if "client_id" not in \
        fields else register(agent, directory, **fields)
    assert_sane(page.response)
    assert page.status == 400 and page.title == "Register an app"
    assert message in page.soup.find(id="form-error").get_text()
    if field:
        assert page.soup.find(id=field)["aria-invalid"] == "true"
    assert "<script>" not in page.response.text.replace("&lt;script&gt;", "")
    with directory.live.app.app_context():
        assert db.session.scalars(select(Client).where(
            Client.directory_id == get_directory(directory.slug).id,
            Client.client_id.not_in(["idp-account"]))).all() == []


def test_a_taken_client_id_is_refused(directory):
    directory.add_client("taken")
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = register(agent, directory, client_id="taken")
    assert page.status == 400
    assert "Another app of this directory already has this client id." in page.text


def test_an_admin_edits_an_app_and_the_change_is_audited(directory):
    client = directory.add_client()
    admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = client_page(agent, directory, client.client_id)
    assert page.soup.find(id="redirect_uris").get_text() == client.redirect_uri
    page = Page(press(agent, page, "save", {
        "name": "Renamed", "redirect_uris": f"{REDIRECT}\nhttps://rp.example.org/second\n",
        "consent": "consent", "min_acr": "50"}))
    assert "Saved." in page.text
    row = stored_client(directory, client.client_id)
    assert (row.name, row.redirect_uris, row.first_party, row.min_acr) == (
        "Renamed", [REDIRECT, "https://rp.example.org/second"], False, 50)
    event = audit_events(directory, "admin.client_updated")[-1]
    assert event.detail == {"actor": stored_user(directory, admin.username).id,
                            "fields": ["name", "redirect_uris", "first_party", "min_acr"]}
    assert introspects(directory, client.client_id, client.secret) == 200  # secret unchanged


def test_an_invalid_edit_changes_nothing(directory):
    client = directory.add_client()
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = Page(press(agent, client_page(agent, directory, client.client_id), "save",
                      {"redirect_uris": "http://evil.example/cb", "name": "Changed"}))
    assert page.status == 400 and page.soup.find(id="redirect_uris")["aria-invalid"] == "true"
    row = stored_client(directory, client.client_id)
    assert row.redirect_uris == [client.redirect_uri] and row.name != "Changed"


def introspected(directory, client: Registered, token: str) -> dict:
    return requests.post(f"{directory.issuer}/introspect", data={"token": token},
                         auth=(client.client_id, client.secret), timeout=30).json()


def test_an_admin_lets_a_resource_server_introspect_every_apps_tokens(directory):
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, directory.add_client())
    tokens = rp.exchange(rp.sign_in(user)["code"])
    api = directory.add_client("api")
    admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = client_page(agent, directory, "api")
    box = page.soup.find(id="introspect_all")
    assert box["type"] == "checkbox" and not box.has_attr("checked")
    assert page.field_name("May introspect the tokens of every app of this directory") == \
        "introspect_all"
    assert introspected(directory, api, tokens["access_token"]) == {"active": False}

    page = Page(press(agent, page, "save", {"introspect_all": "yes"}))
    assert "Saved." in page.text
    assert page.soup.find(id="introspect_all").has_attr("checked")
    assert stored_client(directory, "api").introspect_all
    assert audit_events(directory, "admin.client_updated")[-1].detail == {
        "actor": stored_user(directory, admin.username).id, "fields": ["introspect_all"]}
    info = introspected(directory, api, tokens["access_token"])
    assert info["active"] is True and info["client_id"] == rp.client.client_id

    press(agent, client_page(agent, directory, "api"), "save", {"introspect_all": ""})
    assert not stored_client(directory, "api").introspect_all
    assert introspected(directory, api, tokens["access_token"]) == {"active": False}


def test_an_admin_gives_an_app_jwt_access_tokens_and_takes_them_back(directory):
    user = directory.add_user(totp=True)
    app = directory.add_client("portal")
    rp = StrictRP(directory, app)
    admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = client_page(agent, directory, "portal")
    assert page.field_name("Signed JWTs that an API can check by itself") == \
        "jwt_access_tokens"
    assert not page.soup.find(id="jwt_access_tokens").has_attr("checked")

    page = Page(press(agent, page, "save", {"jwt_access_tokens": "yes"}))
    assert "Saved." in page.text
    assert page.soup.find(id="jwt_access_tokens").has_attr("checked")
    assert audit_events(directory, "admin.client_updated")[-1].detail == {
        "actor": stored_user(directory, admin.username).id, "fields": ["jwt_access_tokens"]}
    assert "JWT access tokens" in Page(agent.get(f"{directory.issuer}/admin/clients")).text
    token = rp.exchange(rp.sign_in(user)["code"])["access_token"]
    assert jose_header(token)["typ"] == "at+jwt"

    press(agent, client_page(agent, directory, "portal"), "save", {"jwt_access_tokens": ""})
    assert not stored_client(directory, "portal").jwt_access_tokens
    assert rp.exchange(rp.sign_in(user)["code"])["access_token"].count(".") == 0


def test_a_pairwise_app_needs_its_redirect_uris_on_one_host(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = register(agent, directory, client_id="mixed", pairwise_subject="yes",
                    redirect_uris=f"{REDIRECT}\nhttps://other.example.org/cb")
    assert_sane(page.response)
    assert page.status == 400
    assert "on one host" in page.soup.find(id="form-error").get_text()
    assert page.soup.find(id="pairwise_subject")["aria-invalid"] == "true"
    with directory.live.app.app_context():
        assert get_client(get_directory(directory.slug), "mixed") is None

    page = register(agent, directory, client_id="single", pairwise_subject="yes")
    assert stored_client(directory, "single").pairwise_subject
    listing = Page(agent.get(f"{directory.issuer}/admin/clients")).text
    assert "Pairwise subject identifiers" in listing


def test_a_public_app_cannot_be_allowed_to_introspect(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = register(agent, directory, client_id="spa", type="public", introspect_all="yes")
    assert_sane(page.response)
    assert page.status == 400
    assert "A public app cannot introspect tokens" in page.soup.find(id="form-error").get_text()
    assert page.soup.find(id="introspect_all")["aria-invalid"] == "true"
    assert page.soup.find(id="introspect_all").has_attr("checked")


def test_rotating_the_secret_shows_the_new_one_once_and_the_old_one_stops_after_the_grace(
        directory, provider_clock):
    client = directory.add_client()
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = Page(press_confirmed(agent, client_page(agent, directory, client.client_id),
                                "rotate"))
    assert page.title == "New secret"
    assert page.response.headers["Cache-Control"] == "no-store"
    _client_id, secret = shown_secret(page)
    assert secret and secret != client.secret
    assert introspects(directory, client.client_id, secret) == 200
    provider_clock(24 * 3600 + 60)  # the installation's grace period, 24 hours
    assert introspects(directory, client.client_id, client.secret) == 401
    assert audit_events(directory, "admin.client_secret_rotated")[-1].client_id == \
        client.client_id


def test_a_public_app_has_no_secret_to_rotate(directory):
    client = directory.add_client(public=True)
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = client_page(agent, directory, client.client_id)
    assert not page.soup.find("button", attrs={"value": "rotate"})
    csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    response = agent.http.post(page.url, data={"csrf_token": csrf, "action": "rotate"},
                               timeout=30)
    assert response.status_code == 400 and "A public app has no secret." in response.text
    assert stored_client(directory, client.client_id).secret_hash is None


def test_turning_a_public_app_confidential_shows_its_new_secret(directory):
    client = directory.add_client(public=True)
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = Page(press(agent, client_page(agent, directory, client.client_id), "save",
                      {"type": "confidential"}))
    assert page.title == "New secret"
    _client_id, secret = shown_secret(page)
    assert introspects(directory, client.client_id, secret) == 200
    # And back: a public app keeps no secret.
    press(agent, client_page(agent, directory, client.client_id), "save", {"type": "public"})
    assert stored_client(directory, client.client_id).secret_hash is None


def test_a_disabled_app_logs_nobody_in_and_its_tokens_are_revoked(directory):
    client = directory.add_client()
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, client)
    tokens = rp.exchange(rp.sign_in(user)["code"])
    _admin, agent, _page = admin_agent(directory, "/admin/clients")

    page = Page(press_confirmed(agent, client_page(agent, directory, client.client_id),
                                "disable"))
    assert "is disabled: it cannot log anyone in" in page.text
    assert "Disabled: it cannot log anyone in." in page.text
    response = rp.start()
    assert_error_page(response, 400)
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    refreshed = rp.token_request({"grant_type": "refresh_token",
                                  "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code in (400, 401)
    with directory.live.app.app_context():
        grants = list(db.session.scalars(select(TokenFamily).where(
            TokenFamily.client_pk == stored_client(directory, client.client_id).id)))
        assert grants and all(grant.revoked_at for grant in grants)
    assert introspects(directory, client.client_id, client.secret) == 401
    listing = Page(agent.get(f"{directory.issuer}/admin/clients"))
    row = listing.soup.find("a", string=client.client_id).find_parent("tr")
    assert row.find_all("td")[-1].get_text(strip=True) == "Disabled"
    assert audit_events(directory, "admin.client_disabled")[-1].client_id == client.client_id

    page = Page(press(agent, page, "enable"))
    assert "is enabled again." in page.text
    assert audit_events(directory, "admin.client_enabled")
    assert Page(StrictRP(directory, client).start()).title.startswith("Log in")


def test_the_built_in_account_app_is_shown_but_cannot_be_changed(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    listing = Page(agent.get(f"{directory.issuer}/admin/clients"))
    row = listing.soup.find("a", string="idp-account").find_parent("tr")
    assert row.find_all("td")[-1].get_text(strip=True) == "Built in"
    page = client_page(agent, directory, "idp-account")
    assert "It cannot be changed here." in page.text
    assert not page.soup.find("button", attrs={"name": "action"})
    csrf = Page(agent.get(f"{directory.issuer}/admin/clients/new")).soup.find(
        "input", attrs={"name": "csrf_token"})["value"]
    for action in ("disable", "rotate", "save"):
        response = agent.http.post(page.url, timeout=30, data={
            "csrf_token": csrf, "action": action, "name": "x", "redirect_uris": REDIRECT,
            "type": "confidential", "consent": "first_party"})
        assert_error_page(response, 403)
    assert not stored_client(directory, "idp-account").disabled


@pytest.mark.parametrize("client_id", ["nope", "%00", "a%00b", "x" * 150, "%3Cscript%3E",
                                       "idp-other", "%E2%80%AE"])
def test_an_app_that_is_not_there_is_not_found(directory, client_id):
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    response = agent.get(f"{directory.issuer}/admin/clients/{client_id}")
    assert_sane(response)
    assert response.status_code == 404


def test_an_app_of_another_directory_is_not_found(directory, live):
    other = new_directory(live)
    foreign = other.add_client("foreign-app")
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    assert_error_page(agent.get(f"{directory.issuer}/admin/clients/{foreign.client_id}"), 404)
    csrf = Page(agent.get(f"{directory.issuer}/admin/clients/new")).soup.find(
        "input", attrs={"name": "csrf_token"})["value"]
    response = agent.http.post(f"{directory.issuer}/admin/clients/{foreign.client_id}",
                               data={"csrf_token": csrf, "action": "disable"}, timeout=30)
    assert_error_page(response, 404)
    assert not stored_client(other, "foreign-app").disabled


def test_changes_without_the_csrf_token_are_refused(directory):
    client = directory.add_client()
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = client_page(agent, directory, client.client_id)
    assert_error_page(agent.http.post(page.url, data={"action": "disable"}, timeout=30), 400)
    assert_error_page(agent.http.post(f"{directory.issuer}/admin/clients/new", timeout=30,
                                      data={"name": "x", "redirect_uris": REDIRECT}), 400)
    assert not stored_client(directory, client.client_id).disabled


@pytest.mark.parametrize("action", ["", "delete", "x" * 300, "disable\x00"])
def test_an_unknown_app_action_is_refused(directory, action):
    client = directory.add_client()
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = client_page(agent, directory, client.client_id)
    csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    response = agent.http.post(page.url, data={"csrf_token": csrf, "action": action},
                               timeout=30)
    assert_error_page(response, 400)
    assert not stored_client(directory, client.client_id).disabled


def test_an_admin_registers_an_apps_keys_switches_and_back_channel_logout_uri(directory):
    key = RSAKey.generate_key(2048, auto_kid=True)
    _admin, agent, _page = admin_agent(directory, "/admin/clients")
    private = json.dumps({"keys": [key.as_dict(private=True)]})
    page = register(agent, directory, client_id="leaky", jwks=private, private_key_jwt="yes")
    assert page.status == 400
    assert "private key" in page.soup.find(id="form-error").get_text()
    assert page.soup.find(id="jwks")["aria-invalid"] == "true"

    page = register(agent, directory, client_id="keyless", private_key_jwt="yes")
    assert page.status == 400, "private_key_jwt without keys"

    public = json.dumps({"keys": [key.as_dict(private=False)]})
    page = register(agent, directory, client_id="twice-keyed", jwks=public,
                    jwks_uri="https://rp.example.org/jwks.json", private_key_jwt="yes")
    assert page.status == 400
    assert "not both" in page.soup.find(id="form-error").get_text()
    assert page.soup.find(id="jwks")["aria-invalid"] == "true"

    page = register(agent, directory, client_id="bad-logout-uri",
                    backchannel_logout_uri="http://rp.example.org/bye")
    assert page.status == 400
    assert page.soup.find(id="backchannel_logout_uri")["aria-invalid"] == "true"

    page = register(agent, directory, client_id="keyed", jwks=public, private_key_jwt="yes",
                    require_par="yes", require_dpop="yes",
                    backchannel_logout_uri=REDIRECT + "/bye")
    assert page.status == 200, page.text[:300]
    stored = stored_client(directory, "keyed")
    assert stored.private_key_jwt and stored.require_par and stored.require_dpop
    assert stored.backchannel_logout_uri == REDIRECT + "/bye"
    assert stored.jwks == {"keys": [key.as_dict(private=False)]}
    shown = client_page(agent, directory, "keyed")
    assert json.loads(shown.soup.find(id="jwks").get_text()) == stored.jwks

    rp = StrictRP(directory, Registered("keyed", None, REDIRECT,
                                        "https://rp.example.org/logged-out", key))
    assert rp.push(auth="private_key_jwt").status_code == 201
    refused = rp.response_params(rp.start())  # not pushed: refused to the app
    assert refused["error"] == "invalid_request"


def test_an_admin_lets_an_app_sign_in_devices_and_takes_it_back(directory):
    from tests.support.device import Device

    admin, agent, _page = admin_agent(directory, "/admin/clients")
    page = register(agent, directory, client_id="tv", type="public", redirect_uris="",
                    post_logout_redirect_uris="")
    assert page.status == 400, "no redirect URI without the device switch"
    assert page.soup.find(id="redirect_uris")["aria-invalid"] == "true"

    page = register(agent, directory, client_id="tv", type="public", redirect_uris="",
                    post_logout_redirect_uris="", device_grant="yes")
    assert page.status == 200, page.text[:300]
    stored = stored_client(directory, "tv")
    assert stored.device_grant and stored.redirect_uris == []
    assert audit_events(directory, "admin.client_created")[-1].detail["device_grant"] is True
    shown = client_page(agent, directory, "tv")
    assert shown.field_name("May sign in on TVs and command-line tools with a code (device "
                            "authorization)") == "device_grant"
    assert shown.soup.find(id="device_grant").has_attr("checked")
    assert "Signs in devices with a code" in Page(
        agent.get(f"{directory.issuer}/admin/clients")).text
    device = Device(directory, Registered("tv", None, REDIRECT, ""))
    assert device.ask()["user_code"]

    page = Page(press(agent, shown, "save", {"device_grant": "", "redirect_uris": REDIRECT}))
    assert "Saved." in page.text
    assert not stored_client(directory, "tv").device_grant
    assert audit_events(directory, "admin.client_updated")[-1].detail == {
        "actor": stored_user(directory, admin.username).id,
        "fields": ["redirect_uris", "device_grant"]}
    assert device.ask_raw().json()["error"] == "unauthorized_client"
    assert device.poll_error() == "unauthorized_client"
