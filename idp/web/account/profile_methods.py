"""Set up a sign-in method from the profile: authenticator app, passkey, the app, recovery codes.

Each page runs the method's own enrolment (the one login uses) in a context built for
this person and browser; a confirmed method is audited (``method.enrolled``) and the
person is told by email. Text message and email codes are set up by proving the number
or address (``profile_details``).
"""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, url_for
from flask_babel import gettext

from ... import audit
from ...clock import now
from ...methods import MethodFailed, MethodThrottled, SignInMethod
from ...methods.recovery import code_sheet
from ...services import services
from ...storage import db
from ...tenants.directories import level_settings
from ...users.profile import ProfileError
from ..attempts import account_of, attempt_on
from . import account
from .gate import current_user, signed_in_page
from .profile_common import (
    field,
    limited,
    method_context,
    reason_text,
    record,
    render,
    send_notice,
    text_field,
)

#: Each method set up here: its page template.
TEMPLATES = {"totp": "account/profile_totp.html", "passkey": "account/profile_passkey.html",
             "app": "account/profile_app.html"}


def _method(name: str) -> SignInMethod | None:
    """Return the method if the directory has it on (points above 0)."""
    method = services().methods.get(name)
    if method is None or level_settings(g.directory).points_of(name) <= 0:
        return None
    return method


#: Methods a user has at most one of: the authenticator app (a new one replaces the
#: secret) and the app (its activation would pick up the one already there).
ONE_EACH = ("totp", "app")


def _already(name: str) -> bool:
    return name in ONE_EACH and services().methods[name].is_enrolled(current_user())


def _show(name: str, status: int = 200, error: str | None = None,
          shown: dict[str, str] | None = None) -> Response:
    """Render the method's set-up page with what its enrolment shows now; it stores nothing.
    `shown`: the form posted from the page, when it is shown again."""
    method = services().methods[name]
    data = method.start_enrolment(method_context(), shown)
    template = TEMPLATES.get(name) or method.profile_template
    body, status = render(template, status, method=method, error=error, **data)
    return Response(body, status=status, mimetype="text/html")


def _unavailable(name: str):
    method = _method(name)
    if method is None or not method.enrollable:
        flash(gettext("This sign-in method is not used in this directory."))
        return redirect(url_for("account.profile"))
    if _already(name):
        flash(gettext("You already have this sign-in method. Remove it first to set up "
                      "another."))
        return redirect(url_for("account.profile"))
    return None


def _refused(name: str, exc: MethodFailed, shown: dict[str, str] | None = None) -> Response:
    """Show the set-up page again with why the method refused; a throttle says when."""
    response = _show(name, exc.status, str(exc), shown)
    if isinstance(exc, MethodThrottled):
        response.headers["Retry-After"] = str(int(exc.retry_after + 0.999))
    return response


def _page(name: str):
    return _unavailable(name) or _show(name)


def _finish(name: str, fields: dict[str, str], detail: str | None = None):
    """Confirm an enrolment with the posted answer; audit it and tell the person."""
    refusal = _unavailable(name)
    if refusal is not None:
        return refusal
    method = services().methods[name]
    with attempt_on(account_of(current_user()), name) as attempt:
        try:
            method.finish_enrolment(method_context(), fields)
        except MethodFailed as exc:
            db.session.rollback()
            if exc.counts_as_failure:
                attempt.failed()
            return _refused(name, exc, fields)
        attempt.succeeded()
        record(audit.events.METHOD_ENROLLED, method=name, **({"name": detail} if detail else {}))
        db.session.commit()
    send_notice("added", name, detail)
    flash({"totp": gettext("Your authenticator app is set up."),
           "passkey": gettext("Your passkey was added."),
           "app": gettext("The app is set up.")}.get(name) or str(method.added_notice))
    return redirect(url_for("account.profile"))


def _own_page(name: str) -> SignInMethod:
    """Return the method set up on the profile's page for any method, or 404."""
    method = services().methods.get(name)
    if method is None or name in TEMPLATES or method.profile_template is None:
        abort(404)
    return method


@account.get("/account/methods/<name>/add")
@signed_in_page(fresh=True)
def profile_method(name: str):
    """Show the set-up page of a method that declares one (``profile_template``)."""
    _own_page(name)
    return _page(name)


@account.post("/account/methods/<name>/send")
@limited
@signed_in_page(fresh=True)
def profile_method_send(name: str):
    """Send the first challenge of a method whose page asks for it (``challenge_fields``):
    a code read out to the number typed, say."""
    method = _own_page(name)
    if not method.challenge_fields:
        abort(404)
    refusal = _unavailable(name)
    if refusal is not None:
        return refusal
    try:
        sent = method.challenge_enrolment(method_context(), {
            key: field(key, limit) for key, limit in method.challenge_fields.items()})
    except MethodFailed as exc:
        db.session.rollback()
        return _refused(name, exc)
    db.session.commit()
    flash(sent)
    return redirect(url_for("account.profile_method", name=name))


