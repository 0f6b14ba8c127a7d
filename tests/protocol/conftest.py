"""Fixtures of the protocol conformance tests: a client, a user and a strict RP per test."""

from __future__ import annotations

import pytest

from tests.support.live import TestClient, TestDirectory, TestUser
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
