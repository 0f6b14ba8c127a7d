"""The person's recent activity: their audit events in words people use."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from flask_babel import gettext
from sqlalchemy import select

from ...admin.audit_log import DESCRIPTIONS
from ...methods.device import device_name
from ...services import services
from ...storage import db
from ...storage.models import AuditEvent, Client, User
from ...tenants.account_client import ACCOUNT_CLIENT_ID
from ...users.profile import recent_activity

#: The events shown (the rest, such as each code sent, are detail for the admins).
SHOWN = ("login", "logout", "login.denied", "method.enrolled", "method.removed",
         "method.renamed", "method.failed", "recovery_codes.issued", "device.remembered",
         "device.revoked", "session.ended", "profile.name_changed", "profile.email_changed",
         "profile.phone_changed", "profile.password_changed", "passkey.clone_warning",
         "app.activated", "app.removed", "app.approved", "app.denied", "app.refused",
         "consent.withdrawn")
#: Events of which every kind is shown.
SHOWN_PREFIXES = ("admin.",)


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
    """Return what happened, in the page's language."""
    detail = event.detail or {}
    name = str(detail.get("name") or detail.get("device") or detail.get("passkey") or "")
    texts = {
        "login": lambda: gettext("Logged in to %(app)s (level %(level)s)",
                                 app=_app(event, clients), level=detail.get("acr", "?")),
        "logout": lambda: gettext("Logged out"),
        "login.denied": lambda: gettext("You said in the app that a login was not you"),
        "method.enrolled": lambda: gettext("Sign-in method added: %(method)s",
                                           method=_method(detail)),
        "method.removed": lambda: gettext("Sign-in method removed: %(method)s",
                                          method=_method(detail)),
        "method.renamed": lambda: gettext("Sign-in method renamed: %(name)s", name=name),
        "method.failed": lambda: gettext("Failed check: %(method)s", method=_method(detail)),
        "recovery_codes.issued": lambda: gettext("New recovery codes created"),
        "device.remembered": lambda: gettext("This device was remembered"),
        "device.revoked": lambda: gettext("Remembered device forgotten: %(name)s", name=name),
        "session.ended": lambda: (
            gettext("Other sessions ended: %(count)s", count=detail.get("count", 0))
            if detail.get("others") else gettext("A session was ended")),
        "profile.name_changed": lambda: gettext("Name changed"),
        "profile.email_changed": lambda: gettext("Email address changed"),
        "profile.phone_changed": lambda: gettext("Phone number changed"),
        "profile.password_changed": lambda: gettext("Password changed"),
        "passkey.clone_warning": lambda: gettext(
            "A passkey looked copied and was refused: %(name)s", name=name),
        "app.activated": lambda: gettext("App activated: %(name)s", name=name),
        "app.removed": lambda: gettext("App removed: %(name)s", name=name),
        "app.approved": lambda: gettext("Login approved in the app"),
        "app.denied": lambda: gettext("Login refused in the app"),
        "app.refused": lambda: gettext("A wrong number was picked in the app"),
        "consent.withdrawn": lambda: gettext("Access removed for %(app)s",
                                             app=_app(event, clients)),
    }
    text = texts.get(event.event)
    if text is not None:
        return text()
    # The admin audit log's descriptions (``idp.admin.audit_log``) name every other event.
    known = DESCRIPTIONS.get(event.event)
    if event.event.startswith("admin."):
        return gettext("By an administrator: %(what)s",
                       what=gettext(known) if known else event.event)
    return gettext(known) if known else event.event


def activity_of(user: User) -> list[Activity]:
    """Return the person's last 20 shown events, newest first."""
    events = recent_activity(user, SHOWN, SHOWN_PREFIXES)
    ids = {e.client_id for e in events if e.client_id}
    clients = dict(db.session.execute(select(Client.client_id, Client.name).where(
        Client.directory_id == g.directory.id, Client.client_id.in_(ids))).all()) if ids else {}
    return [Activity(e.at, describe(e, clients),
                     device_name(e.user_agent) if e.user_agent else None, e.ip)
            for e in events]
