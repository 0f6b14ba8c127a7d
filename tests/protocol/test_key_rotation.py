"""Key rotation as a relying app with a cached JWKS sees it: no unknown kid, ever.

The JWKS may be cached for IDP_JWKS_CACHE_SECONDS (its Cache-Control); a rotated key is
published at once and signs only that long later, and a retired key stays published
while what it signed may still be checked.
"""

from __future__ import annotations

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.protocol._helpers import jose_header, rotate_signing_keys, signed_in
from tests.support.rp import StrictRP

JWKS_CACHE_SECONDS = 300  # the default IDP_JWKS_CACHE_SECONDS

pytestmark = pytest.mark.storage


def published(rp: StrictRP) -> dict[str, dict]:
    response = requests.get(rp.metadata["jwks_uri"], timeout=30)
    assert response.status_code == 200
    return {key["kid"]: key for key in response.json()["keys"]}


def test_the_jwks_may_be_cached_for_the_time_rotation_publishes_keys_early(rp, directory):
    response = requests.get(rp.metadata["jwks_uri"], timeout=30)

    assert response.headers["Cache-Control"] == f"public, max-age={JWKS_CACHE_SECONDS}"
    assert rotate_signing_keys(directory) == JWKS_CACHE_SECONDS


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_right_after_rotation_tokens_keep_the_old_kid_and_the_new_kid_is_published(
        directory, user, alg):
    client = directory.add_client(id_token_alg=alg)
    rp = StrictRP(directory, client)
    before = signed_in(rp, user)
    old_kid = jose_header(before["id_token"])["kid"]
    cached = published(rp)  # what a relying app holds now, for the cache time

    rotate_signing_keys(directory)

    after = signed_in(StrictRP(directory, client, rp.agent), user)
    assert jose_header(after["id_token"])["kid"] == old_kid, "a cached JWKS must know the kid"
    assert old_kid in cached
    new_kids = {kid for kid, key in published(rp).items()
                if kid not in cached and key["alg"] == alg}
    assert len(new_kids) == 1, "the next key is published before it signs"


def test_the_new_key_signs_once_the_cache_time_has_passed(directory, client, user,
                                                          provider_clock):
    rp = StrictRP(directory, client)
    old_kid = jose_header(signed_in(rp, user)["id_token"])["kid"]
    before = published(rp)
    rotate_signing_keys(directory)
    [new_kid] = [kid for kid, key in published(rp).items()
                 if kid not in before and key["alg"] == "RS256"]

    provider_clock(JWKS_CACHE_SECONDS - 5)
    almost = signed_in(StrictRP(directory, client, rp.agent), user)
    provider_clock(5)
    then = signed_in(StrictRP(directory, client, rp.agent), user)

    assert jose_header(almost["id_token"])["kid"] == old_kid
    assert jose_header(then["id_token"])["kid"] == new_kid


def test_a_token_of_the_old_key_verifies_against_the_jwks_until_it_expires(
        directory, client, user, provider_clock):
    rp = StrictRP(directory, client)
    tokens = signed_in(rp, user)
    old_kid = jose_header(tokens["id_token"])["kid"]
    lifetime = tokens["claims"]["exp"] - tokens["claims"]["iat"]

    rotate_signing_keys(directory)
    provider_clock(JWKS_CACHE_SECONDS + 1)  # the new key signs from here on
    assert jose_header(signed_in(StrictRP(directory, client, rp.agent), user)["id_token"])[
        "kid"] != old_kid
    provider_clock(lifetime - JWKS_CACHE_SECONDS - 2)  # just before the old token expires

    keys = published(rp)
    assert old_kid in keys
    decoded = jwt.decode(tokens["id_token"], KeySet.import_key_set({"keys": list(keys.values())}),
                         algorithms=["RS256"])
    assert decoded.claims["sub"] == user.subject

    provider_clock(3 * 24 * 3600)  # long after every session of the old key ended
    assert old_kid not in published(rp)
