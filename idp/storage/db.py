"""The Flask-SQLAlchemy handle shared by every model, and work deferred to a commit."""

import logging
from collections.abc import Callable

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
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


def reads_only() -> None:
    """Run the session's next statements on PostgreSQL without a transaction around them
    (autocommit), until it commits, rolls back or closes: no BEGIN and no ROLLBACK, each a
    round trip, for a request that only reads. Each statement then sees what was committed
    before it, as under PostgreSQL's READ COMMITTED it would anyway. Call it before the
    session's first statement; a request that may write more than one statement at once
    must not. SQLite, in the process, gains nothing by it and is left as it is."""
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


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
