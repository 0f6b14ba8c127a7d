"""Request objects (RFC 9101, OIDC Core 6.1): an authorization request signed with one of the
app's registered keys stands for its parameters; one signed with another key, unsigned, or
addressed to another provider is refused."""

from __future__ import annotations

import base64
import json

import pytest

from tests.protocol._helpers import authorization_error, error_page, title
from tests.support.key_host import KeyHost
from tests.support.rp import StrictRP


@pytest.fixture
def keyed(directory, rsa_key) -> StrictRP:
    return StrictRP(directory, directory.add_client(key=rsa_key))


def outside(rp: StrictRP) -> dict[str, str]:
    """The parameters OIDC Core 6.1 wants outside a request object too: the provider answers
    an unusable request object to this redirect URI, as it is the app's."""
    return {"response_type": "code", "scope": "openid",
            "redirect_uri": rp.client.redirect_uri, "state": rp.pending.state}


def test_a_signed_request_object_stands_for_its_parameters(keyed, user):
    request_object = keyed.request_object()
    response = keyed.start_with(request=request_object)
    tokens = keyed.exchange(keyed.finish(response, user)["code"])
    assert tokens["claims"]["nonce"] == keyed.pending.nonce


def test_parameters_outside_the_request_object_are_ignored(keyed, user):
    request_object = keyed.request_object()
    # RFC 9101 6.3: only the request object's parameters count.
    response = keyed.start_with(request=request_object, scope="openid phone",
                                state="outside", redirect_uri="https://evil.example/cb")
    params = keyed.finish(response, user)
    assert keyed.exchange(params["code"])["scope"].split() == ["openid", "profile", "email"]


def test_its_claims_and_max_age_may_be_json_values(keyed, user):
    wanted = {"id_token": {"acr": {"essential": True, "values": ["30"]}}}
    request_object = keyed.request_object(claims=wanted, max_age=3600)
    tokens = keyed.exchange(keyed.finish(keyed.start_with(request=request_object), user)["code"])
    assert tokens["claims"]["acr"] == "30"


def test_a_new_key_at_the_jwks_uri_is_fetched_when_a_request_object_names_it(
        directory, user, rsa_key, ec_key, provider_clock):
    host = KeyHost()
    try:
        host.keys = [rsa_key]
        rp = StrictRP(directory, directory.add_client(key=rsa_key, jwks_uri=host.uri))
        assert rp.exchange(rp.finish(rp.start_with(request=rp.request_object()), user)["code"])
        host.keys = [rsa_key, ec_key]  # the app rolls to a new key
        provider_clock(31)
        response = rp.start_with(request=rp.request_object(key=ec_key))
        tokens = rp.exchange(rp.finish(response, user)["code"])
        assert tokens["claims"]["nonce"] == rp.pending.nonce
        assert host.fetches == 2
    finally:
        host.close()


def test_one_signed_with_another_key_is_refused(keyed, ec_key):
    request_object = keyed.request_object(key=ec_key)
    response = keyed.start_with(request=request_object,
                                **outside(keyed))
    assert authorization_error(keyed, response)["error"] == "invalid_request_object"


def test_one_without_a_usable_redirect_uri_outside_is_an_error_page(keyed, ec_key):
    response = keyed.start_with(request=keyed.request_object(key=ec_key))
    assert error_page(response) == "invalid_request_object"


def test_an_unsigned_one_is_refused(keyed):
    payload = {"client_id": keyed.client.client_id, "response_type": "code",
               "redirect_uri": keyed.client.redirect_uri, "scope": "openid",
               "aud": keyed.directory.issuer}
    unsigned = ".".join(base64.urlsafe_b64encode(json.dumps(part).encode()).decode()
                        .rstrip("=") for part in ({"alg": "none"}, payload)) + "."
    keyed.authorization_url()  # the state outside
    response = keyed.start_with(request=unsigned, **outside(keyed))
    assert authorization_error(keyed, response)["error"] in {"invalid_request",
                                                             "invalid_request_object"}


@pytest.mark.parametrize("claims", [
    {"aud": "https://another-provider.example"},
    {"aud": None},
    {"iss": "another-client"},
    {"exp": 1},
], ids=["another-audience", "no-audience", "another-issuer", "expired"])
def test_one_with_wrong_claims_is_refused(keyed, claims):
    response = keyed.start_with(request=keyed.request_object(**claims),
                                **outside(keyed))
    assert authorization_error(keyed, response)["error"] == "invalid_request_object"


def test_one_naming_another_client_is_refused(keyed, directory, rsa_key):
    other = directory.add_client(key=rsa_key)
    response = keyed.start_with(request=keyed.request_object(client_id=other.client_id),
                                **outside(keyed))
    assert authorization_error(keyed, response)["error"] == "invalid_request"


def test_an_app_without_keys_gets_request_not_supported(rp):
    response = rp.start(request="eyJhbGciOiJub25lIn0.e30.")
    assert authorization_error(rp, response)["error"] == "request_not_supported"


def test_the_request_object_survives_the_login(keyed, user):
    """What the login resumes is the request object's parameters, not the outer ones."""
    response = keyed.start_with(request=keyed.request_object(prompt="login"))
    assert title(response).startswith("Log in")
    assert keyed.finish(response, user)["state"] == keyed.pending.state


def test_discovery_offers_request_objects(rp):
    assert rp.metadata["request_parameter_supported"] is True
    assert set(rp.metadata["request_object_signing_alg_values_supported"]) >= {"RS256",
                                                                                 "ES256"}
    assert json.dumps(rp.metadata)  # the document stays plain JSON
