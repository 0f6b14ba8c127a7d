"""The installation's directories as its operator runs them: add, list, rename, disable,
enable and remove (``idp directory ...``).

Disabling ends every browser session of the directory and revokes every token grant
(``idp.users.sessions.end_sessions``); while ``disabled_at`` is set, each request under
/d/<slug>/ is refused where the directory is loaded (``idp.web.context``). Enabling only
clears the mark: what disabling ended stays ended.

Removing deletes every row the directory holds, found from the schema itself: each table
that refers to the directory, or to a row held by it, through a foreign key that deletes
with its parent. Tables of sign-in method packages are found the same way, so a new
method's table is removed without being named here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, delete, func, or_, select

from .. import audit
from ..security.passwords import PasswordService
from ..security.sealing import Sealer
from ..storage import db
from ..storage.models import AuditEvent, Client, Directory, User
from ..tenants.account_client import ACCOUNT_CLIENT_ID
from ..tenants.directories import clean_directory_name, create_directory
from ..users.sessions import Ended, end_sessions
from .users import create_invited_user

#: Who made an operator's change, as the directory's audit log shows it (its agent column):
#: the command line, or the operator console with the operator's username.
BY_CLI = "idp cli"


@dataclass(frozen=True)
class DirectorySummary:
    """What an operator sees of a directory in the list."""

    slug: str
    name: str
    disabled_at: float | None
    users: int
    #: The relying apps, not the provider's own account page client.
    apps: int
    required_level: int
    created_at: float
    #: When its audit log last recorded something other than the operator's own changes.
    last_activity: float | None


def summarize_directories(slug: str | None = None) -> list[DirectorySummary]:
    """Return every directory (or the one named) with its counts, by slug."""
    users = select(User.directory_id, func.count(User.id).label("n")) \
        .group_by(User.directory_id).subquery()
    apps = select(Client.directory_id, func.count(Client.id).label("n")).where(
        Client.client_id != ACCOUNT_CLIENT_ID).group_by(Client.directory_id).subquery()
    activity = select(AuditEvent.directory_id, func.max(AuditEvent.at).label("at")).where(
        AuditEvent.event.not_like("directory.%")).group_by(AuditEvent.directory_id).subquery()
    query = select(Directory, users.c.n, apps.c.n, activity.c.at) \
        .outerjoin(users, users.c.directory_id == Directory.id) \
        .outerjoin(apps, apps.c.directory_id == Directory.id) \
        .outerjoin(activity, activity.c.directory_id == Directory.id).order_by(Directory.slug)
    if slug is not None:
        query = query.where(Directory.slug == slug)
    return [DirectorySummary(d.slug, d.name, d.disabled_at, n_users or 0, n_apps or 0,
                             d.required_level, d.created_at, at)
            for d, n_users, n_apps, at in db.session.execute(query)]


def add_directory(slug: str, name: str, *, sealer: Sealer, now: float,
                  admin_email: str | None = None, passwords: PasswordService | None = None,
                  by: str = BY_CLI) -> tuple[Directory, User | None]:
    """Create a directory as ``idp init`` creates `default`, with an invited first admin
    when an email address is given (username = that address); audit both. Not committed:
    the caller sends the invitation once this is."""
    directory = create_directory(slug, name, sealer, now)
    audit.record(directory.id, audit.events.DIRECTORY_CREATED, now, name=directory.name,
                 user_agent=by)
    admin = None
    if admin_email is not None:
        if passwords is None:
            raise ValueError("creating an admin needs the password service")
        admin = create_invited_user(directory, None, username=admin_email.strip(), name=None,
                                    email=admin_email, phone=None, is_admin=True, now=now,
                                    passwords=passwords)
    return directory, admin


def rename_directory(directory: Directory, name: str, now: float, by: str = BY_CLI) -> bool:
    """Give the directory a new display name; audit it. Say whether it changed."""
    name = clean_directory_name(name)
    if name == directory.name:
        return False
    audit.record(directory.id, audit.events.DIRECTORY_RENAMED, now, user_agent=by,
                 before={"name": directory.name}, after={"name": name})
    directory.name = name
    return True


def disable_directory(directory: Directory, now: float, by: str = BY_CLI) -> Ended | None:
    """Refuse the directory's requests from now on, end its sessions and revoke its tokens.

    Returns what was ended, or None when it was disabled already.
    """
    if directory.disabled_at is not None:
        return None
    directory.disabled_at = now
    ended = end_sessions(directory, None, now, "directory disabled", everyone=True)
    audit.record(directory.id, audit.events.DIRECTORY_DISABLED, now, user_agent=by,
                 sessions=ended.sessions, grants=ended.grants)
    return ended


def enable_directory(directory: Directory, now: float, by: str = BY_CLI) -> bool:
    """Serve the directory again; say whether it was disabled."""
    if directory.disabled_at is None:
        return False
    directory.disabled_at = None
    audit.record(directory.id, audit.events.DIRECTORY_ENABLED, now, user_agent=by)
    return True


def _held_by(table: Table, directory_id: int,
             known: dict[str, ColumnElement[bool] | None]) -> ColumnElement[bool] | None:
    """Return the condition on `table`'s rows held by the directory (None: it holds none).

    A row is held when a foreign key that deletes with its parent (ON DELETE CASCADE)
    points at the directory, or at a row the directory holds.
    """
    if table.name not in known:
        known[table.name] = None  # a cycle back here adds nothing
        conditions = []
        for key in table.foreign_keys:
            if (key.ondelete or "").upper() != "CASCADE":
                continue
            parent = key.column.table
            if parent is Directory.__table__:
                conditions.append(key.parent == directory_id)
                continue
            held = _held_by(parent, directory_id, known)
            if held is not None:
                conditions.append(key.parent.in_(select(key.column).where(held)))
        known[table.name] = or_(*conditions) if conditions else None
    return known[table.name]


def remove_directory(directory: Directory) -> dict[str, int]:
    """Delete the directory and every row it holds; return the rows deleted per table.

    Children go before their parents, so this does not rest on the database's own
    cascades (which SQLite applies only with its foreign keys switched on).
    """
    known: dict[str, ColumnElement[bool] | None] = {}
    deleted: dict[str, int] = {}
    directory_id = directory.id
    for table in reversed(db.metadata.sorted_tables):
        if table is Directory.__table__:
            continue
        held = _held_by(table, directory_id, known)
        if held is None:
            continue
        count = db.session.execute(delete(table).where(held)
                                   .execution_options(synchronize_session=False)).rowcount
        if count:
            deleted[table.name] = count
    db.session.execute(delete(Directory).where(Directory.id == directory_id)
                       .execution_options(synchronize_session=False))
    db.session.expunge_all()
    return deleted

