"""The public page of an admin's password reset link: the user chooses a new password.

No login: the link is the proof (it reached the user's proven email address). It works
once and expires; afterwards the page says so plainly. Then, as after any reset, every
session and app sign-in of the user ends, every address of the account is told, and the
person is sent to log in.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from ...clock import now
from ...services import services
from ...storage import db
from ...storage.models import User
from ...users.notifications import Origin
from ...users.recovery import (
    ResetRefused,
    find_reset_link,
    finish_reset,
    use_reset_link,
)
from ..context import client_ip
from ..languages import notice_language
from ..ratelimit import per_ip
from . import account, password_rules

MAX_FIELD = 1024


def _field(name: str) -> str:
    return (request.form.get(name) or "")[:MAX_FIELD + 1]


def _expired():
    return render_template("account/reset_link_expired.html", directory=g.directory), 410


def _form(user: User, status: int = 200, errors: dict[str, str] | None = None):
    return render_template("account/reset_link.html", directory=g.directory, person=user,
                           errors=errors or {}, password_rules=password_rules,
                           error=next(iter((errors or {}).values()), None)), status


@account.get("/reset/<token>")
def reset_link(token: str):
    """Show the choose-a-new-password form, or say that the link no longer works."""
    row = find_reset_link(g.directory, token, now())
    if row is None:
        return _expired()
    return _form(db.session.get(User, row.user_id))


@account.post("/reset/<token>")
@per_ip
def reset_link_use(token: str):
    """Set the new password, end every session, tell every address; then log in."""
    row = find_reset_link(g.directory, token, now())
    if row is None:
        return _expired()
    try:
        user = use_reset_link(g.directory, token, _field("new_password"),
                              _field("repeat_password"), services().passwords, now())
    except ResetRefused as exc:
        db.session.rollback()
        if find_reset_link(g.directory, token, now()) is None:
            return _expired()
        return _form(db.session.get(User, row.user_id), 400, {exc.field: str(exc)})
    finish_reset(g.directory, user, Origin(now(), request.user_agent.string, client_ip()),
                 "link", delivery=services().delivery,
                 locale=notice_language(user.locale, str(get_locale() or "en")),
                 account_url=services().base_url + url_for("account.profile"))
    flash(gettext("Your password was changed and every session of your account ended. Log "
                  "in with your new password."))
    return redirect(url_for("account.profile"), 303)
