"""Pairwise subject identifiers (OIDC Core 8.1): an app that has them knows each person by
a sub of its own, the same for every app on its host and unlinkable to other hosts';
everything that names the person to it (ID token, userinfo, introspection, a JWT access
token, id_token_hint, logout) uses that sub."""

from __future__ import annotations

import requests
from joserfc import jwt

from tests.protocol._helpers import signed_in
from tests.protocol.test_logout import logout, still_signed_in
from tests.support.rp import StrictRP


def pairwise(directory, host: str = "rp.example.org", agent=None, **options) -> StrictRP:
    return StrictRP(directory, directory.add_client(
        redirect_uri=f"https://{host}/callback", pairwise_subject=True, **options), agent)


def test_a_pairwise_app_knows_each_person_by_its_own_sub_everywhere(directory, user):
    rp = pairwise(directory, jwt_access_tokens=True)
    tokens = signed_in(rp, user)
    sub = tokens["claims"]["sub"]
    assert sub != user.subject and 0 < len(sub) <= 255
    assert rp.userinfo(tokens["access_token"]).json()["sub"] == sub
    info = requests.post(rp.metadata["introspection_endpoint"],
                         data={"token": tokens["access_token"]},
                         auth=(rp.client.client_id, rp.client.secret), timeout=30).json()
    assert info["sub"] == sub
    assert jwt.decode(tokens["access_token"], rp.jwks()).claims["sub"] == sub


def test_apps_on_one_host_share_the_sub_and_other_hosts_and_public_apps_do_not(directory,
                                                                               user):
    rp = pairwise(directory)
    first = signed_in(rp, user)["claims"]["sub"]
    # The same browser: its session serves the other apps without another login.
    same_host = signed_in(pairwise(directory, agent=rp.agent), user)["claims"]["sub"]
    other_host = signed_in(pairwise(directory, "other.example.org", rp.agent),
                           user)["claims"]["sub"]
    public = signed_in(StrictRP(directory, directory.add_client(), rp.agent),
                       user)["claims"]["sub"]
    assert first == same_host
    assert len({first, other_host, public}) == 3
    assert public == user.subject


def test_the_discovery_document_offers_pairwise_subjects(rp):
    assert set(rp.metadata["subject_types_supported"]) == {"public", "pairwise"}


def test_its_id_token_hint_names_the_signed_in_person(directory, user):
    rp = pairwise(directory)
    first = signed_in(rp, user)
    again = StrictRP(directory, rp.client, rp.agent)
    params = again.response_params(again.start(prompt="none", id_token_hint=first["id_token"]))
    assert again.exchange(params["code"])["claims"]["sub"] == first["claims"]["sub"]


def test_logout_with_its_hint_needs_no_confirmation(directory, user):
    rp = pairwise(directory)
    tokens = signed_in(rp, user)
    response = logout(rp, id_token_hint=tokens["id_token"],
                      post_logout_redirect_uri=rp.client.post_logout_redirect_uri)
    assert response.is_redirect
    assert not still_signed_in(rp)
