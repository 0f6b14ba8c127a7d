"""Change the password: the current one, then the new one twice; other sessions end, and
the apps' tokens from them."""

from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_babel import gettext

from ... import audit
from ...clock import now
from ...services import services
from ...storage import db
from ...users.profile import ProfileError, change_password
from ...users.sessions import end_sessions
from ..attempts import account_of, attempt_on
from ..context import client_ip, current_session
from . import account
from .gate import current_user, signed_in_page
from .profile_common import field, limited, reason_text, record, render, send_notice

MAX_TYPED = 4096  # longer than any password kept; the policy refuses it with a reason


@account.get("/account/password")
@signed_in_page(fresh=True)
def profile_password():
    """Show the password form."""
    return render("account/profile_password.html")


@account.post("/account/password")
@limited
@signed_in_page(fresh=True)
def profile_password_save():
    """Check the current password and save the new one; end every other session and the
    apps' tokens from them."""
    user, at = current_user(), now()
    with attempt_on(account_of(user), "password") as attempt:
        try:
            change_password(user, field("current", MAX_TYPED), field("new", MAX_TYPED),
                            field("repeat", MAX_TYPED), services().passwords, at)
        except ProfileError as exc:
            if exc.reason == "wrong_current":
                attempt.failed()
            return render("account/profile_password.html", 400, error=reason_text(exc),
                          wrong=exc.reason)
        attempt.succeeded()
        session = current_session()
        ended = end_sessions(g.directory, user.id, at, "password_changed",
                             keep=session.id if session else None, ip=client_ip())
        record(audit.events.PROFILE_PASSWORD_CHANGED, sessions_ended=ended.sessions)
        db.session.commit()
    send_notice("changed", "password")
    flash(gettext("Your password was changed. You were logged out everywhere else, and apps "
                  "you signed in to elsewhere must log in again."))
    return redirect(url_for("account.profile"))
