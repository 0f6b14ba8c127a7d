"""`idp init` run by every replica at start: at once on an empty database, all succeed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from idp.storage import db
from idp.storage.models import Directory, SigningKey
from tests.cli.helpers import provider, run_idp

REPLICAS = 4

pytestmark = pytest.mark.storage


def test_inits_started_together_on_an_empty_database_all_succeed_once(any_database):
    with ThreadPoolExecutor(REPLICAS) as pool:
        runs = list(pool.map(lambda _: run_idp(any_database, "init"), range(REPLICAS)))

    for run in runs:
        run.assert_ok()
        assert "Database ready" in run.stdout, str(run)
    assert sum("Created directory 'default'" in run.stdout for run in runs) == 1
    with provider(any_database):
        assert db.session.scalar(select(func.count()).select_from(Directory)) == 1
        keys = db.session.execute(select(SigningKey.alg, func.count()).where(
            SigningKey.retired_at.is_(None)).group_by(SigningKey.alg)).all()
        assert dict(keys) == {"RS256": 1, "ES256": 1}
        assert db.session.scalar(select(func.count()).select_from(SigningKey)) == 2
