"""The admin API's users and audit log, called by service accounts over HTTP: every answer
checked against idp/web/api/admin.openapi.yaml (tests/web/admin_api.py)."""

from __future__ import annotations

import json

import pytest
import requests

from tests.protocol._helpers import signed_in
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.web.admin_api import (
    AdminApi,
    assert_api_error,
    check_response,
    service_api,
    token_of,
)
from tests.web.test_web_admin_users import audit_events, invitation_link, stored_user


@pytest.fixture
def api(directory) -> AdminApi:
    return service_api(directory)


def user_id(directory, username: str) -> int:
    return stored_user(directory, username).id


# --- who may call ----------------------------------------------------------------------------

def test_a_request_without_a_token_is_challenged(directory):
    response = AdminApi(directory, None).get("/users")
    assert_api_error(response, 401, "invalid_request")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer " + "x" * 300, "Basic abc",
                                    "Bearer"])
def test_a_bad_authorization_header_is_refused(directory, header):
    response = AdminApi(directory, None).get("/users", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_users_token_from_a_login_is_not_a_service_token(directory, user_with_login):
    rp, tokens = user_with_login
    response = AdminApi(directory, tokens["access_token"]).get("/users")
    assert_api_error(response, 401, "invalid_token")


def test_a_token_without_the_scope_is_refused_with_insufficient_scope(directory):
    api = service_api(directory, scopes="admin:audit")
    response = api.get("/users")
    assert_api_error(response, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert 'scope="admin:users"' in response.headers["WWW-Authenticate"]
    assert api.get("/audit").status_code == 200


def test_a_token_that_asked_for_less_cannot_do_more(directory):
    api = service_api(directory, ask="admin:audit")
    assert_api_error(api.get("/users"), 403, "insufficient_scope")


def test_a_token_of_directory_a_is_refused_by_directory_b(live, directory, api):
    other = new_directory(live)
    response = AdminApi(other, api.token).get("/users")
    assert_api_error(response, 401, "invalid_token")
    assert api.get("/users").status_code == 200


def test_taking_the_scope_back_or_disabling_the_app_takes_effect_at_once(directory, api):
    from idp.storage import db
    from idp.tenants.clients import get_client, set_client_disabled, update_client
    from idp.tenants.directories import get_directory

    with directory.live.app.app_context():
        row = get_client(get_directory(directory.slug), api.client.client_id)
        update_client(row, name=row.name, redirect_uris=row.redirect_uris,
                      post_logout_redirect_uris=[], public=False, first_party=True,
                      min_acr=None, service_scopes="admin:audit")
        db.session.commit()
    assert_api_error(api.get("/users"), 403, "insufficient_scope")
    with directory.live.app.app_context():
        row = get_client(get_directory(directory.slug), api.client.client_id)
        set_client_disabled(row, True, row.created_at + 1)
        db.session.commit()
    assert_api_error(api.get("/audit"), 401, "invalid_token")


# --- listing and finding users ---------------------------------------------------------------

def test_users_are_listed_a_page_at_a_time_in_username_order(directory, api):
    for name in ("pa-alice", "pa-bob", "pa-carol"):
        directory.add_user(name)
    first = api.get("/users", params={"q": "pa-", "limit": "2"}).json()
    assert [u["username"] for u in first["users"]] == ["pa-alice", "pa-bob"]
    assert first["next_after"] and first["previous_before"] is None
    second = api.get("/users", params={"q": "pa-", "limit": "2",
                                       "after": first["next_after"]}).json()
    assert [u["username"] for u in second["users"]] == ["pa-carol"]
    assert second["next_after"] is None
    back = api.get("/users", params={"q": "pa-", "limit": "2",
                                     "before": second["previous_before"]}).json()
    assert [u["username"] for u in back["users"]] == ["pa-alice", "pa-bob"]


def test_a_listed_user_shows_their_methods_and_never_a_password(directory, api):
    directory.add_user("pa-dave", totp=True)
    (found,) = api.get("/users", params={"q": "pa-dave"}).json()["users"]
    assert found["methods"] == ["password", "totp"]
    assert found["has_password"] is True
    assert not any("hash" in key or key == "password" for key in found)


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"},
                                    {"limit": "-1"}, {"limit": "1" * 50}, {"after": "a\x01"},
                                    {"before": "x" * 300}, {"q": "q" * 101}])
def test_bad_paging_or_search_is_a_400(api, params):
    assert_api_error(api.get("/users", params=params), 400, "invalid_request")


def test_one_user_is_shown_with_items_and_sessions(directory, api):
    user = directory.add_user(totp=True)
    body = api.get(f"/users/{user_id(directory, user.username)}").json()
    assert body["username"] == user.username and body["subject"] == user.subject
    assert {item["method"] for item in body["items"]} >= {"password", "totp"}
    assert body["live_sessions"] == 0


