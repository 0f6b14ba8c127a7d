"""The person's recent activity: their audit events in words people use.

Which events a person sees, and what each says to them, is the vocabulary's
(``idp.audit.events``); this module fills in the app, level, method and names.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from flask_babel import gettext
from sqlalchemy import select

from ...audit import events
from ...methods.device import device_name
from ...services import services
from ...storage import db
from ...storage.models import AuditEvent, Client, User
from ...tenants.account_client import ACCOUNT_CLIENT_ID
from ...users.profile import recent_activity

#: The events the person sees (the rest, such as each code sent, are detail for the admins).
SHOWN = events.shown_names()


@dataclass(frozen=True)
class Activity:
    """One line of the recent activity."""

    at: float
    text: str
    browser: str | None
    ip: str | None


def _method(detail: dict) -> str:
    method = services().methods.get(str(detail.get("method")))
    return str(method.title) if method is not None else gettext("a sign-in method")


def _app(event: AuditEvent, clients: dict[str, str]) -> str:
    if event.client_id == ACCOUNT_CLIENT_ID:
        return gettext("your account")
    return clients.get(event.client_id or "", event.client_id or gettext("an app"))


def describe(event: AuditEvent, clients: dict[str, str]) -> str:
    """Return what happened, in the page's language, as the vocabulary says it to people."""
    declared = events.find_event(event.event)
    detail = event.detail or {}
    text = declared.user_text_for(detail) if declared is not None else None
    if declared is None or text is None:  # not a shown event (any more): say its name
        return event.event
    name = str(detail.get("name") or detail.get("device") or detail.get("passkey") or "")
    return gettext(text, app=_app(event, clients), level=detail.get("acr", "?"),
                   method=_method(detail), name=name, count=detail.get("count", 0),
                   what=gettext(declared.admin_text))


def activity_of(user: User) -> list[Activity]:
    """Return the person's last 20 shown events, newest first."""
    found = recent_activity(user, SHOWN)
    ids = {e.client_id for e in found if e.client_id}
    clients = dict(db.session.execute(select(Client.client_id, Client.name).where(
        Client.directory_id == g.directory.id, Client.client_id.in_(ids))).all()) if ids else {}
    return [Activity(e.at, describe(e, clients),
                     device_name(e.user_agent) if e.user_agent else None, e.ip)
            for e in found]
