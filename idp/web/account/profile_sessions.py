"""The person's active sessions and remembered devices: end one, end the others, forget one.

Only the person's own rows are found (another id is 404); ending this browser's own
session logs it out.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext, ngettext

from ... import audit
from ...clock import now
from ...methods.device import device_name
from ...services import services
from ...storage import db
from ...storage.models import BrowserSession
from ...users.enrolments import find_enrolment, list_enrolments, remove_enrolment
from ...users.profile import find_session
from ...users.sessions import end_sessions
from ..context import client_ip, current_session
from . import account
from .gate import current_user, signed_in_page
from .profile_common import record, render, row_id


def _session(sid: str) -> BrowserSession:
    row = find_session(current_user(), row_id(sid), now())
    if row is None:
        abort(404, gettext("There is no such session of yours."))
    return row


def _is_current(row: BrowserSession) -> bool:
    mine = current_session()
    return mine is not None and mine.id == row.id


@account.get("/account/sessions/<sid>/end")
@signed_in_page()
def profile_end_session_page(sid: str):
    """Ask to confirm ending one session."""
    row = _session(sid)
    return render("account/profile_confirm.html", action=url_for(
        "account.profile_end_session", sid=row.id),
        heading=gettext("End this session?"),
        text=gettext("%(device)s will be logged out, and apps you signed in to from it must "
                     "log in again.", device=device_name(row.user_agent)),
        button=gettext("End the session"))


@account.post("/account/sessions/<sid>/end")
@signed_in_page()
def profile_end_session(sid: str):
    """End one of the person's sessions and the apps' tokens from it; this browser's logs out."""
    row = _session(sid)
    current = _is_current(row)
    end_sessions(g.directory, row.user_id, now(), "session_ended", only=row.id, ip=client_ip())
    record(audit.events.SESSION_ENDED, session=row.id, current=current)
    db.session.commit()
    if current:
        g.clear_session_cookie = True
        return render_template("logged_out.html", directory=g.directory)
    flash(gettext("The session was ended: %(device)s is logged out.",
                  device=device_name(row.user_agent)))
    return redirect(url_for("account.profile"))


@account.get("/account/sessions/end-others")
@signed_in_page()
def profile_end_others_page():
    """Ask to confirm ending every other session."""
    return render("account/profile_confirm.html", action=url_for("account.profile_end_others"),
                  heading=gettext("End all other sessions?"),
                  text=gettext("Every other browser where you are logged in will be logged out, "
                               "and apps you signed in to from them must log in again. "
                               "This browser stays logged in."),
                  button=gettext("End all other sessions"))


@account.post("/account/sessions/end-others")
@signed_in_page()
def profile_end_others():
    """End every session of the person but this browser's, and the apps' tokens from them."""
    mine = current_session()
    ended = end_sessions(g.directory, current_user().id, now(), "other_sessions_ended",
                         keep=mine.id if mine else None, ip=client_ip())
    record(audit.events.SESSION_ENDED, others=True, count=ended.sessions)
    db.session.commit()
    flash(ngettext("%(num)s other session was ended.", "%(num)s other sessions were ended.",
                   ended.sessions))
    return redirect(url_for("account.profile"))


def _device(did: str):
    key = f"device:{row_id(did)}"
    item = find_enrolment(list_enrolments(current_user(), now(), services().methods), key)
    if item is None:
        abort(404, gettext("There is no such remembered device of yours."))
    return item


@account.get("/account/devices/<did>/forget")
@signed_in_page()
def profile_forget_device_page(did: str):
    """Ask to confirm forgetting a remembered device."""
    item = _device(did)
    return render("account/profile_confirm.html", action=url_for(
        "account.profile_forget_device", did=did),
        heading=gettext("Forget this device?"),
        text=gettext("%(device)s will ask for all your checks again at its next login.",
                     device=item.label),
        button=gettext("Forget the device"))


@account.post("/account/devices/<did>/forget")
@signed_in_page()
def profile_forget_device(did: str):
    """Stop a remembered device from counting at the next login."""
    item = _device(did)
    remove_enrolment(current_user(), item.key, now(), services().methods)
    record(audit.events.DEVICE_REVOKED, device=item.label)
    db.session.commit()
    flash(gettext("The device was forgotten: %(device)s.", device=item.label))
    return redirect(url_for("account.profile"))
