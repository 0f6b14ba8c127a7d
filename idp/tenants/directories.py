"""Directories: creation, lookup, level settings and issuer URLs."""

from __future__ import annotations

import re

from flask_babel import gettext
from sqlalchemy import select, update

from ..domain import (
    DEFAULT_POINTS,
    DEFAULT_REQUIRED_LEVEL,
    DestinationPolicy,
    LevelSettings,
    policy_from_mapping,
    policy_to_mapping,
)
from ..domain.lifetimes import SessionLifetimes
from ..security.sealing import Sealer
from ..storage import db
from ..storage.kept import KeptRows
from ..storage.models import BrowserSession, Directory
from .keys import ensure_keys

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
#: The directory of the installation's operators (as Keycloak's master realm): its admins
#: run the operator console; `idp init` creates it.
OPERATOR_DIRECTORY = "operators"
MAX_NAME = 200


class DirectoryError(ValueError):
    """A directory cannot be created or changed as asked; `field` names the value at fault
    (``slug`` or ``name``)."""

    def __init__(self, message: str, field: str = "slug"):
        super().__init__(message)
        self.field = field


def get_directory(slug: str) -> Directory | None:
    """Return the directory with this slug, if any."""
    if not SLUG_PATTERN.match(slug or ""):
        return None
    return db.session.scalars(select(Directory).where(Directory.slug == slug)).first()


_serving: KeptRows[Directory] = KeptRows(Directory)


def serving_directory(slug: str, attached: bool = True) -> Directory | None:
    """Return the directory a request names, from this process's memory while it is fresh
    (at most IDP_CACHE_SECONDS, see ``idp.storage.kept``); otherwise as ``get_directory``.

    What is kept is the row's values: each request gets its own instance of them in its
    session, as if loaded, without a query; not `attached`, in no session, for a request
    that reads its columns only.
    """
    return _serving.get(db.session if attached else None, slug, lambda: get_directory(slug))


def serves(directory: Directory | None) -> bool:
    """Say whether a directory a request names serves it (it exists and is not disabled)."""
    return directory is not None and directory.disabled_at is None


def clean_directory_name(name: str | None) -> str:
    """Return the display name without surrounding spaces; refuse an empty or odd one."""
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise DirectoryError(gettext("A directory's name is 1 to %(most)s printable "
                                     "characters.", most=MAX_NAME), "name")
    return name


def create_directory(slug: str, name: str, sealer: Sealer, now: float) -> Directory:
    """Create a directory with default levels and fresh signing keys."""
    if not SLUG_PATTERN.match(slug or ""):
        raise DirectoryError(gettext("A slug is 1 to 64 lowercase letters (a-z), digits and "
                                     "inner hyphens: it is part of the directory's addresses."))
    name = clean_directory_name(name)
    if get_directory(slug) is not None:
        raise DirectoryError(gettext("A directory %(slug)s already exists.", slug=repr(slug)))
    lifetimes = SessionLifetimes()
    directory = Directory(slug=slug, name=name, required_level=DEFAULT_REQUIRED_LEVEL,
                          points=dict(DEFAULT_POINTS), session_hours=lifetimes.hours,
                          session_idle_minutes=lifetimes.idle_minutes, created_at=now)
    db.session.add(directory)
    db.session.flush()
    ensure_keys(directory.id, sealer, now)
    return directory


def ensure_directory(slug: str, name: str, sealer: Sealer,
                     now: float) -> tuple[Directory, bool]:
    """Return the directory with active keys, creating it if it is missing; say whether it
    was just created."""
    directory = get_directory(slug)
    if directory is None:
        return create_directory(slug, name, sealer, now), True
    ensure_keys(directory.id, sealer, now)
    return directory, False


def ensure_default_directory(sealer: Sealer, now: float) -> tuple[Directory, bool]:
    """Return the `default` directory with active keys; say whether it was just created."""
    return ensure_directory("default", "Default", sealer, now)


def ensure_operator_directory(sealer: Sealer, now: float) -> tuple[Directory, bool]:
    """Return the operators' directory with active keys; say whether it was just created."""
    return ensure_directory(OPERATOR_DIRECTORY, "Operators", sealer, now)


def is_operator_directory(directory: Directory) -> bool:
    """Say whether this is the directory whose admins operate the installation."""
    return directory.slug == OPERATOR_DIRECTORY


def level_settings(directory: Directory) -> LevelSettings:
    """Return the directory's authentication level settings."""
    points = dict(DEFAULT_POINTS)
    points.update(directory.points or {})
    return LevelSettings.from_mapping(directory.required_level, points,
                                      directory.counts_for or {})


def update_levels(directory: Directory, required_level: int | None,
                  points: dict[str, int] | None,
                  counts_for: dict[str, int | None] | None = None) -> LevelSettings:
    """Validate and store new level settings (raises the domain's InvalidSettings); what is
    left out (None) stays as it is."""
    updated = level_settings(directory).with_changes(required_level, points, counts_for)
    directory.required_level = updated.required_level
    directory.points = dict(updated.points)
    directory.counts_for = {method: seconds for method, seconds in updated.counts_for.items()
                            if seconds is not None} or None
    return updated


def sms_policy(directory: Directory) -> DestinationPolicy:
    """Return where the directory sends SMS codes (the safe default unless its admin chose)."""
    return policy_from_mapping((directory.destination_policy or {}).get("sms"))


def set_sms_policy(directory: Directory, policy: DestinationPolicy) -> None:
    """Store the directory's SMS destination policy; the default is stored as nothing, so a
    later, safer default applies to it. Other channels' entries are kept."""
    stored = dict(directory.destination_policy or {})
    if policy.is_default:
        stored.pop("sms", None)
    else:
        stored["sms"] = policy_to_mapping(policy)
    directory.destination_policy = stored or None


def session_lifetimes(directory: Directory) -> SessionLifetimes:
    """Return how long the directory's browser sessions live, overall and unused."""
    return SessionLifetimes(directory.session_hours, directory.session_idle_minutes)


def update_session_lifetimes(directory: Directory, hours: int | None,
                             idle_minutes: int | None) -> SessionLifetimes:
    """Validate and store new session lifetimes (raises the domain's InvalidLifetimes).

    They hold at once for the sessions already open: a live session ends its new
    lifetime after it started, sooner or later than it would have.
    """
    current = session_lifetimes(directory)
    updated = SessionLifetimes(current.hours if hours is None else hours,
                               current.idle_minutes if idle_minutes is None else idle_minutes)
    directory.session_hours = updated.hours
    directory.session_idle_minutes = updated.idle_minutes
    if updated.hours != current.hours:
        db.session.execute(update(BrowserSession).where(
            BrowserSession.directory_id == directory.id, BrowserSession.ended_at.is_(None))
            .values(expires_at=BrowserSession.created_at + updated.absolute_seconds)
            .execution_options(synchronize_session=False))
    return updated


def issuer_of(directory: Directory, base_url: str) -> str:
    """Return the directory's issuer identifier (OIDC Discovery 4.1)."""
    return f"{base_url}/d/{directory.slug}"
