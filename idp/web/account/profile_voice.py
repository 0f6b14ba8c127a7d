"""Turn voice-call codes on from the profile: prove a number by a code read out to it.

The method's own enrolment (the one login uses) runs in a context built for this person
and browser: the call goes within the same waits and limits, and a proven number is
audited (``method.enrolled``) and told by email.
"""

from __future__ import annotations

from flask import Response, flash, g, redirect, url_for
from flask_babel import gettext

from ... import audit
from ...methods import MethodFailed, MethodThrottled, SignInMethod
from ...services import services
from ...storage import db
from ...tenants.directories import level_settings
from ..attempts import account_of, attempt_on
from . import account
from .gate import current_user, signed_in_page
from .profile_common import field, limited, method_context, record, render, send_notice

NAME = "voice"
TEMPLATE = "methods/profile_voice.html"


def _method() -> SignInMethod | None:
    """Return the method if the directory has it on and a call can be made."""
    method = services().methods.get(NAME)
    if method is None or not method.enrollable or level_settings(g.directory).points_of(NAME) <= 0:
        return None
    return method


def _show(method: SignInMethod, status: int = 200, error: str | None = None) -> Response:
    data = method.start_enrolment(method_context())
    body, status = render(TEMPLATE, status, method=method, error=error, **data)
    return Response(body, status=status, mimetype="text/html")


def _refused(exc: MethodFailed, method: SignInMethod) -> Response:
    db.session.rollback()
    response = _show(method, exc.status, str(exc))
    if isinstance(exc, MethodThrottled):
        response.headers["Retry-After"] = str(int(exc.retry_after + 0.999))
    return response


def _off():
    flash(gettext("This sign-in method is not used in this directory."))
    return redirect(url_for("account.profile"))


@account.get("/account/methods/voice")
@signed_in_page(fresh=True)
def profile_voice():
    """Ask for the number to call, or for the code read out."""
    method = _method()
    return _off() if method is None else _show(method)


@account.post("/account/methods/voice/call")
@limited
@signed_in_page(fresh=True)
def profile_voice_call():
    """Call the number typed and read a code out to it."""
    method = _method()
    if method is None:
        return _off()
    try:
        sent = method.challenge_enrolment(method_context(), {"destination": field("destination",
                                                                                  64)})
    except MethodFailed as exc:
        return _refused(exc, method)
    db.session.commit()
    flash(sent)
    return redirect(url_for("account.profile_voice"))


@account.post("/account/methods/voice")
@limited
@signed_in_page(fresh=True)
def profile_voice_finish():
    """Turn voice-call codes on with the code read out."""
    method = _method()
    if method is None:
        return _off()
    with attempt_on(account_of(current_user()), NAME) as attempt:
        try:
            method.finish_enrolment(method_context(), {"code": field("code", 64)})
        except MethodFailed as exc:
            if exc.counts_as_failure:
                attempt.failed()
            return _refused(exc, method)
        attempt.succeeded()
        record(audit.events.METHOD_ENROLLED, method=NAME)
        db.session.commit()
    send_notice("added", NAME)
    flash(gettext("Voice call codes are turned on."))
    return redirect(url_for("account.profile"))
