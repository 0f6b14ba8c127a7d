"""Fixtures of the web tests: one directory per module for tests that only read."""

from __future__ import annotations

import pytest

from tests.support.live import new_directory
from tests.support.rp import StrictRP


@pytest.fixture(scope="module")
def shared_directory(live):
    """A directory shared by a module's tests that send bad input and change nothing."""
    return new_directory(live)


@pytest.fixture(scope="module")
def shared_client(shared_directory):
    """A confidential client of the shared directory."""
    return shared_directory.add_client()


@pytest.fixture(scope="module")
def shared_user(shared_directory):
    """A user with password and authenticator app in the shared directory."""
    return shared_directory.add_user(totp=True)


@pytest.fixture
def rp(directory):
    """A strict relying party of a new client of the test's own directory."""
    return StrictRP(directory, directory.add_client())
