"""Token introspection (RFC 7662) with acr and auth_time (RFC 9470 6.2)."""

from __future__ import annotations

import pytest
import requests

from tests.protocol._helpers import issue_recovery_codes, signed_in, use_recovery_code
from tests.support.live import new_directory
from tests.support.rp import StrictRP


def introspect(rp: StrictRP, token: str, hint: str | None = None, auth=None):
    data = {"token": token}
    if hint:
        data["token_type_hint"] = hint
    auth = auth or (rp.client.client_id, rp.client.secret)
    return requests.post(rp.metadata["introspection_endpoint"], data=data, auth=auth,
                         timeout=30)


def test_active_access_token_carries_acr_auth_time_and_amr(rp, user):
    tokens = signed_in(rp, user)
    response = introspect(rp, tokens["access_token"])
    assert response.status_code == 200
    info = response.json()
    assert info["active"] is True
    assert info["sub"] == user.subject
    assert info["client_id"] == rp.client.client_id
    assert info["iss"] == rp.directory.issuer
    assert info["acr"] == tokens["claims"]["acr"] == "30"
    assert info["auth_time"] == tokens["claims"]["auth_time"]
    assert set(info["amr"]) == set(tokens["claims"]["amr"])
    assert set(info["scope"].split()) == {"openid", "profile", "email"}
    assert info["exp"] > info["iat"]


def test_active_refresh_token_is_described_too(rp, user):
    tokens = signed_in(rp, user)
    info = introspect(rp, tokens["refresh_token"], "refresh_token").json()
    assert info["active"] is True
    assert info["sub"] == user.subject
    assert info["acr"] == "30"


def test_stepped_up_token_carries_the_higher_acr(rp, directory, client, user):
    codes = issue_recovery_codes(directory, user)
    signed_in(rp, user)
    up = StrictRP(directory, client, rp.agent)
    tokens = up.exchange(up.response_params(
        use_recovery_code(up, up.start(acr_values="40"), codes[0]))["code"])
    assert introspect(up, tokens["access_token"]).json()["acr"] == "40"


def test_revoked_token_is_inactive(rp, user):
    tokens = signed_in(rp, user)
    requests.post(rp.metadata["revocation_endpoint"], data={"token": tokens["access_token"]},
                  auth=(rp.client.client_id, rp.client.secret), timeout=30)
    # RFC 7662 2.2: an inactive token is just {"active": false}.
    assert introspect(rp, tokens["access_token"]).json() == {"active": False}


def test_rotated_refresh_token_is_inactive(rp, user):
    tokens = signed_in(rp, user)
    rp.token_request({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert introspect(rp, tokens["refresh_token"]).json() == {"active": False}


def test_unknown_token_is_inactive(rp):
    assert introspect(rp, "not-a-token-we-issued").json() == {"active": False}


def test_introspection_needs_client_authentication(rp, user):
    tokens = signed_in(rp, user)
    response = introspect(rp, tokens["access_token"], auth=(rp.client.client_id, "wrong"))
    assert response.status_code == 401
    response = requests.post(rp.metadata["introspection_endpoint"],
                             data={"token": tokens["access_token"]}, timeout=30)
    assert response.status_code == 401


def test_public_client_cannot_introspect(directory, rp, user):
    tokens = signed_in(rp, user)
    public = directory.add_client(public=True)
    response = requests.post(rp.metadata["introspection_endpoint"], data={
        "token": tokens["access_token"], "client_id": public.client_id}, timeout=30)
    assert response.status_code == 401


def test_client_of_another_directory_cannot_introspect(rp, user, live):
    tokens = signed_in(rp, user)
    other = new_directory(live)
    stranger = other.add_client()
    # Its credentials mean nothing here...
    response = introspect(rp, tokens["access_token"],
                          auth=(stranger.client_id, stranger.secret))
    assert response.status_code == 401
    # ...and at its own directory the token is unknown.
    twin = other.add_client(rp.client.client_id)
    answer = introspect(StrictRP(other, twin), tokens["access_token"])
    assert answer.json() == {"active": False}


# --- Who may introspect whose tokens (RFC 7662 2.1, 4) ------------------------------------

@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
def test_another_app_of_the_directory_learns_nothing_about_a_token(directory, rp, user, kind):
    tokens = signed_in(rp, user)
    other = StrictRP(directory, directory.add_client())
    answer = introspect(other, tokens[kind], kind)
    unknown = introspect(other, "not-a-token-we-issued", kind)
    # Exactly what an unknown token gets: nothing says that the token exists.
    assert answer.status_code == unknown.status_code == 200
    assert answer.json() == unknown.json() == {"active": False}
    assert answer.headers["Content-Type"] == unknown.headers["Content-Type"]
    # The token's own app still learns about it.
    assert introspect(rp, tokens[kind], kind).json()["active"] is True


@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
def test_a_resource_server_the_admin_allowed_introspects_every_apps_tokens(directory, rp, user,
                                                                          kind):
    tokens = signed_in(rp, user)
    api = StrictRP(directory, directory.add_client(introspect_all=True))
    info = introspect(api, tokens[kind], kind).json()
    assert info["active"] is True
    assert info["client_id"] == rp.client.client_id
    assert info["sub"] == user.subject
    assert info["acr"] == "30"


def test_a_resource_server_learns_nothing_about_another_directorys_tokens(rp, user, live):
    tokens = signed_in(rp, user)
    other = new_directory(live)
    api = StrictRP(other, other.add_client(introspect_all=True))
    assert introspect(api, tokens["access_token"]).json() == {"active": False}


def test_a_revoked_token_is_inactive_for_a_resource_server_too(directory, rp, user):
    tokens = signed_in(rp, user)
    requests.post(rp.metadata["revocation_endpoint"], data={"token": tokens["access_token"]},
                  auth=(rp.client.client_id, rp.client.secret), timeout=30)
    api = StrictRP(directory, directory.add_client(introspect_all=True))
    assert introspect(api, tokens["access_token"]).json() == {"active": False}
