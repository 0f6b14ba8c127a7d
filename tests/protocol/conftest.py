"""Fixtures of the protocol conformance tests: a client, a user and a strict RP per test."""

from __future__ import annotations

import time

import pytest

import idp.clock
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


class _ShiftedTime:
    """Stands in for the `time` module in idp.clock: real time plus an offset."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def provider_clock(monkeypatch):
    """Return a function that moves the provider's clock forward by some seconds.

    Used instead of sleeping where a test needs a later auth_time or the next TOTP
    window; the provider and the test users' authenticator apps share this clock.
    """
    shifted = _ShiftedTime()
    monkeypatch.setattr(idp.clock, "time", shifted)

    def advance(seconds: float) -> None:
        shifted.offset += seconds

    return advance
