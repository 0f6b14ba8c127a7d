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


# --- page state sealed into a form --------------------------------------------------------

NOW = 1_700_000_000.0


def test_a_sealed_form_value_opens_for_its_purpose_and_owner(sealer):
    sealed = sealer.seal_form("totp-enrol", [7, 42], {"secret": "ABC"}, NOW)
    assert sealer.open_form(sealed, "totp-enrol", [7, 42], NOW + 10, 60) == {"secret": "ABC"}
    assert "ABC" not in sealed


@pytest.mark.parametrize(("purpose", "bound_to", "at"), [
    ("passkey-login", [7, 42], NOW), ("totp-enrol", [8, 42], NOW),
    ("totp-enrol", [7, 43], NOW), ("totp-enrol", [7], NOW), ("totp-enrol", [7, 42], NOW + 61),
], ids=["other-purpose", "other-user", "other-session", "fewer-bindings", "expired"])
def test_a_sealed_form_value_is_refused_elsewhere_or_late(sealer, purpose, bound_to, at):
    sealed = sealer.seal_form("totp-enrol", [7, 42], {"secret": "ABC"}, NOW)
    with pytest.raises(UnsealError):
        sealer.open_form(sealed, purpose, bound_to, at, 60)


@pytest.mark.parametrize("sealed", ["", "x", "gAAAA" + "A" * 100, "é" * 10, "A" * 5000],
                         ids=["empty", "short", "garbage", "non-ascii", "oversized"])
def test_a_form_value_that_was_never_sealed_is_refused(sealer, sealed):
    with pytest.raises(UnsealError):
        sealer.open_form(sealed, "totp-enrol", [7, 42], NOW, 60)


def test_data_sealed_at_rest_is_not_accepted_as_a_form_value(sealer):
    at_rest = sealer.seal(b'{"for":"totp-enrol","to":[7,42],"data":{}}').decode()
    with pytest.raises(UnsealError):
        sealer.open_form(at_rest, "totp-enrol", [7, 42], NOW, 10 ** 10)
