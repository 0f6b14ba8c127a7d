"""The SQL a live provider's own threads run, watched from a test."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from sqlalchemy import event

from idp.storage import db


@contextmanager
def watching(app, note):
    """Call ``note(cursor, statement)`` before each statement the provider's own threads
    run meanwhile (not this test's)."""
    here = threading.get_ident()

    def before(_conn, cursor, statement, *_args):
        if threading.get_ident() != here:
            note(cursor, statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