@pytest.mark.parametrize("wrong", ["0", "999999999", "abc", "1" * 30, "-1", "%00"])
def test_an_unknown_user_is_a_404(api, wrong):
    assert_api_error(api.get(f"/users/{wrong}"), 404, "not_found")


def test_a_user_of_another_directory_is_not_found(live, api):
    other = new_directory(live)
    stranger = other.add_user()
    assert_api_error(api.get(f"/users/{user_id(other, stranger.username)}"), 404, "not_found")


# --- creating and inviting -------------------------------------------------------------------

def test_a_created_user_is_invited_and_the_service_account_is_the_actor(directory, api, mail):
    response = api.post("/users", json={"username": "pa-erin", "email": "erin@example.org",
                                        "name": "Erin"})
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "pa-erin" and body["user"]["has_password"] is False
    assert body["invitation"] == {"sent": True, "email": "erin@example.org"}
    assert "/invitation/" in invitation_link(mail, "erin@example.org")
    (created,) = audit_events(directory, "admin.user_created")
    assert created.detail["actor_client"] == api.client.client_id
    assert "actor" not in created.detail
    (sent,) = audit_events(directory, "admin.invitation_sent")
    assert sent.detail["actor_client"] == api.client.client_id


def test_an_invitation_can_be_sent_later(directory, api, mail):
    body = api.post("/users", json={"username": "pa-fay", "email": "fay@example.org",
                                    "invite": False}).json()
    assert body["invitation"] == {"sent": False}
    response = api.post(f"/users/{body['user']['id']}/invitation")
    assert response.status_code == 200
    assert invitation_link(mail, "fay@example.org")


def test_a_user_with_a_password_is_not_invited(directory, api):
    user = directory.add_user()
    response = api.post(f"/users/{user_id(directory, user.username)}/invitation")
    assert_api_error(response, 409, "invitation_refused")


def test_a_taken_username_is_refused(directory, api):
    user = directory.add_user()
    response = api.post("/users", json={"username": user.username, "email": "x@example.org"})
    assert "username" in assert_api_error(response, 400, "invalid_request")["error_description"]


@pytest.mark.parametrize("body", [
    {"username": "ok-name"},
    {"username": "bad name!", "email": "a@example.org"},
    {"username": "ok-name", "email": "not an address"},
    {"username": 5, "email": "a@example.org"},
    {"username": "ok-name", "email": "a@example.org", "admin": "yes"},
    {"username": "ok-name", "email": "a@example.org", "invite": 1},
    {"username": "ok-name", "email": "a@example.org", "password": "secret"},
    {"username": "u" * 151, "email": "a@example.org"},
    {"username": "ok-name", "email": "a@example.org", "phone": "12"},
])
def test_bad_fields_are_a_400(api, body):
    assert_api_error(api.post("/users", json=body), 400, "invalid_request")


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"\"text\"", b"null", b"\xff\xfe",
                                 b"[" * 5000 + b"]" * 5000, b'{"username": NaN}'])
def test_a_body_that_is_not_a_json_object_is_a_400(api, raw):
    response = api.post("/users", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 413), response.text
    assert_api_error(response, response.status_code, "invalid_request")


def test_a_body_that_is_not_json_is_a_415(api):
    response = api.post("/users", data={"username": "x"})
    assert_api_error(response, 415, "invalid_request")


def test_an_oversized_body_is_a_413(api):
    body = json.dumps({"username": "x", "name": "n" * 20_000}).encode()
    response = api.post("/users", data=body, headers={"Content-Type": "application/json"})
    assert_api_error(response, 413, "invalid_request")


# --- changing users --------------------------------------------------------------------------

def test_a_user_is_changed_and_the_change_audited(directory, api):
    user = directory.add_user()
    uid = user_id(directory, user.username)
    body = api.patch(f"/users/{uid}", json={"name": "New Name"}).json()
    assert body["name"] == "New Name" and body["email"] == user.email
    (event,) = audit_events(directory, "admin.user_updated")
    assert event.detail == {"actor_client": api.client.client_id, "fields": ["name"]}


@pytest.mark.parametrize("body", [{"email": "nope"}, {"name": 3}, {"username": "renamed"},
                                  {"phone": "+1"}, {"name": "\x00"}])
def test_a_bad_change_is_a_400(directory, api, body):
    user = directory.add_user()
    response = api.patch(f"/users/{user_id(directory, user.username)}", json=body)
    assert_api_error(response, 400, "invalid_request")


def test_disable_ends_the_users_tokens_and_enable_lets_them_in_again(directory, api,
                                                                     user_with_login):
    rp, tokens = user_with_login
    uid = user_id(directory, rp.user.username)
    assert api.post(f"/users/{uid}/disable").json()["disabled"] is True
    assert introspect(rp, tokens["access_token"]) == {"active": False}
    assert api.post(f"/users/{uid}/enable").json()["disabled"] is False
    (disabled,) = audit_events(directory, "admin.user_disabled")
    (enabled,) = audit_events(directory, "admin.user_enabled")
    assert disabled.detail == {"actor_client": api.client.client_id, "devices": 0}
    assert enabled.detail == {"actor_client": api.client.client_id}


