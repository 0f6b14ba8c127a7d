"""The SQL and connections of a live provider, watched from a test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from idp.storage import db


@contextmanager
def listening(app, **listeners: Callable[..., Any]):
    """Listen to the app's engine meanwhile: ``listening(app, checkout=fn)`` calls `fn` on
    each of the engine's (or its pool's) ``checkout`` events, and so on for every name."""
    with app.app_context():
        engine = db.engine
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)


@contextmanager
def watching(app, note):
    """Call ``note(cursor, statement)`` before each statement the provider's own threads
    run meanwhile (not this test's)."""
    here = threading.get_ident()

    def before(_conn, cursor, statement, *_args):
        if threading.get_ident() != here:
            note(cursor, statement)

    with listening(app, before_cursor_execute=before):
        yield
