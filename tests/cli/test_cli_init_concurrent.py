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
    assert sum("Created directory 'operators'" in run.stdout for run in runs) == 1
    with provider(any_database):
        # One default directory and one operators' directory, each with one key per alg.
        assert sorted(db.session.scalars(select(Directory.slug))) == ["default", "operators"]
        keys = db.session.execute(select(SigningKey.directory_id, SigningKey.alg, func.count())
                                  .where(SigningKey.retired_at.is_(None))
                                  .group_by(SigningKey.directory_id, SigningKey.alg)).all()
        assert sorted(count for _d, _alg, count in keys) == [1, 1, 1, 1]
        assert {alg for _d, alg, _c in keys} == {"RS256", "ES256"}
        assert db.session.scalar(select(func.count()).select_from(SigningKey)) == 4
