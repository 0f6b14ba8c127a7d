"""`idp purge`: expired rows go, live ones stay, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from idp.directories import get_directory
from idp.sessions import start_session
from idp.storage import db
from idp.storage.models import BrowserSession, Interaction, WebAuthnChallenge
from tests.cli.helpers import provider, run_idp

NOW = time.time()


def _seed(database_url: str) -> None:
    """One expired and one live session, each with a pending login and a passkey challenge."""
    with provider(database_url):
        directory = get_directory("default")
        for label, at in (("old", NOW - 30 * 86400), ("live", NOW)):
            session, _token = start_session(directory, at, 3600, "127.0.0.1", label)
            db.session.add(Interaction(id=f"{label}-login", directory_id=directory.id,
                                       session_id=session.id, params={}, state={},
                                       created_at=at, expires_at=at + 1800))
            db.session.add(WebAuthnChallenge(session_id=session.id, purpose="login",
                                             challenge="00", created_at=at, expires_at=at + 300))
        db.session.commit()


def _count(database_url: str, model) -> int:
    with provider(database_url):
        return db.session.scalar(select(func.count()).select_from(model))


def test_purge_deletes_what_expired_and_keeps_what_lives(any_database, idp):
    idp(any_database, "init").assert_ok()
    _seed(any_database)

    run = run_idp(any_database, "purge").assert_ok()

    assert "deleted 1 browser sessions" in run.stdout
    assert "deleted 1 interactions" in run.stdout
    assert _count(any_database, BrowserSession) == 1
    assert _count(any_database, Interaction) == 1
    assert _count(any_database, WebAuthnChallenge) == 1


def test_a_dry_run_counts_and_deletes_nothing(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()
    _seed(sqlite_url)

    run = idp(sqlite_url, "purge", "--dry-run").assert_ok()

    assert "would delete 1 browser sessions" in run.stdout
    assert _count(sqlite_url, BrowserSession) == 2
