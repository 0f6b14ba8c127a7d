"""Sealing data at rest: round trip, tamper detection, bound to IDP_SECRET_KEY."""

from __future__ import annotations

import base64

import pytest

from idp.security.sealing import Sealer, UnsealError

SECRET = "a-test-secret-key-of-more-than-32-characters"


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(SECRET)


@pytest.mark.parametrize("data", [b"", b"JBSWY3DPEHPK3PXP", bytes(range(256)), b"x" * 10_000])
def test_sealed_data_unseals_to_the_original(sealer, data):
    assert sealer.unseal(sealer.seal(data)) == data


def test_sealed_data_does_not_contain_the_original(sealer):
    data = b"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    sealed = sealer.seal(data)
    assert data not in sealed
    assert data not in base64.urlsafe_b64decode(sealed)


def test_sealing_twice_gives_different_ciphertexts(sealer):
    assert sealer.seal(b"same") != sealer.seal(b"same")


def test_a_sealer_with_the_same_secret_key_unseals(sealer):
    assert Sealer(SECRET).unseal(sealer.seal(b"shared")) == b"shared"


@pytest.mark.parametrize("other", [SECRET + "x", SECRET.upper(), "", "dev-only"])
def test_a_different_secret_key_cannot_unseal(sealer, other):
    with pytest.raises(UnsealError, match="IDP_SECRET_KEY"):
        Sealer(other).unseal(sealer.seal(b"private key"))


def _flip(sealed: bytes, index: int) -> bytes:
    raw = bytearray(base64.urlsafe_b64decode(sealed))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw))


@pytest.mark.parametrize("index", [0, 1, 9, 25, -33, -32, -1],
                         ids=["version", "timestamp", "iv", "ciphertext-start",
                              "ciphertext-end", "mac-start", "mac-end"])
def test_tampering_with_any_byte_is_detected(sealer, index):
    with pytest.raises(UnsealError):
        sealer.unseal(_flip(sealer.seal(b"0123456789abcdef0123456789"), index))


@pytest.mark.parametrize("sealed", [b"", b"not sealed", b"gAAAAA", "ünïcode".encode()],
                         ids=["empty", "plain", "truncated-header", "utf-8"])
def test_data_that_was_never_sealed_is_refused(sealer, sealed):
    with pytest.raises(UnsealError):
        sealer.unseal(sealed)


def test_truncated_sealed_data_is_refused(sealer):
    sealed = sealer.seal(b"private key")
    with pytest.raises(UnsealError):
        sealer.unseal(sealed[:-4])
