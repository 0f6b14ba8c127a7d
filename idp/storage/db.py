"""The Flask-SQLAlchemy handle shared by every model, where PostgreSQL transactions begin,
and work deferred to a commit."""

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

import psycopg
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

_AFTER_COMMIT = "idp_after_commit"
log = logging.getLogger(__name__)


#: A SELECT that holds rows until its transaction ends (``FOR UPDATE``, ``FOR SHARE``...).
_HOLDS_ROWS = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b",
                         re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def needs_transaction(statement: str) -> bool:
    """Return whether PostgreSQL must run `statement` inside the transaction: anything but
    a SELECT that holds no rows (a write, a lock, a ``SET LOCAL``, a ``WITH`` that may
    write)."""
    return statement.lstrip()[:6].upper() != "SELECT" or bool(_HOLDS_ROWS.search(statement))


def begin_at_first_write(engine: Engine) -> None:
    """Open PostgreSQL transactions at their first write, not at their first statement.

    The statements before it, which only read, run without a transaction around them
    (psycopg's autocommit): no BEGIN before a request's first read and no ROLLBACK after a
    request that only read, each a round trip. Nothing a read sees changes: under READ
    COMMITTED (the provider's, PostgreSQL's default) each statement sees what was committed
    before it began, in a transaction or not, and a plain SELECT holds no lock. The first
    statement that writes or holds rows (``needs_transaction``) begins the transaction;
    every statement after it, reads included, runs in it until the commit or rollback, so
    writes stay all or nothing. SQLite's driver already begins at the first write.

    A SELECT run for what it does to its transaction (``pg_advisory_xact_lock``, a local
    ``set_config``) would end with its own statement: run it after a write.
    """
    idle = psycopg.pq.TransactionStatus.IDLE

    def before(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        connection = cursor.connection
        if connection.pgconn.transaction_status != idle:
            return  # in the transaction (or its failure) until it ends
        reading = not needs_transaction(statement)
        if connection.autocommit != reading:
            connection.autocommit = reading

    event.listen(engine, "before_cursor_execute", before)


def current_session() -> Session | None:
    """Return the session of the current application context (a request's), or None when
    nothing in it has used one yet."""
    return db.session() if db.session.registry.has() else None


def commit_keeping_loaded() -> None:
    """Commit the session's transaction without expiring the rows it has loaded.

    For a transaction that writes rows through the session's own instances (what they hold
    is what was written; values the database makes itself the ORM expires on its own) or
    rows the session holds no instances of (read as plain rows, as the failure budgets are):
    the request's rows (its user, browser session, interaction, directory) then need no
    second read after it. They keep the values this request read and wrote, as if the
    transaction had not been committed between. An instance whose row a statement changed
    behind the session's back (``synchronize_session=False``) keeps its old values: nothing
    after such a commit may read them.
    """
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def after_commit(action: Callable[[], None]) -> None:
    """Run `action` once the current transaction of the session commits.

    A rollback, or a session closed without a commit, drops it: what depends on rows of
    this transaction (a message carrying a code stored in it) never happens for rows that
    were not kept. The action runs in the committing thread right after the commit and
    must not use the session; it should be quick (hand work to another thread).
    Savepoints are not tracked: an action added inside one waits for the outer commit.
    """
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that ending it, either way, is seen
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction may still roll back
    for action in session.info.pop(_AFTER_COMMIT, []):
        try:
            action()
        except Exception:  # the commit stands; one failed action must not stop the others
            log.exception("an action after a commit failed")


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)  # rolled back or closed: nothing to run
