"""The pages of a pending login: log in, choose how to verify, verify, enrol, consent.

Every POST records what was proven in the browser session and sends the browser
back to the interaction, where the login policy decides again; the code is only
issued from there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, abort, g, redirect, render_template, request, url_for

from .. import audit
from ..clock import now
from ..directories import level_settings
from ..errors import InteractionExpired
from ..flows.authorize import Decision
from ..flows.login import enrolled_methods, grant_consent, session_user
from ..methods import MethodContext, MethodFailed, SignInMethod, Verified
from ..services import services
from ..sessions import complete_method
from ..storage import db
from ..storage.models import Interaction, User
from .authorize import resolve, validated_redirect_uri
from .context import client_ip, current_session, set_session_token
from .forms import ButtonForm, CodeForm, LoginForm
from .responses import redirect_error

UID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def load_interaction(uid: str) -> Interaction:
    """Return the pending login of this browser, or refuse."""
    session = current_session()
    row = db.session.get(Interaction, uid) if UID_PATTERN.match(uid) else None
    if row is None or session is None or row.session_id != session.id \
            or row.directory_id != g.directory.id or row.expires_at <= now():
        raise InteractionExpired("This login has expired or was started in another browser. "
                                 "Go back to the app and start again.")
    return row


def _url(uid: str, endpoint: str = "pages.interaction", **values) -> str:
    return url_for(endpoint, uid=uid, **values)


def _page(template: str, row: Interaction, status: int = 200, **context) -> tuple[str, int]:
    settings = level_settings(g.directory)
    return render_template(template, uid=row.id, directory=g.directory, client=g.get("client"),
                           settings=settings, methods=services().methods, **context), status


def _step(row: Interaction) -> Response | Decision:
    return resolve(row.params, row)


def show(uid: str):
    """Show the page the login needs now, or answer the app when it needs nothing more."""
    row = load_interaction(uid)
    if row.state.get("show_recovery"):
        return _recovery_codes(row)
    result = _step(row)
    if isinstance(result, Response):
        return result
    if result.step == "login":
        user = session_user(current_session())
        form = LoginForm(username=user.username if user else g.oidc_params.login_hint)
        return _page("login.html", row, form=form)
    if result.step == "stepup":
        return _page("stepup.html", row, plan=result.plan, form=ButtonForm(),
                     user=session_user(current_session()))
    if result.step == "unreachable":
        return _page("unreachable.html", row, plan=result.plan, form=ButtonForm())
    return _page("consent.html", row, form=ButtonForm(),
                 scopes=(row.params.get("scope") or "").split())


def login(uid: str):
    """Check username and password; the password identifies the user."""
    row = load_interaction(uid)
    form = LoginForm()
    if not form.validate_on_submit():
        return _page("login.html", row, status=400, form=form,
                     error="Enter your username or email and your password.")
    svc = services()
    try:
        user = svc.password_method.identify(g.directory, form.username.data,
                                            form.password.data, now())
    except MethodFailed as exc:
        g.verification_failed = True
        audit.record(g.directory.id, "login.failed", now(), ip=client_ip(),
                     user_agent=request.user_agent.string, method="password")
        db.session.commit()
        return _page("login.html", row, status=400, form=form, error=str(exc))
    _record(row, user, "password", Verified(amr=("pwd",)))
    return redirect(_url(uid))


def _record(row: Interaction, user: User, method: str, verified: Verified) -> None:
    session = current_session()
    assert session is not None
    set_session_token(complete_method(session, user, method, verified.amr, now()))
    audit.record(g.directory.id, "method.completed", now(), user_id=user.id, ip=client_ip(),
                 method=method)
    db.session.commit()


def _signed_in(row: Interaction) -> tuple[User, MethodContext]:
    user = session_user(current_session())
    if user is None:
        raise InteractionExpired("Log in first.")
    return user, MethodContext(directory=g.directory, user=user, now=now(),
                               sealer=services().sealer)


def _method(name: str, *, enrol: bool) -> SignInMethod:
    method = services().methods.get(name)
    if method is None or name == "password" or (enrol and not method.enrollable):
        abort(404)
    return method


def _offered(row: Interaction, name: str, enrol: bool) -> bool:
    result = _step(row)
    if isinstance(result, Response) or result.plan is None:
        return False
    return name in (result.plan.enrol_options if enrol else result.plan.options)


@dataclass
class _MethodStep:
    """A sign-in method the login offers now, with the user and context to run it."""

    row: Interaction
    method: SignInMethod
    user: User
    ctx: MethodContext


def _open(uid: str, name: str, *, enrol: bool) -> _MethodStep | None:
    """Return the method step if the login offers this method (or its enrolment) now."""
    row = load_interaction(uid)
    method = _method(name, enrol=enrol)
    user, ctx = _signed_in(row)
    if not _offered(row, name, enrol=enrol):
        return None
    return _MethodStep(row, method, user, ctx)


def _answer(step: _MethodStep, check: Callable[[MethodContext, dict], Verified],
            template: str, refill: Callable[[MethodContext], dict]):
    """Check the submitted code; return (Verified, None) or (None, the page with the error)."""
    form = CodeForm()
    try:
        if not form.validate_on_submit():
            raise MethodFailed("Enter the code.")
        return check(step.ctx, {"code": form.code.data or ""}), None
    except MethodFailed as exc:
        db.session.rollback()
        g.verification_failed = True
        audit.record(g.directory.id, "method.failed", now(), user_id=step.user.id,
                     ip=client_ip(), method=step.method.name)
        db.session.commit()
        return None, _page(template, step.row, status=400, method=step.method, form=form,
                           error=str(exc), **refill(step.ctx))


def method_page(uid: str, name: str):
    """Show the form of one sign-in method."""
    step = _open(uid, name, enrol=False)
    if step is None:
        return redirect(_url(uid))
    return _page(step.method.template, step.row, method=step.method, form=CodeForm(),
                 **step.method.begin(step.ctx))


def method_verify(uid: str, name: str):
    """Check the response of one sign-in method."""
    step = _open(uid, name, enrol=False)
    if step is None:
        return redirect(_url(uid))
    verified, page = _answer(step, step.method.verify, step.method.template, step.method.begin)
    if verified is None:
        return page
    _record(step.row, step.user, name, verified)
    return redirect(_url(uid))


def enrol_page(uid: str, name: str):
    """Show how to set up a method during login."""
    step = _open(uid, name, enrol=True)
    if step is None:
        return redirect(_url(uid))
    data = step.method.start_enrolment(step.ctx)
    db.session.commit()
    return _page(step.method.enrol_template, step.row, method=step.method, form=CodeForm(),
                 **data)


def enrol_finish(uid: str, name: str):
    """Confirm a method set up during login; it counts for this login at once."""
    step = _open(uid, name, enrol=True)
    if step is None:
        return redirect(_url(uid))
    verified, page = _answer(step, step.method.finish_enrolment, step.method.enrol_template,
                             step.method.start_enrolment)
    if verified is None:
        return page
    row, user = step.row, step.user
    audit.record(g.directory.id, "method.enrolled", now(), user_id=user.id, ip=client_ip(),
                 method=name)
    recovery = services().methods.get("recovery")
    if recovery is not None and level_settings(g.directory).points_of("recovery") > 0 \
            and "recovery" not in enrolled_methods(user, {"recovery": recovery}):
        row.state = {**row.state, "show_recovery": True}
    _record(row, user, name, verified)
    return redirect(_url(uid))


def _recovery_codes(row: Interaction):
    user, ctx = _signed_in(row)
    codes = services().methods["recovery"].issue(user, ctx.now)  # type: ignore[attr-defined]
    row.state = {**row.state, "show_recovery": False}
    audit.record(g.directory.id, "recovery_codes.issued", ctx.now, user_id=user.id,
                 ip=client_ip())
    db.session.commit()
    return _page("recovery_codes.html", row, codes=codes, form=ButtonForm())


def consent(uid: str):
    """Record the user's answer to a client that asks for their data."""
    row = load_interaction(uid)
    user, ctx = _signed_in(row)
    if request.form.get("decision") != "allow":
        return cancel(uid)
    result = _step(row)
    if isinstance(result, Response):
        return result
    grant_consent(user, g.client, row.params.get("scope") or "", ctx.now)
    row.state = {**row.state, "consented": True}
    db.session.commit()
    return redirect(_url(uid))


def cancel(uid: str):
    """End the login without logging in: the app gets access_denied."""
    row = load_interaction(uid)
    redirect_uri = validated_redirect_uri(row.params)
    if isinstance(redirect_uri, Response):
        return redirect_uri
    unreachable = request.form.get("reason") == "unreachable"
    db.session.delete(row)
    db.session.commit()
    if unreachable:
        return redirect_error(redirect_uri, "unmet_authentication_requirements",
                              "The user cannot reach the required level with their methods.",
                              row.params.get("state"))
    return redirect_error(redirect_uri, "access_denied", "The user did not log in.",
                          row.params.get("state"))


def continue_login(uid: str):
    """Go on after the recovery codes were shown."""
    load_interaction(uid)
    return redirect(_url(uid))
