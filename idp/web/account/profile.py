"""Your account: personal information, sign-in methods, sessions, devices, apps and activity.

This module shows the overview; each group of changes is its own module (imported at
the end so that its routes register): ``profile_details`` (name, email, phone),
``profile_methods`` (set up a method), ``profile_removal`` (remove or rename one),
``profile_password``, ``profile_sessions`` (sessions and remembered devices) and
``profile_apps`` (remove the access of an app the person allowed to see their details).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, url_for

from ...clock import now
from ...domain import METHODS, reaching_combinations
from ...methods.device import device_name
from ...methods.recovery import RecoveryCodes
from ...services import services
from ...storage import db
from ...storage.models import BrowserSession, User
from ...tenants.asked_claims import asked_claims
from ...tenants.directories import level_settings
from ...users.claims import stored_claims
from ...users.consents import list_app_access
from ...users.enrolments import Enrolment, counting_methods, list_enrolments
from ...users.profile import Removal, removal_effect
from ...users.sessions import sessions_of
from ..claims_form import claim_summary
from ..context import current_session
from ..login.remember import this_device
from . import account
from .gate import current_user, signed_in_page
from .profile_activity import activity_of
from .profile_common import enrollable, render

#: How stale "last seen" of this browser's session may be before the overview updates it.
SEEN_EVERY = 60.0


@dataclass(frozen=True)
class SessionView:
    """A session as the overview lists it."""

    row: BrowserSession
    device: str
    current: bool


def _sessions(user: User, at: float) -> list[SessionView]:
    mine = current_session()
    if mine is not None and mine.last_seen_at < at - SEEN_EVERY:
        mine.last_seen_at = at
        db.session.commit()
    return [SessionView(row, device_name(row.user_agent), mine is not None and row.id == mine.id)
            for row in sessions_of(user, at)]


def _additions(user: User, items: list[Enrolment]) -> list[tuple[str, str]]:
    """Return the methods the person can add now, as each method says
    (``SignInMethod.profile_addition``), of those worth points: (URL, link text)."""
    settings, methods = level_settings(g.directory), services().methods
    links = []
    for name in METHODS:
        addition = methods[name].profile_addition(user, items) if name in methods else None
        if addition is not None and settings.points_of(name) > 0:
            links.append((url_for(addition.endpoint, **addition.values), addition.text))
    return links


def _recovery_codes() -> RecoveryCodes:
    return services().methods["recovery"]  # type: ignore[return-value]


@account.get("/account/")
@signed_in_page()
def profile():
    """Show the person's account."""
    user, at = current_user(), now()
    settings = level_settings(g.directory)
    if _recovery_codes().rehash_stored(user.id):  # old SHA-256 codes: see idp.methods.recovery
        db.session.commit()
    items = list_enrolments(user, at, services().methods)
    removals: dict[str, Removal | None] = {
        item.key: removal_effect(settings, items, item.key, enrollable())
        for item in items if item.removable and item.method != "device"}
    shown = reaching_combinations(settings, counting_methods(items))[:4]
    return render("account/profile.html",
                  items=[i for i in items if i.method != "device"],
                  devices=[i for i in items if i.method == "device"],
                  this_device=this_device(user),
                  combinations=[(" + ".join(str(services().methods[m].title) for m in c.methods),
                                 c.points)
                                for c in shown],
                  removals=removals, additions=_additions(user, items),
                  sessions=_sessions(user, at), apps=list_app_access(user),
                  activity=activity_of(user), asks_claims=bool(asked_claims(g.directory)),
                  given=claim_summary(asked_claims(g.directory), stored_claims(user)))


# The page groups register their routes on import.
from . import (  # noqa: E402
    profile_apps,
    profile_details,
    profile_methods,
    profile_password,
    profile_removal,
    profile_sessions,
)

__all__ = ["profile", "profile_apps", "profile_details", "profile_methods", "profile_password",
           "profile_removal", "profile_sessions"]
