"""The admin API's apps, called by service accounts over HTTP: every answer checked against
idp/web/api/admin.openapi.yaml (tests/web/admin_api.py)."""

from __future__ import annotations

import pytest
import requests
from joserfc.jwk import ECKey

from tests.support.live import new_directory
from tests.web.admin_api import AdminApi, assert_api_error, service_api, token_of
from tests.web.test_web_admin_users import audit_events

REDIRECT = "https://rp.example.org/callback"


@pytest.fixture
def api(directory) -> AdminApi:
    return service_api(directory, scopes="admin:apps admin:users")


def register(api: AdminApi, **fields) -> dict:
    body = {"name": "Portal", "redirect_uris": [REDIRECT], **fields}
    response = api.post("/apps", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def client_credentials(directory, client_id: str, secret: str) -> requests.Response:
    return requests.post(f"{directory.issuer}/token", data={"grant_type": "client_credentials"},
                         auth=(client_id, secret), timeout=30)


def test_an_app_is_registered_with_its_secret_once_and_audited(directory, api):
    body = register(api, client_id="pa-portal", post_logout_redirect_uris=[REDIRECT + "/out"])
    app = body["app"]
    assert app["client_id"] == "pa-portal" and app["public"] is False
    assert app["redirect_uris"] == [REDIRECT]
    assert body["client_secret"]
    assert api.get("/apps/pa-portal").json()["client_secret"] is None
    (event,) = audit_events(directory, "admin.client_created")
    assert event.client_id == "pa-portal"
    assert event.detail["actor_client"] == api.client.client_id


def test_a_client_id_is_generated_when_left_out(api):
    assert register(api)["app"]["client_id"].startswith("app-")


def test_a_public_app_has_no_secret(api):
    body = register(api, public=True)
    assert body["client_secret"] is None and body["app"]["public"] is True


def test_apps_are_listed_a_page_at_a_time(directory, api):
    account_client(directory)
    for name in ("pa-a", "pa-b"):
        register(api, client_id=name)
    first = api.get("/apps", params={"limit": "1"}).json()
    seen = [app["client_id"] for app in first["apps"]]
    after = first["next_after"]
    while after:
        page = api.get("/apps", params={"limit": "1", "after": after}).json()
        seen += [app["client_id"] for app in page["apps"]]
        after = page["next_after"]
    assert seen == sorted(seen)
    assert {"pa-a", "pa-b", "idp-account", api.client.client_id} <= set(seen)


@pytest.mark.parametrize("params", [{"limit": "0"}, {"after": "bad key!"}, {"after": "x" * 101}])
def test_bad_app_paging_is_a_400(api, params):
    assert_api_error(api.get("/apps", params=params), 400, "invalid_request")


@pytest.mark.parametrize("fields", [
    {"redirect_uris": ["http://example.org/cb"]},
    {"redirect_uris": []},
    {"redirect_uris": "https://rp.example.org/cb"},
    {"redirect_uris": [REDIRECT + "#frag"]},
    {"redirect_uris": [REDIRECT] * 21},
    {"redirect_uris": [5]},
    {"redirect_uris": ["https://rp.example.org/a\nhttps://rp.example.org/b"]},
    {"name": ""},
    {"name": 7},
    {"client_id": "idp-mine"},
    {"client_id": "has space"},
    {"min_acr": 2000},
    {"min_acr": "10"},
    {"public": True, "introspect_all": True},
    {"public": True, "service_account": True},
    {"service_account": True, "service_scopes": ["admin:everything"]},
    {"secret": "mine"},
])
def test_bad_app_fields_are_a_400(api, fields):
    body = {"name": "Portal", "redirect_uris": [REDIRECT], **fields}
    assert_api_error(api.post("/apps", json=body), 400, "invalid_request")


def test_a_taken_client_id_is_a_400(api):
    register(api, client_id="pa-taken")
    assert_api_error(api.post("/apps", json={"name": "X", "redirect_uris": [REDIRECT],
                                             "client_id": "pa-taken"}), 400, "invalid_request")


def test_a_service_account_registered_here_can_get_tokens(directory, api):
    body = register(api, redirect_uris=[], service_account=True, service_scopes=["admin:users"])
    app = body["app"]
    assert app["service_account"] is True and app["service_scopes"] == ["admin:users"]
    response = client_credentials(directory, app["client_id"], body["client_secret"])
    assert response.json()["scope"] == "admin:users"


def test_a_service_account_cannot_grant_scopes_it_does_not_hold(api):
    response = api.post("/apps", json={"name": "X", "service_account": True,
                                       "service_scopes": ["admin:settings"]})
    assert_api_error(response, 403, "access_denied")
    own = api.client.client_id
    response = api.patch(f"/apps/{own}", json={"service_scopes": ["admin:apps", "admin:audit"]})
    assert_api_error(response, 403, "access_denied")


def test_an_app_is_changed_and_fields_left_out_stay(directory, api):
    register(api, client_id="pa-edit", min_acr=40)
    body = api.patch("/apps/pa-edit", json={"name": "Renamed", "first_party": False}).json()
    assert body["app"]["name"] == "Renamed" and body["app"]["first_party"] is False
    assert body["app"]["min_acr"] == 40 and body["client_secret"] is None
    (event,) = audit_events(directory, "admin.client_updated")
    assert set(event.detail["fields"]) == {"name", "first_party"}
    assert event.detail["actor_client"] == api.client.client_id


def test_an_app_gets_jwt_access_tokens_when_asked_and_keeps_them_when_left_out(directory, api):
    assert register(api, client_id="pa-plain")["app"]["jwt_access_tokens"] is False
    assert register(api, client_id="pa-jwt", jwt_access_tokens=True)["app"][
        "jwt_access_tokens"] is True
    (created,) = [event for event in audit_events(directory, "admin.client_created")
                  if event.client_id == "pa-jwt"]
    assert created.detail["jwt_access_tokens"] is True
    body = api.patch("/apps/pa-jwt", json={"name": "Renamed"}).json()
    assert body["app"]["jwt_access_tokens"] is True
    body = api.patch("/apps/pa-jwt", json={"jwt_access_tokens": False}).json()
    assert body["app"]["jwt_access_tokens"] is False
    assert_api_error(api.patch("/apps/pa-jwt", json={"jwt_access_tokens": "yes"}), 400,
                     "invalid_request")


def test_an_app_may_sign_in_devices_when_asked_and_then_needs_no_redirect_uri(directory, api):
    assert register(api, client_id="pa-web")["app"]["device_grant"] is False
    assert_api_error(api.post("/apps", json={"name": "TV", "client_id": "pa-tv",
                                             "redirect_uris": [], "public": True}),
                     400, "invalid_request")
    app = register(api, client_id="pa-tv", redirect_uris=[], public=True,
                   device_grant=True)["app"]
    assert app["device_grant"] is True and app["redirect_uris"] == []
    (created,) = [event for event in audit_events(directory, "admin.client_created")
                  if event.client_id == "pa-tv"]
    assert created.detail["device_grant"] is True
    answer = requests.post(f"{directory.issuer}/device_authorization",
                           data={"client_id": "pa-tv", "scope": "openid"}, timeout=30)
    assert answer.status_code == 200 and answer.json()["user_code"]
    assert api.patch("/apps/pa-tv", json={"name": "TV"}).json()["app"]["device_grant"] is True
    assert_api_error(api.patch("/apps/pa-tv", json={"device_grant": False}), 400,
                     "invalid_request")  # it would have no redirect URI left
    body = api.patch("/apps/pa-tv", json={"device_grant": False,
                                          "redirect_uris": [REDIRECT]}).json()
    assert body["app"]["device_grant"] is False
    refused = requests.post(f"{directory.issuer}/device_authorization",
                            data={"client_id": "pa-tv"}, timeout=30)
    assert refused.json()["error"] == "unauthorized_client"
    assert_api_error(api.patch("/apps/pa-tv", json={"device_grant": "yes"}), 400,
                     "invalid_request")


def test_a_pairwise_app_keeps_its_redirect_uris_on_one_host(api):
    app = register(api, client_id="pa-pairwise", pairwise_subject=True)["app"]
    assert app["pairwise_subject"] is True
    response = api.patch("/apps/pa-pairwise",
                         json={"redirect_uris": ["https://elsewhere.example.org/cb"]})
    assert_api_error(response, 400, "invalid_request")
    assert api.patch("/apps/pa-pairwise", json={"name": "Renamed"}).status_code == 200
    assert_api_error(api.post("/apps", json={
        "name": "Mixed", "pairwise_subject": True,
        "redirect_uris": [REDIRECT, "https://other.example.org/cb"]}), 400, "invalid_request")


def test_a_public_app_made_confidential_gets_a_secret(api):
    register(api, client_id="pa-pub", public=True)
    assert api.patch("/apps/pa-pub", json={"public": False}).json()["client_secret"]


def test_rotating_the_secret_stops_the_old_one_after_the_grace(directory, api, provider_clock):
    old = register(api, client_id="pa-rot", service_account=True,
                   service_scopes=["admin:users"])["client_secret"]
    new = api.post("/apps/pa-rot/secret").json()["client_secret"]
    assert new and new != old
    assert client_credentials(directory, "pa-rot", old).status_code == 200  # the grace
    assert client_credentials(directory, "pa-rot", new).status_code == 200
    (event,) = audit_events(directory, "admin.client_secret_rotated")
    assert event.detail == {"actor_client": api.client.client_id, "grace_seconds": 86400}
    provider_clock(86400 + 60)
    assert client_credentials(directory, "pa-rot", old).status_code == 401
    assert client_credentials(directory, "pa-rot", new).status_code == 200


def test_a_public_app_has_no_secret_to_rotate(api):
    register(api, client_id="pa-nosecret", public=True)
    assert_api_error(api.post("/apps/pa-nosecret/secret"), 400, "invalid_request")


def test_disabling_an_app_revokes_its_tokens_and_enabling_restores_it(directory, api):
    body = register(api, client_id="pa-off", service_account=True,
                    service_scopes=["admin:users"])
    token = token_of(directory, _client("pa-off", body["client_secret"]))
    assert AdminApi(directory, token).get("/users").status_code == 200
    assert api.post("/apps/pa-off/disable").json()["app"]["disabled"] is True
    assert_api_error(AdminApi(directory, token).get("/users"), 401, "invalid_token")
    assert client_credentials(directory, "pa-off", body["client_secret"]).status_code == 401
    assert api.post("/apps/pa-off/enable").json()["app"]["disabled"] is False
    # The old token stays revoked; a new one works.
    assert_api_error(AdminApi(directory, token).get("/users"), 401, "invalid_token")
    assert client_credentials(directory, "pa-off", body["client_secret"]).status_code == 200


@pytest.mark.parametrize("action", ["disable", "secret", "enable"])
def test_the_providers_own_app_cannot_be_changed(directory, api, action):
    account_client(directory)
    assert_api_error(api.post(f"/apps/idp-account/{action}"), 403, "access_denied")


def test_the_providers_own_app_cannot_be_edited(directory, api):
    account_client(directory)
    assert_api_error(api.patch("/apps/idp-account", json={"name": "Mine"}), 403,
                     "access_denied")


@pytest.mark.parametrize("client_id", ["nope", "x" * 101, "bad id"])
def test_an_unknown_app_is_a_404(api, client_id):
    assert_api_error(api.get(f"/apps/{client_id}"), 404, "not_found")


def test_an_app_of_another_directory_is_not_found(live, api):
    other = new_directory(live)
    stranger = other.add_client()
    assert_api_error(api.get(f"/apps/{stranger.client_id}"), 404, "not_found")
    assert_api_error(api.post(f"/apps/{stranger.client_id}/disable"), 404, "not_found")


def test_apps_need_the_apps_scope(directory):
    api = service_api(directory, scopes="admin:users")
    assert_api_error(api.get("/apps"), 403, "insufficient_scope")
    assert_api_error(api.post("/apps", json={"name": "X"}), 403, "insufficient_scope")


def _client(client_id: str, secret: str):
    from tests.support.live import TestClient

    return TestClient(client_id, secret, REDIRECT, REDIRECT)


def account_client(directory) -> None:
    """Make the directory's built-in account app (made when the account pages are first used)."""
    from idp.clock import now
    from idp.services import services
    from idp.storage import db
    from idp.tenants.account_client import ensure_account_client
    from idp.tenants.directories import get_directory

    with directory.live.app.app_context():
        ensure_account_client(get_directory(directory.slug), services().base_url, now())
        db.session.commit()


def test_an_apps_keys_and_switches_are_set_and_checked(api):
    key = ECKey.generate_key("P-256", auto_kid=True)
    jwks = {"keys": [key.as_dict(private=False)]}
    app = register(api, client_id="pa-keyed", jwks=jwks, private_key_jwt=True,
                   require_par=True, require_dpop=True,
                   backchannel_logout_uri=REDIRECT + "/bye")["app"]
    assert app["require_dpop"] is True
    assert app["backchannel_logout_uri"] == REDIRECT + "/bye"
    assert_api_error(api.patch("/apps/pa-keyed", json={
        "backchannel_logout_uri": "http://rp.example.org/bye"}), 400, "invalid_request")
    assert (app["jwks"], app["jwks_uri"], app["private_key_jwt"], app["require_par"]) == \
        (jwks, None, True, True)
    assert_api_error(api.post("/apps", json={
        "name": "Leaky", "redirect_uris": [REDIRECT],
        "jwks": {"keys": [key.as_dict(private=True)]}}), 400, "invalid_request")
    assert_api_error(api.post("/apps", json={
        "name": "Keyless", "redirect_uris": [REDIRECT], "private_key_jwt": True}),
        400, "invalid_request")
    assert_api_error(api.patch("/apps/pa-keyed", json={
        "jwks_uri": "https://rp.example.org/jwks.json"}), 400, "invalid_request")
    changed = api.patch("/apps/pa-keyed", json={
        "jwks": None, "jwks_uri": "https://rp.example.org/jwks.json"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["app"]["jwks_uri"] == "https://rp.example.org/jwks.json"
    assert changed.json()["app"]["jwks"] is None