def test_ending_sessions_revokes_the_apps_tokens(directory, api, user_with_login):
    rp, tokens = user_with_login
    uid = user_id(directory, rp.user.username)
    assert api.post(f"/users/{uid}/sessions/end").json() == {"sessions_ended": 1}
    assert introspect(rp, tokens["access_token"]) == {"active": False}
    (event,) = audit_events(directory, "admin.sessions_ended")
    assert event.detail == {"actor_client": api.client.client_id, "sessions": 1,
                            "devices": 0}


def test_removing_a_method_says_what_it_means_for_the_level(directory, api):
    user = directory.add_user(totp=True)
    uid = user_id(directory, user.username)
    items = api.get(f"/users/{uid}").json()["items"]
    (totp,) = [item for item in items if item["method"] == "totp"]
    body = api.delete(f"/users/{uid}/items/{totp['key']}").json()
    assert body["removed"]["key"] == totp["key"]
    assert body["reaches_level"] is False and body["required_level"] == 30
    assert body["can_enrol_at_login"] is True
    assert "totp" not in api.get(f"/users/{uid}").json()["methods"]
    (event,) = audit_events(directory, "admin.method_removed")
    assert event.detail == {"actor_client": api.client.client_id, "method": "totp"}


@pytest.mark.parametrize("key", ["password", "totp:999999", "x" * 41, "nothing"])
def test_removing_what_is_not_there_or_cannot_go_is_a_404(directory, api, key):
    user = directory.add_user()
    response = api.delete(f"/users/{user_id(directory, user.username)}/items/{key}")
    assert_api_error(response, 404, "not_found")


# --- the audit log ---------------------------------------------------------------------------

def test_the_audit_log_is_read_newest_first_a_page_at_a_time(directory, api):
    for name in ("pa-g1", "pa-g2", "pa-g3"):
        api.post("/users", json={"username": name, "email": f"{name}@example.org",
                                 "invite": False})
    first = api.get("/audit", params={"event": "admin.user_created", "limit": "2"}).json()
    assert [e["detail"]["actor_client"] for e in first["events"]] == [api.client.client_id] * 2
    assert first["older_before"] is not None and first["newer_after"] is None
    second = api.get("/audit", params={"event": "admin.user_created", "limit": "2",
                                       "before": str(first["older_before"])}).json()
    assert len(second["events"]) == 1 and second["older_before"] is None
    ids = [e["id"] for e in first["events"] + second["events"]]
    assert ids == sorted(ids, reverse=True)


def test_the_audit_log_is_filtered_by_user(directory, api):
    user = directory.add_user()
    api.post(f"/users/{user_id(directory, user.username)}/disable")
    events = api.get("/audit", params={"user": user.username}).json()["events"]
    assert [e["event"] for e in events] == ["admin.user_disabled"]


@pytest.mark.parametrize("params", [{"from": "yesterday"}, {"before": "abc"},
                                    {"before": "1", "after": "2"}, {"event": "no such"},
                                    {"ip": "999.1.1.1"}, {"limit": "0"}, {"before": "12345678"},
                                    {"from": "2026-02-03", "to": "2026-02-01"}])
def test_bad_audit_filters_are_a_400(api, params):
    assert_api_error(api.get("/audit", params=params), 400, "invalid_request")


def test_an_unknown_user_in_the_audit_filter_is_a_404(api):
    assert_api_error(api.get("/audit", params={"user": "nobody-here"}), 404, "not_found")


def test_the_openapi_description_is_served(directory):
    response = requests.get(f"{directory.issuer}/api/admin/v1/openapi.yaml", timeout=30)
    assert response.status_code == 200
    assert response.text.startswith("# A directory's admin REST API")


# --- helpers ---------------------------------------------------------------------------------

@pytest.fixture
def user_with_login(directory):
    """A user signed in to an app, with its tokens (the app may introspect them)."""
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, directory.add_client())
    rp.user = user
    return rp, signed_in(rp, user)


def introspect(rp: StrictRP, token: str) -> dict:
    return requests.post(f"{rp.directory.issuer}/introspect", data={"token": token},
                         auth=(rp.client.client_id, rp.client.secret), timeout=30).json()


def test_the_token_helper_asks_for_what_it_is_told(directory):
    client = directory.add_client(service_scopes="admin:users admin:audit")
    token = token_of(directory, client, "admin:users")
    assert_api_error(AdminApi(directory, token).get("/audit"), 403, "insufficient_scope")


def test_the_openapi_check_catches_an_answer_that_breaks_the_description(api):
    response = api.get("/users")
    response._content = b'{"users": 5}'
    with pytest.raises(Exception, match="(?i)invalid|valid"):
        check_response(response)
    response._content = b'{"users": [], "next_after": null, "previous_before": null}'
    check_response(response)
