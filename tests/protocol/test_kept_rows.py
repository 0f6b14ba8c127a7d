"""A directory kept in memory is handed to each request as its own instance: changing it
in one request changes neither what is kept nor what the next request gets, and it
behaves as a loaded row (clean until changed, and a change updates its row)."""

from __future__ import annotations

import pytest

from idp.storage import db
from idp.storage.models import Directory
from idp.tenants.directories import serving_directory

pytestmark = pytest.mark.storage



def served(slug: str) -> Directory:
    return serving_directory(slug)


def test_a_change_to_a_served_instance_reaches_neither_memory_nor_the_next_request(
        app, directory):
    with app.app_context():
        served(directory.slug)  # now kept
    with app.app_context():
        row = served(directory.slug)
        original = dict(row.points)
        row.points["password"] = 999
        row.points.clear()
        db.session.rollback()
    with app.app_context():
        assert served(directory.slug).points == original


def test_a_served_instance_is_clean_and_a_change_to_it_updates_its_row(app, directory):
    with app.app_context():
        served(directory.slug)
    with app.app_context():
        row = served(directory.slug)
        assert row in db.session
        assert not db.session.dirty and not db.session.new
        assert served(directory.slug) is row  # one instance per session
        row_id = row.id
        row.name = "Renamed"
        db.session.commit()
    with app.app_context():
        assert db.session.get(Directory, row_id).name == "Renamed"
