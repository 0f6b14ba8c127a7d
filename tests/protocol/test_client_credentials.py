"""The client_credentials grant (RFC 6749 4.4) for service accounts, and their tokens at
introspection (RFC 7662), revocation (RFC 7009) and userinfo."""

from __future__ import annotations

import pytest
import requests

from tests.protocol.test_introspection import introspect
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.web.test_web_admin_settings import audit_events


def token_request(directory, client_id: str, secret: str | None, **data: str):
    return requests.post(f"{directory.issuer}/token",
                         data={"grant_type": "client_credentials", **data},
                         auth=(client_id, secret or ""), timeout=30)


@pytest.fixture
def service(directory):
    """A service account granted admin:users and admin:audit."""
    return directory.add_client(service_scopes="admin:users admin:audit")


def test_a_service_account_gets_a_token_with_its_granted_scopes_and_nothing_else(directory,
                                                                               service):
    response = token_request(directory, service.client_id, service.secret)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    assert set(body["scope"].split()) == {"admin:users", "admin:audit"}
    assert body["expires_in"] > 0
    assert "refresh_token" not in body
    assert "id_token" not in body
    assert response.headers["Cache-Control"] == "no-store"


def test_issuing_a_service_token_is_audited_with_the_client_and_its_scopes(directory, service):
    assert token_request(directory, service.client_id, service.secret,
                         scope="admin:audit").status_code == 200
    assert token_request(directory, service.client_id, service.secret).status_code == 200
    # A refused request issues nothing, and records no issuance.
    assert token_request(directory, service.client_id, "wrong").status_code == 401
    assert token_request(directory, service.client_id, service.secret,
                         scope="admin:apps").status_code == 400

    events = sorted(audit_events(directory, "tokens.service_issued"), key=lambda e: e.id)
    assert [(e.client_id, e.detail["scopes"]) for e in events] == [
        (service.client_id, ["admin:audit"]),
        (service.client_id, ["admin:users", "admin:audit"])]
    assert all(e.user_id is None and e.ip for e in events)


def test_a_service_account_may_ask_for_fewer_scopes(directory, service):
    body = token_request(directory, service.client_id, service.secret,
                         scope="admin:audit").json()
    assert body["scope"] == "admin:audit"


@pytest.mark.parametrize("scope", ["admin:apps", "admin:users admin:settings", "openid",
                                   "admin:users profile"])
def test_scopes_beyond_the_granted_ones_are_refused(directory, service, scope):
    response = token_request(directory, service.client_id, service.secret, scope=scope)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_client_that_is_not_a_service_account_is_refused(directory):
    client = directory.add_client()
    response = token_request(directory, client.client_id, client.secret)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_a_wrong_secret_is_refused(directory, service):
    response = token_request(directory, service.client_id, service.secret + "x")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_service_account_of_another_directory_is_unknown_here(live, directory, service):
    other = new_directory(live)
    response = token_request(other, service.client_id, service.secret)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_introspection_describes_the_token_without_a_subject(directory, service):
    token = token_request(directory, service.client_id, service.secret).json()["access_token"]
    response = requests.post(f"{directory.issuer}/introspect", data={"token": token},
                             auth=(service.client_id, service.secret), timeout=30)
    info = response.json()
    assert info["active"] is True
    assert info["client_id"] == service.client_id
    assert set(info["scope"].split()) == {"admin:users", "admin:audit"}
    assert info["iss"] == directory.issuer
    assert info["exp"] > info["iat"]
    # No person is behind it: no sub, username or login level (RFC 7662 2.2: all optional).
    assert not {"sub", "username", "acr", "amr", "auth_time"} & set(info)


def test_a_resource_server_may_introspect_it_and_another_app_may_not(directory, service):
    token = token_request(directory, service.client_id, service.secret).json()["access_token"]
    resource = StrictRP(directory, directory.add_client(introspect_all=True))
    assert introspect(resource, token).json()["active"] is True
    stranger = StrictRP(directory, directory.add_client())
    assert introspect(stranger, token).json() == {"active": False}


def test_a_revoked_token_is_inactive(directory, service):
    token = token_request(directory, service.client_id, service.secret).json()["access_token"]
    revoked = requests.post(f"{directory.issuer}/revoke", data={"token": token},
                            auth=(service.client_id, service.secret), timeout=30)
    assert revoked.status_code == 200
    response = requests.post(f"{directory.issuer}/introspect", data={"token": token},
                             auth=(service.client_id, service.secret), timeout=30)
    assert response.json() == {"active": False}


def test_userinfo_refuses_a_token_without_a_user(directory, service):
    token = token_request(directory, service.client_id, service.secret).json()["access_token"]
    response = requests.get(f"{directory.issuer}/userinfo",
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_discovery_offers_the_grant(directory):
    metadata = requests.get(f"{directory.issuer}/.well-known/openid-configuration",
                            timeout=30).json()
    assert "client_credentials" in metadata["grant_types_supported"]


def test_an_expired_token_is_inactive_and_refused_by_the_admin_api(directory, service,
                                                                   provider_clock):
    body = token_request(directory, service.client_id, service.secret).json()
    users = f"{directory.issuer}/api/admin/v1/users"
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert requests.get(users, headers=bearer, timeout=30).status_code == 200
    provider_clock(body["expires_in"] + 1)
    response = requests.post(f"{directory.issuer}/introspect",
                             data={"token": body["access_token"]},
                             auth=(service.client_id, service.secret), timeout=30)
    assert response.json() == {"active": False}
    refused = requests.get(users, headers=bearer, timeout=30)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"


@pytest.mark.parametrize("scope", ["admin:users\x00", "a" * 5000, "admin:users " * 500, " "])
def test_a_hostile_scope_is_refused_without_a_fault(directory, service, scope):
    response = token_request(directory, service.client_id, service.secret, scope=scope)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:  # blanks and repeats ask for nothing more than granted
        assert set(response.json()["scope"].split()) <= {"admin:users", "admin:audit"}
    else:
        assert response.json()["error"] in ("invalid_scope", "invalid_request")
