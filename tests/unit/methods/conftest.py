"""Fixtures for the sign-in method tests: an app context and the rows of test users."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from idp.methods import MethodContext
from idp.services import Services, services
from idp.storage import db
from idp.storage.models import Directory, User
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory
from tests.support.live import TestDirectory, TestUser


@pytest.fixture
def svc(app) -> Services:
    """Return the app's services, with an app context pushed for direct database work."""
    with app.app_context():
        yield services()
        db.session.rollback()


@pytest.fixture
def rows(directory: TestDirectory, svc: Services) -> Callable[[TestUser], tuple[Directory, User]]:
    """Return a function giving the Directory and User rows of a test user."""

    def load(user: TestUser) -> tuple[Directory, User]:
        directory_row = get_directory(directory.slug)
        assert directory_row is not None
        user_row = find_user(directory_row, user.username)
        assert user_row is not None
        return directory_row, user_row

    return load


@pytest.fixture
def context(rows, svc: Services) -> Callable[..., MethodContext]:
    """Return a function making the MethodContext of a test user at a chosen time."""

    def make(user: TestUser, now: float) -> MethodContext:
        directory_row, user_row = rows(user)
        return MethodContext(directory=directory_row, user=user_row, now=now,
                             sealer=svc.sealer)

    return make
