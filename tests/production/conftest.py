"""Fixtures of the production tests: the provider as deployed, gunicorn worker processes.

What only shows in production mode or between processes (production-only headers and
checks, outages of the database or Redis, the error log) is tested here against real
`gunicorn 'idp:create_app()'` processes (tests/support/gunicorn.py).
"""

from __future__ import annotations

import pytest

from tests.support.gunicorn import PRODUCTION, GunicornProvider
from tests.support.live import TestDirectory, new_directory


@pytest.fixture(scope="module")
def https_provider(database_url_factory):
    """A production instance over TLS (https://localhost:PORT), 2 workers, on SQLite."""
    provider = GunicornProvider({**PRODUCTION, "IDP_DATABASE_URL": database_url_factory("sqlite")},
                                workers=2, tls=True)
    with provider:
        yield provider


@pytest.fixture(scope="module")
def https_directory(https_provider) -> TestDirectory:
    """A directory of the production instance, with one confidential client."""
    directory = new_directory(https_provider)
    directory.add_client()
    return directory

