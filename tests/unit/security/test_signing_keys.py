"""Directory signing keys: rotation, the published JWKS window, the active private key."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError

from idp.security.sealing import Sealer, UnsealError
from idp.storage import db
from idp.tenants.directories import get_directory
from idp.tenants.keys import (
    SUPPORTED_ALGS,
    active_keys,
    ensure_keys,
    published_jwks,
    rotate_keys,
    signing_key,
    verification_keyset,
)
from tests.support.live import new_directory

pytestmark = pytest.mark.storage

WEEK = 7 * 24 * 3600.0


@pytest.fixture
def directory_id(directory, svc) -> int:
    return get_directory(directory.slug).id


def kids(jwks: dict) -> set[str]:
    return {key["kid"] for key in jwks["keys"]}


def active_kids(directory_id: int) -> dict[str, str]:
    return {row.alg: row.kid for row in active_keys(directory_id)}


def created_at(directory_id: int) -> float:
    return max(row.created_at for row in active_keys(directory_id))


def test_a_new_directory_has_one_active_key_per_algorithm(directory_id):
    active = active_kids(directory_id)
    assert set(active) == set(SUPPORTED_ALGS)
    assert kids(published_jwks(directory_id, created_at(directory_id))) == set(active.values())


def test_the_published_keys_are_public_only(directory_id):
    for key in published_jwks(directory_id, created_at(directory_id))["keys"]:
        assert key["use"] == "sig"
        assert key["alg"] in SUPPORTED_ALGS
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_ensure_keys_adds_nothing_while_every_algorithm_has_an_active_key(directory_id, svc):
    before = active_kids(directory_id)
    assert ensure_keys(directory_id, svc.sealer, 0.0) == []
    assert active_kids(directory_id) == before


def test_the_retired_key_is_published_until_publish_until(directory_id, svc):
    start = created_at(directory_id) + 10
    old = set(active_kids(directory_id).values())
    new_rows = rotate_keys(directory_id, svc.sealer, start, ahead=0, publish_for=WEEK)
    db.session.commit()
    new = {row.kid for row in new_rows}

    assert len(new) == len(SUPPORTED_ALGS) and not new & old
    assert set(active_kids(directory_id).values()) == new
    for moment in (start, start + WEEK / 2, start + WEEK - 1):
        assert kids(published_jwks(directory_id, moment)) == old | new
        assert {key.kid for key in verification_keyset(directory_id, moment).keys} == old | new
    for moment in (start + WEEK, start + WEEK + 1, start + 10 * WEEK):
        assert kids(published_jwks(directory_id, moment)) == new


def test_the_newest_keys_are_published_first(directory_id, svc):
    start = created_at(directory_id) + 10
    rows = rotate_keys(directory_id, svc.sealer, start, ahead=0, publish_for=WEEK)
    new = {row.kid for row in rows}
    db.session.commit()
    published = [key["kid"] for key in published_jwks(directory_id, start)["keys"]]
    assert set(published[:len(new)]) == new


def test_a_second_rotation_keeps_the_first_retirement_window(directory_id, svc):
    start = created_at(directory_id) + 10
    first = set(active_kids(directory_id).values())
    rotate_keys(directory_id, svc.sealer, start, ahead=0, publish_for=WEEK)
    second = set(active_kids(directory_id).values())
    rotate_keys(directory_id, svc.sealer, start + 100, ahead=0, publish_for=WEEK)
    third = set(active_kids(directory_id).values())
    db.session.commit()

    assert kids(published_jwks(directory_id, start + WEEK - 1)) == first | second | third
    assert kids(published_jwks(directory_id, start + WEEK + 50)) == second | third
    assert kids(published_jwks(directory_id, start + WEEK + 100)) == third


@pytest.mark.parametrize("alg", SUPPORTED_ALGS)
def test_signing_key_returns_the_new_key_after_rotation(directory_id, svc, alg):
    start = created_at(directory_id) + 10
    before = signing_key(directory_id, alg, svc.sealer, start)
    rows = rotate_keys(directory_id, svc.sealer, start, ahead=0, publish_for=WEEK)
    db.session.commit()
    [new_row] = [row for row in rows if row.alg == alg]

    after = signing_key(directory_id, alg, svc.sealer, start)
    assert after.kid == new_row.kid != before.kid
    assert after.thumbprint() == new_row.kid
    assert after.as_dict(private=False)["kid"] == new_row.public_jwk["kid"]


@pytest.mark.parametrize("alg", SUPPORTED_ALGS)
def test_a_token_signed_before_rotation_still_verifies_with_the_published_keys(directory_id,
                                                                               svc, alg):
    start = created_at(directory_id) + 10
    key = signing_key(directory_id, alg, svc.sealer, start)
    token = jwt.encode({"alg": alg, "kid": key.kid}, {"sub": "someone"}, key, algorithms=[alg])
    rotate_keys(directory_id, svc.sealer, start, ahead=0, publish_for=WEEK)
    db.session.commit()

    decoded = jwt.decode(token, verification_keyset(directory_id, start + 1), algorithms=[alg])
    assert decoded.claims == {"sub": "someone"}
    with pytest.raises(InvalidKeyIdError):
        jwt.decode(token, verification_keyset(directory_id, start + WEEK), algorithms=[alg])


def test_a_new_key_cannot_be_unsealed_with_another_secret_key(directory_id, svc):
    rotate_keys(directory_id, svc.sealer, created_at(directory_id) + 10, ahead=0, publish_for=WEEK)
    db.session.commit()
    with pytest.raises(UnsealError):
        signing_key(directory_id, "RS256", Sealer("another secret key of enough length!!"),
                    created_at(directory_id) + 10)


def test_rotation_touches_only_its_own_directory(live, directory_id, svc):
    other_id = get_directory(new_directory(live).slug).id
    other_before = active_kids(other_id)
    rotate_keys(directory_id, svc.sealer, created_at(directory_id) + 10, ahead=0, publish_for=WEEK)
    db.session.commit()
    assert active_kids(other_id) == other_before
    assert not kids(published_jwks(other_id, created_at(other_id))) & \
        kids(published_jwks(directory_id, created_at(directory_id) + 10))


def test_signing_key_of_an_unsupported_algorithm_is_not_found(directory_id, svc):
    with pytest.raises(LookupError):
        signing_key(directory_id, "HS256", svc.sealer, created_at(directory_id))
