"""Fixtures for the security tests that use the database: an app context and the services."""

from __future__ import annotations

import pytest

from idp.services import Services, services
from idp.storage import db


@pytest.fixture
def svc(app) -> Services:
    """Return the app's services, with an app context pushed for direct database work."""
    with app.app_context():
        yield services()
        db.session.rollback()
