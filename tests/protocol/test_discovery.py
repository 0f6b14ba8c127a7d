"""oidcc-config-certification-test-plan: the discovery document and the JWKS of a directory.

OpenID Connect Discovery 1.0 sections 3 and 4, RFC 8414, RFC 9207, RFC 7517.
"""

from __future__ import annotations

from urllib.parse import urlparse

import requests

from tests.protocol._helpers import jose_header, rotate_signing_keys, signed_in
from tests.support.live import new_directory
from tests.support.rp import StrictRP

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
# OpenID Connect Discovery 1.0 section 3: REQUIRED (and, for a code-flow OP, token_endpoint).
REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
            "response_types_supported", "subject_types_supported",
            "id_token_signing_alg_values_supported")
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
             "end_session_endpoint", "revocation_endpoint", "introspection_endpoint")


def metadata_of(directory) -> dict:
    response = requests.get(f"{directory.issuer}/.well-known/openid-configuration", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def jwks_of(metadata: dict) -> list[dict]:
    response = requests.get(metadata["jwks_uri"], timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()["keys"]


def test_issuer_is_the_url_the_document_was_fetched_from(directory):
    # Discovery 4.3: the issuer MUST be identical to the URL prefix of the request.
    assert metadata_of(directory)["issuer"] == directory.issuer


def test_issuer_has_no_query_fragment_or_trailing_slash(directory):
    issuer = urlparse(metadata_of(directory)["issuer"])
    assert issuer.scheme in ("https", "http") and not issuer.query and not issuer.fragment
    assert not issuer.path.endswith("/")


def test_endpoints_are_https_or_loopback_and_under_the_issuer(directory):
    metadata = metadata_of(directory)
    for name in ENDPOINTS:
        url = urlparse(metadata[name])
        assert url.scheme == "https" or (url.scheme == "http" and url.hostname in LOOPBACK), name
        assert metadata[name].startswith(metadata["issuer"] + "/"), name
        assert not url.fragment, name


def test_required_metadata_is_present(directory):
    metadata = metadata_of(directory)
    missing = [name for name in REQUIRED if not metadata.get(name)]
    assert not missing
    assert "openid" in metadata["scopes_supported"]
    assert "public" in metadata["subject_types_supported"]
    # Discovery 3: RS256 MUST be included.
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]
    assert "none" not in metadata["id_token_signing_alg_values_supported"]
    assert "sub" in metadata["claims_supported"]


def test_only_the_code_response_type_is_offered(directory):
    metadata = metadata_of(directory)
    assert metadata["response_types_supported"] == ["code"]
    assert metadata.get("response_modes_supported", ["query"]) == ["query"]


def test_no_implicit_or_password_grant_is_offered(directory):
    grants = metadata_of(directory)["grant_types_supported"]
    assert "authorization_code" in grants
    assert "implicit" not in grants
    assert "password" not in grants


def test_pkce_offers_s256_only(directory):
    # RFC 9700 2.1.1: plain must not be offered.
    assert metadata_of(directory)["code_challenge_methods_supported"] == ["S256"]


def test_token_endpoint_auth_methods_are_secret_basic_post_and_none(directory):
    methods = metadata_of(directory)["token_endpoint_auth_methods_supported"]
    assert {"client_secret_basic", "client_secret_post"} <= set(methods)


def test_acr_values_are_the_levels_10_to_100(directory):
    assert metadata_of(directory)["acr_values_supported"] == [
        str(level) for level in range(10, 101, 10)]


def test_claims_parameter_is_supported(directory):
    metadata = metadata_of(directory)
    assert metadata["claims_parameter_supported"] is True
    assert {"acr", "amr", "auth_time"} <= set(metadata["claims_supported"])


def test_authorization_responses_carry_iss(directory):
    # RFC 9207 3.
    assert metadata_of(directory)["authorization_response_iss_parameter_supported"] is True


def test_request_objects_and_pushed_requests_are_declared(directory):
    metadata = metadata_of(directory)
    assert metadata["request_parameter_supported"] is True
    # Only pushed requests' request_uri values: none is fetched, none can be registered.
    assert metadata["request_uri_parameter_supported"] is True
    assert metadata["require_request_uri_registration"] is True
    assert metadata["pushed_authorization_request_endpoint"] == f"{directory.issuer}/par"
    assert "none" not in metadata["request_object_signing_alg_values_supported"]


def test_oauth_metadata_matches_the_openid_configuration(directory):
    # RFC 8414 3: the same issuer and endpoints at the OAuth well-known URI.
    response = requests.get(f"{directory.issuer}/.well-known/oauth-authorization-server",
                            timeout=30)
    assert response.status_code == 200
    assert response.json() == metadata_of(directory)


def test_unknown_directory_has_no_discovery_document(live):
    response = requests.get(f"{live.url}/d/no-such-directory/.well-known/openid-configuration",
                            timeout=30)
    assert response.status_code == 404


def test_jwks_has_rs256_and_es256_signing_keys(directory):
    keys = jwks_of(metadata_of(directory))
    by_alg = {key["alg"]: key for key in keys}
    assert {"RS256", "ES256"} <= set(by_alg)
    assert by_alg["RS256"]["kty"] == "RSA" and by_alg["RS256"]["n"] and by_alg["RS256"]["e"]
    assert by_alg["ES256"]["kty"] == "EC" and by_alg["ES256"]["crv"] == "P-256"
    assert by_alg["ES256"]["x"] and by_alg["ES256"]["y"]


def test_every_jwk_names_its_kid_use_and_alg(directory):
    keys = jwks_of(metadata_of(directory))
    assert keys
    for key in keys:
        assert key["kid"] and key["use"] == "sig" and key["alg"] in ("RS256", "ES256")
    assert len({key["kid"] for key in keys}) == len(keys), "kids are unique"


def test_jwks_has_no_private_key_material(directory):
    for key in jwks_of(metadata_of(directory)):
        assert not PRIVATE_MEMBERS & set(key), key["kid"]


def test_each_directory_has_its_own_issuer_and_keys(directory, live):
    other = new_directory(live)
    first, second = metadata_of(directory), metadata_of(other)
    assert first["issuer"] != second["issuer"]
    assert second["issuer"] == other.issuer
    first_kids = {key["kid"] for key in jwks_of(first)}
    second_kids = {key["kid"] for key in jwks_of(second)}
    assert not first_kids & second_kids


def test_key_rotation_keeps_old_tokens_verifiable_and_signs_new_ones_with_a_new_key(
        directory, client, user, provider_clock):
    # oidcc-server-rotate-keys: the RP re-fetches the JWKS on an unknown kid.
    rp = StrictRP(directory, client)
    before = signed_in(rp, user)
    old_kid = jose_header(before["id_token"])["kid"]

    provider_clock(rotate_signing_keys(directory))  # the new key signs after the cache time

    published = {key["kid"] for key in jwks_of(rp.metadata)}
    assert old_kid in published, "the retired key stays published while its tokens live"
    rp.check_id_token(before["id_token"], before["access_token"], nonce=before["claims"]["nonce"])

    # The same browser: its session needs no new login.
    after = signed_in(StrictRP(directory, client, rp.agent), user)
    new_kid = jose_header(after["id_token"])["kid"]
    assert new_kid != old_kid
    assert new_kid in published


def test_key_rotation_applies_to_es256_clients_too(directory, user, provider_clock):
    client = directory.add_client(id_token_alg="ES256")
    rp = StrictRP(directory, client)
    before = signed_in(rp, user)
    provider_clock(rotate_signing_keys(directory))
    rp.check_id_token(before["id_token"], before["access_token"], nonce=before["claims"]["nonce"])
    after = signed_in(StrictRP(directory, client, rp.agent), user)
    assert jose_header(after["id_token"])["kid"] != jose_header(before["id_token"])["kid"]
    assert jose_header(after["id_token"])["alg"] == "ES256"


def test_rotation_in_one_directory_leaves_another_untouched(directory, live):
    other = new_directory(live)
    other_kids = {key["kid"] for key in jwks_of(metadata_of(other))}
    rotate_signing_keys(directory)
    assert {key["kid"] for key in jwks_of(metadata_of(other))} == other_kids

