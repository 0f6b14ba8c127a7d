"""The public page of an invitation link: the invited user sets their own password.

No login: the link is the proof (it reached the user's email). It works once and
expires; afterwards the page says so plainly. Success sends the person to log in, their
username already filled in.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import PasswordField

from ...clock import now
from ...services import services
from ...storage import db
from ...storage.models import User
from ...users.invitations import InvitationError, accept_invitation, find_invitation
from ..context import client_ip
from ..ratelimit import per_ip
from . import account
from .profile_common import proof_turns_on


class InvitationForm(FlaskForm):
    """A new password, typed twice."""

    new_password = PasswordField(lazy_gettext("New password"))
    repeat_password = PasswordField(lazy_gettext("Repeat the new password"))


def _expired():
    return render_template("account/invitation_expired.html", directory=g.directory), 410


@account.get("/invitation/<token>")
def invitation(token: str):
    """Show the set-your-password form, or say that the link no longer works."""
    row = find_invitation(g.directory, token, now())
    if row is None:
        return _expired()
    user = db.session.get(User, row.user_id)
    return render_template("account/invitation.html", directory=g.directory, form=InvitationForm(),
                           person=user, expires_at=row.expires_at,
                           turns_on=proof_turns_on("email", user))


@account.post("/invitation/<token>")
@per_ip
def invitation_accept(token: str):
    """Set the password, prove the email address, and send the person to log in."""
    row = find_invitation(g.directory, token, now())
    if row is None:
        return _expired()
    form = InvitationForm()
    try:
        user = accept_invitation(g.directory, token, form.new_password.data or "",
                          form.repeat_password.data or "", services().passwords, now(),
                          ip=client_ip(), user_agent=request.user_agent.string)
    except InvitationError as exc:
        if find_invitation(g.directory, token, now()) is None:
            return _expired()
        user = db.session.get(User, row.user_id)
        return render_template("account/invitation.html", directory=g.directory, form=form,
                               person=user, expires_at=row.expires_at, error=str(exc),
                               turns_on=proof_turns_on("email", user)), 400
    db.session.commit()
    flash(gettext("Your password is set. Log in with it to open your account."))
    return redirect(url_for("account.login", next=url_for("account.profile"),
                            login_hint=user.username))
