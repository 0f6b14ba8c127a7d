"""Token revocation (RFC 7009)."""

from __future__ import annotations

import requests

from tests.protocol._helpers import signed_in
from tests.support.rp import StrictRP


def revoke(rp: StrictRP, token: str, hint: str | None = None, auth=None):
    data = {"token": token}
    if hint:
        data["token_type_hint"] = hint
    auth = auth or (rp.client.client_id, rp.client.secret)
    return requests.post(rp.metadata["revocation_endpoint"], data=data, auth=auth, timeout=30)


def refresh(rp: StrictRP, refresh_token: str):
    return rp.token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})


def test_revoked_access_token_is_refused_by_userinfo(rp, user):
    tokens = signed_in(rp, user)
    response = revoke(rp, tokens["access_token"], "access_token")
    assert response.status_code == 200
    assert rp.userinfo(tokens["access_token"]).status_code == 401


def test_revoking_a_refresh_token_ends_the_grant(rp, user):
    # RFC 7009 2.1: revoking a refresh token SHOULD also invalidate its access tokens.
    tokens = signed_in(rp, user)
    assert revoke(rp, tokens["refresh_token"], "refresh_token").status_code == 200
    assert refresh(rp, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert rp.userinfo(tokens["access_token"]).status_code == 401


def test_revocation_works_without_a_hint_and_with_a_wrong_hint(rp, user):
    tokens = signed_in(rp, user)
    assert revoke(rp, tokens["refresh_token"], "access_token").status_code == 200
    assert refresh(rp, tokens["refresh_token"]).status_code == 400
    other = signed_in(StrictRP(rp.directory, rp.client, rp.agent), user)
    assert revoke(rp, other["access_token"]).status_code == 200
    assert rp.userinfo(other["access_token"]).status_code == 401


def test_unknown_token_revocation_answers_200(rp):
    # RFC 7009 2.2: invalid tokens do not cause an error response.
    assert revoke(rp, "not-a-token-we-issued").status_code == 200


def test_revocation_needs_client_authentication(rp, user):
    tokens = signed_in(rp, user)
    response = revoke(rp, tokens["access_token"], auth=(rp.client.client_id, "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert rp.userinfo(tokens["access_token"]).status_code == 200


def test_another_client_cannot_revoke_the_token(rp, directory, user):
    tokens = signed_in(rp, user)
    other = StrictRP(directory, directory.add_client())
    revoke(other, tokens["access_token"])
    assert rp.userinfo(tokens["access_token"]).status_code == 200


def test_public_client_revokes_its_own_token(directory, user):
    public = StrictRP(directory, directory.add_client(public=True))
    tokens = public.exchange(public.sign_in(user)["code"], auth="none")
    response = requests.post(public.metadata["revocation_endpoint"], data={
        "token": tokens["refresh_token"], "client_id": public.client.client_id}, timeout=30)
    assert response.status_code == 200
    assert public.userinfo(tokens["access_token"]).status_code == 401
