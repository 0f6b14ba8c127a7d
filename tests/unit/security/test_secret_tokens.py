"""Random secrets and their stored (hashed) form."""

from __future__ import annotations

import hashlib

import pytest

from idp.security.tokens import hash_secret, new_secret, secret_matches


@pytest.mark.parametrize(("nbytes", "length"), [(16, 22), (32, 43), (48, 64)])
def test_new_secrets_are_url_safe_and_carry_the_asked_entropy(nbytes, length):
    secret = new_secret(nbytes)
    assert len(secret) == length
    assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_new_secrets_do_not_repeat():
    assert len({new_secret() for _ in range(1000)}) == 1000


def test_the_stored_form_is_the_sha256_hex_digest():
    assert hash_secret("token") == hashlib.sha256(b"token").hexdigest()
    assert len(hash_secret(new_secret())) == 64


@pytest.mark.parametrize("value", ["", "é", "\ud800", "x" * 10_000])
def test_any_string_has_a_stored_form(value):
    assert len(hash_secret(value)) == 64


def test_a_presented_secret_matches_its_stored_form():
    secret = new_secret()
    assert secret_matches(secret, hash_secret(secret))


@pytest.mark.parametrize("presented", ["", "other", "TOKEN", "token ", " token"])
def test_another_secret_does_not_match(presented):
    assert not secret_matches(presented, hash_secret("token"))


@pytest.mark.parametrize("stored", [None, ""])
def test_nothing_matches_a_missing_stored_form(stored):
    assert not secret_matches("", stored)
    assert not secret_matches("token", stored)
