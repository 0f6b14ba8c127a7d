"""Fixtures of the protocol conformance tests: a client, a user and a strict RP per test."""

from __future__ import annotations

import pytest
from joserfc.jwk import ECKey, RSAKey

from tests.support.live import TestClient, TestDirectory, TestUser, new_mobile
from tests.support.rp import StrictRP


@pytest.fixture
def client(directory: TestDirectory) -> TestClient:
    """A confidential client (RS256 ID tokens) of the test's directory."""
    return directory.add_client()


@pytest.fixture
def user(directory: TestDirectory) -> TestUser:
    """A user with a password and an authenticator app: 20 + 10 = the default level 30."""
    return directory.add_user(totp=True)


@pytest.fixture
def rp(directory: TestDirectory, client: TestClient) -> StrictRP:
    """The strict relying party of `client`, with its own browser."""
    return StrictRP(directory, client)


@pytest.fixture
def coded_user(directory: TestDirectory) -> TestUser:
    """A user with password, authenticator app, proven phone and proven email, in a
    directory where an SMS and an email code (15 each) alone would make the level 30."""
    directory.set_levels(sms=15, email=15)
    return directory.add_user(totp=True, phone=new_mobile(), email_verified=True)


@pytest.fixture(scope="session")
def rsa_key():
    """An app's RSA key pair (its public half is what the app registers)."""
    return RSAKey.generate_key(2048, auto_kid=True)


@pytest.fixture(scope="session")
def ec_key():
    """An app's P-256 key pair."""
    return ECKey.generate_key("P-256", auto_kid=True)
