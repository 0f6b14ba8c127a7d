"""The sign-up pages of a pending login: an email address, then its code and a password.

They exist only where the directory's policy lets people create their own account (404
elsewhere) and only while the login asks who the person is. Every address gets the same
answer ("We sent a code to ..."), whether or not it has an account
(``idp.users.registrations``). Once the account is made, the new user has proven the
password in this browser session and the login goes on from the interaction page: a step
up, or setting up a second way to verify, exactly as for anyone who logs in.
"""

from __future__ import annotations

from flask import Response, abort, g, redirect, request, url_for
from flask_babel import gettext

from ...clock import now
from ...config import current_settings
from ...methods.one_time_codes import policy_from
from ...services import services
from ...storage import db
from ...storage.models import Interaction
from ...users.registrations import (
    RegistrationRefused,
    SignUp,
    complete_registration,
    latest_registration,
    registration_open,
    seconds_to_resend,
    send_code,
)
from ..account import password_rules
from ..context import client_ip
from .interaction import load_interaction, next_step, page, record_password, url_of

MAX_FIELD = 1024  # characters of a posted field read: a password's most


def _field(name: str) -> str:
    return (request.form.get(name) or "")[:MAX_FIELD + 1]


def _open(uid: str) -> tuple[Interaction, SignUp] | None:
    """Return the login and the sign-up's context while the login asks who the person is;
    None when it no longer does (its page decides again). 404 where sign-up is off."""
    if not registration_open(g.directory):
        abort(404)
    row = load_interaction(uid)
    login = next_step(row)
    if isinstance(login, Response) or login.decision.step != "login":
        return None
    return row, SignUp(directory=g.directory, interaction_id=row.id, now=now(),
                       ip=client_ip(), sealer=services().sealer,
                       policy=policy_from(current_settings()),
                       user_agent=request.user_agent.string,
                       login_url=services().base_url + url_for("account.profile"))


def _response(rendered: tuple[str, int], retry_after: float = 0) -> Response:
    response = Response(rendered[0], status=rendered[1], mimetype="text/html")
    if retry_after:
        response.headers["Retry-After"] = str(int(retry_after + 0.999))
    return response


def _email_page(row: Interaction, status: int = 200, email: str = "",
                errors: dict[str, str] | None = None, retry_after: float = 0) -> Response:
    return _response(page("register.html", row, status=status, email=email,
                          errors=errors or {}, error=_summary(errors)), retry_after)


def _code_page(row: Interaction, ctx: SignUp, status: int = 200,
               errors: dict[str, str] | None = None, retry_after: float = 0):
    sent = latest_registration(ctx)
    if sent is None:
        return redirect(url_of(row.id, "pages.register"))
    return _response(page("register_code.html", row, status=status, sent_to=sent.email,
                          resend_in=int(seconds_to_resend(ctx) + 0.999),
                          errors=errors or {}, error=_summary(errors),
                          password_rules=password_rules), retry_after)


def _summary(errors: dict[str, str] | None) -> str | None:
    if not errors:
        return None
    return errors.get("") or gettext("Some fields are not right. Check the marked fields.")


def register(uid: str):
    """Ask for the email address of the new account."""
    opened = _open(uid)
    if opened is None:
        return redirect(url_of(uid))
    return _email_page(opened[0])


def register_send(uid: str, *, again: bool = False):
    """Email a code to the address (or its owner a note), then ask for the code."""
    opened = _open(uid)
    if opened is None:
        return redirect(url_of(uid))
    row, ctx = opened
    sent = latest_registration(ctx) if again else None
    if again and sent is None:
        return redirect(url_of(uid, "pages.register"))
    typed = sent.email if sent is not None else _field("email")
    try:
        send_code(ctx, typed, services().delivery)
    except RegistrationRefused as exc:
        db.session.rollback()
        if again:
            return _code_page(row, ctx, 429 if exc.retry_after else 400,
                              {"": exc.errors.get("email", "")}, exc.retry_after)
        return _email_page(row, 429 if exc.retry_after else 400, typed[:254], exc.errors,
                           exc.retry_after)
    db.session.commit()
    return redirect(url_of(uid, "pages.register_code"), 303)


def register_again(uid: str):
    """Email a new code to the same address, once the wait is over."""
    return register_send(uid, again=True)


def register_code(uid: str):
    """Ask for the code and the new password."""
    opened = _open(uid)
    if opened is None:
        return redirect(url_of(uid))
    return _code_page(*opened)


def register_finish(uid: str):
    """Create the account and go on with the login, proven by the password just chosen."""
    opened = _open(uid)
    if opened is None:
        return redirect(url_of(uid))
    row, ctx = opened
    try:
        user = complete_registration(ctx, _field("code")[:64], _field("new_password"),
                                     _field("repeat_password"), services().passwords)
    except RegistrationRefused as exc:
        db.session.rollback()
        return _code_page(row, ctx, 400, exc.errors)
    record_password(user)
    return redirect(url_of(uid))