@account.post("/account/methods/<name>/add")
@limited
@signed_in_page(fresh=True)
def profile_method_finish(name: str):
    """Set up a method that declares its page, with the fields that page posts."""
    method = _own_page(name)
    return _finish(name, {key: field(key, limit)
                          for key, limit in {"code": 64, **method.fields}.items()})


@account.get("/account/methods/totp")
@signed_in_page(fresh=True)
def profile_totp():
    """Show the QR code and key of a new authenticator app."""
    return _page("totp")


@account.post("/account/methods/totp")
@limited
@signed_in_page(fresh=True)
def profile_totp_finish():
    """Turn the authenticator app on with its first code."""
    return _finish("totp", {"code": field("code", 64), "setup": field("setup", 4096)})


@account.get("/account/methods/passkey")
@signed_in_page(fresh=True)
def profile_passkey():
    """Ask the browser to create a passkey."""
    return _page("passkey")


@account.post("/account/methods/passkey")
@limited
@signed_in_page(fresh=True)
def profile_passkey_finish():
    """Register the passkey the browser created, with its name."""
    try:
        name = text_field("name", 100) or "Passkey"
    except ProfileError as exc:
        return _show("passkey", 400, reason_text(exc))
    return _finish("passkey", {"credential": field("credential", 16 * 1024), "name": name,
                               "challenge": field("challenge", 4096)}, name)


@account.get("/account/methods/app")
@signed_in_page(fresh=True)
def profile_app():
    """Show how to activate the app, or the number to pick in it."""
    return _page("app")


@account.post("/account/methods/app/code")
@limited
@signed_in_page(fresh=True)
def profile_app_code():
    """Make an activation code for the app (showing the page never makes or voids one)."""
    refusal = _unavailable("app")
    if refusal is not None:
        return refusal
    try:
        notice = services().methods["app"].prepare_enrolment(method_context(), {})
    except MethodFailed as exc:
        db.session.rollback()
        return _show("app", exc.status, str(exc))
    record(audit.events.METHOD_PREPARED, method="app")
    db.session.commit()
    flash(notice)
    return redirect(url_for("account.profile_app"))


@account.get("/account/methods/app/code")
@signed_in_page(fresh=True)
def profile_app_code_page():
    """Show the app's page (a login asked for during the request returns here)."""
    return redirect(url_for("account.profile_app"))


@account.post("/account/methods/app/ask")
@limited
@signed_in_page(fresh=True)
def profile_app_ask():
    """Ask the activated app for its first approval."""
    refusal = _unavailable("app")
    if refusal is not None:
        return refusal
    try:
        notice = services().methods["app"].challenge_enrolment(method_context(), {})
    except MethodFailed as exc:
        db.session.rollback()
        response = _show("app", exc.status, str(exc))
        if isinstance(exc, MethodThrottled):
            response.headers["Retry-After"] = str(int(exc.retry_after + 0.999))
        return response
    record(audit.events.CHALLENGE_SENT, method="app", purpose="enrol")
    db.session.commit()
    flash(notice)
    return redirect(url_for("account.profile_app"))


@account.get("/account/methods/app/ask")
@signed_in_page(fresh=True)
def profile_app_ask_page():
    """Show the app's page (a login asked for during the request returns here)."""
    return redirect(url_for("account.profile_app"))


@account.post("/account/methods/app")
@limited
@signed_in_page(fresh=True)
def profile_app_finish():
    """Turn the app on once it approved."""
    return _finish("app", {})


@account.get("/account/methods/recovery")
@signed_in_page(fresh=True)
def profile_recovery():
    """Explain recovery codes before creating a new set."""
    if _method("recovery") is None:
        return _unavailable("recovery")
    return render("account/profile_recovery.html", codes=None,
                  remaining=services().methods["recovery"].remaining(  # type: ignore[attr-defined]
                      current_user()))


@account.post("/account/methods/recovery")
@signed_in_page(fresh=True)
def profile_recovery_issue():
    """Replace the recovery codes with ten new ones and show them once."""
    if _method("recovery") is None:
        return _unavailable("recovery")
    codes = services().methods["recovery"].issue(current_user(), now())  # type: ignore[attr-defined]
    record(audit.events.RECOVERY_CODES_ISSUED)
    db.session.commit()
    send_notice("added", "recovery")
    user = current_user()
    return render("account/profile_recovery.html", remaining=len(codes),
                  codes=code_sheet(codes, g.directory.name, user.username, now()))
