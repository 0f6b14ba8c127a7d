"""The pages of one sign-in method during a login: ask for a challenge, answer it, enrol.

Every view opens the method only if the login offers it now (or its enrolment),
calls one method function, and answers with the page or a redirect back to the
interaction, where the login policy decides again and, once the login needs nothing
more (here or in another tab), the app is answered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_babel import force_locale, get_locale, gettext

from ... import audit
from ...clock import now
from ...domain import STEP_UP_METHODS, CodeRefusal
from ...methods import (
    LoginDenied,
    MethodContext,
    MethodFailed,
    MethodThrottled,
    NotAGuess,
    RecoveryCodes,
    SignInMethod,
    Verified,
)
from ...methods.delivered import check_refusal
from ...services import services
from ...storage import db
from ...storage.models import Interaction, User
from ...tenants.directories import level_settings
from ...users import enrol_allowance
from ...users.notifications import Notice, Origin, notify
from ..attempts import Attempt, account_of, attempt_on
from ..context import client_ip
from ..forms import ButtonForm
from ..languages import notice_language
from .interaction import (
    end_login,
    load_interaction,
    offered,
    page,
    record_method,
    signed_in,
    url_of,
)
from .recovery import record_reset_method, reset_step, resetting
from .remember import offer_remember

# The fields a method may read from a posted form, and how long each may be ("setup" and
# "challenge" carry sealed page state).
FIELDS = {"code": 64, "destination": 512, "name": 100, "credential": 16 * 1024,
          "setup": 4096, "challenge": 4096}


@dataclass
class MethodStep:
    """A sign-in method the login offers now, with the user and context to run it."""

    row: Interaction
    method: SignInMethod
    user: User
    ctx: MethodContext


def _method(name: str, *, enrol: bool) -> SignInMethod:
    method = services().methods.get(name)
    if method is None or name not in STEP_UP_METHODS or (enrol and not method.enrollable):
        abort(404)
    return method


def open_step(uid: str, name: str, *, enrol: bool) -> MethodStep | None:
    """Return the method step if the login offers this method (or its enrolment) now."""
    row = load_interaction(uid)
    method = _method(name, enrol=enrol)
    if resetting(row) is not None:  # a password reset: its own user and level, no enrolment
        found = None if enrol else reset_step(row, name)
        return None if found is None else MethodStep(row, method, *found)
    user, ctx = signed_in()
    login = offered(row, name, enrol=enrol)
    if login is None:
        return None
    ctx.extra.update(client_name=login.client.name, user_agent=request.user_agent.string)
    return MethodStep(row, method, user, ctx)


def _fields(method: SignInMethod) -> Mapping[str, str]:
    """Return the posted fields a method may read, each bounded in length."""
    return {name: (request.form.get(name) or "")[:limit]
            for name, limit in {**FIELDS, **method.fields}.items()}


def _show(step: MethodStep, *, enrol: bool, status: int = 200, error: str | None = None,
          shown: Mapping[str, str] | None = None):
    """Render the method's page (or its enrolment page) with what it shows now; it stores
    nothing. `shown`: the form posted from the page, when it is shown again."""
    method = step.method
    data = method.start_enrolment(step.ctx, shown) if enrol else method.begin(step.ctx)
    template = method.enrol_template if enrol else method.template
    return page(template or "", step.row, status=status, method=method, form=ButtonForm(),
                error=error, offer_remember=offer_remember() and not resetting(step.row),
                **data)


def _refused(step: MethodStep, exc: MethodFailed, *, enrol: bool):
    """Show the page with the reason; a wrong answer is audited."""
    db.session.rollback()
    if isinstance(exc, LoginDenied):
        # Denied in the app since this page opened (``while_open``, audited then).
        return end_login(step.row, "access_denied", "The user said the login was not theirs.")
    if exc.counts_as_failure:
        audit.record(g.directory.id, audit.events.METHOD_FAILED, now(), user_id=step.user.id,
                     ip=client_ip(), user_agent=request.user_agent.string,
                     method=step.method.name)
        db.session.commit()
    body, status = _show(step, enrol=enrol, status=exc.status, error=str(exc),
                         shown=_fields(step.method) if enrol else None)
    response = Response(body, status=status, mimetype="text/html")
    if isinstance(exc, MethodThrottled):
        response.headers["Retry-After"] = str(int(exc.retry_after + 0.999))
    return response


def _answer(step: MethodStep, check: Callable[[MethodContext, Mapping[str, str]], Verified],
            attempt: Attempt, *, enrol: bool) -> Verified | Response:
    """Check the submitted response; return what it proved, or the page with the reason."""
    try:
        if not ButtonForm().validate_on_submit():
            raise NotAGuess(gettext("This form has expired. Go back and try again."))
        verified = check(step.ctx, _fields(step.method))
    except MethodFailed as exc:
        if exc.counts_as_failure:
            attempt.failed()
            exc = fewest_tries(exc, attempt)
        return _refused(step, exc, enrol=enrol)
    attempt.succeeded()
    return verified


def fewest_tries(exc: MethodFailed, attempt: Attempt) -> MethodFailed:
    """Word a wrong code with the tries every limit still allows: the code's own, and the
    account's failure budgets (whichever ends first answers 429 on the next try)."""
    if exc.tries_left is None:
        return exc
    left = attempt.tries_left(exc.tries_left)
    if left >= exc.tries_left:
        return exc
    fewer = MethodFailed(check_refusal(CodeRefusal.WRONG, left))
    fewer.tries_left = left
    return fewer


def _remember_choice(row: Interaction) -> None:
    if request.form.get("remember") and offer_remember() and not resetting(row):
        row.state = {**row.state, "remember_device": True}


def method_page(uid: str, name: str):
    """Show the form of one sign-in method."""
    step = open_step(uid, name, enrol=False)
    if step is None:
        return redirect(url_of(uid))
    return _show(step, enrol=False)


def _challenge(uid: str, name: str, *, enrol: bool):
    """Send the method's challenge (of a login, or of an enrolment) and show its page."""
    step = open_step(uid, name, enrol=enrol)
    if step is None or not step.method.challenges:
        return redirect(url_of(uid))
    send = step.method.challenge_enrolment if enrol else step.method.challenge
    try:
        notice = send(step.ctx, _fields(step.method))
    except MethodFailed as exc:
        return _refused(step, exc, enrol=enrol)
    audit.record(g.directory.id, audit.events.CHALLENGE_SENT, now(), user_id=step.user.id,
                 ip=client_ip(), method=name,
                 purpose="enrol" if enrol else "reset" if resetting(step.row) else "login")
    db.session.commit()
    flash(notice)
    return redirect(url_of(uid, "pages.enrol" if enrol else "pages.method", name=name))


def method_send(uid: str, name: str):
    """Send (or send again) the method's challenge, such as a code by SMS or email."""
    return _challenge(uid, name, enrol=False)


def method_verify(uid: str, name: str):
    """Check the response of one sign-in method."""
    step = open_step(uid, name, enrol=False)
    if step is None:
        return redirect(url_of(uid))
    with attempt_on(account_of(step.user), name) as attempt:
        verified = _answer(step, step.method.verify, attempt, enrol=False)
        if isinstance(verified, Response):
            return verified
        if resetting(step.row) is not None:
            record_reset_method(step.row, step.user, name)
        else:
            _remember_choice(step.row)
            if isinstance(step.method, RecoveryCodes):
                # Next: how many codes are left, and new ones when few are (``show``).
                step.row.state = {**step.row.state, "recovery_used": True}
            record_method(step.user, name, verified)
    return redirect(url_of(uid))


def enrol_page(uid: str, name: str):
    """Show how to set up a method during login."""
    step = open_step(uid, name, enrol=True)
    if step is None:
        return redirect(url_of(uid))
    return _show(step, enrol=True)


def enrol_prepare(uid: str, name: str):
    """Make what an enrolment needs first, on request (the app's activation code)."""
    step = open_step(uid, name, enrol=True)
    if step is None or not step.method.prepares:
        return redirect(url_of(uid))
    try:
        if not ButtonForm().validate_on_submit():
            raise MethodFailed(gettext("This form has expired. Go back and try again."))
        notice = step.method.prepare_enrolment(step.ctx, _fields(step.method))
    except MethodFailed as exc:
        return _refused(step, exc, enrol=True)
    audit.record(g.directory.id, audit.events.METHOD_PREPARED, now(), user_id=step.user.id,
                 ip=client_ip(), method=name)
    db.session.commit()
    flash(notice)
    return redirect(url_of(uid, "pages.enrol", name=name))


def enrol_send(uid: str, name: str):
    """Send the first challenge of an enrolment, such as a code to a new phone number."""
    return _challenge(uid, name, enrol=True)


def enrol_finish(uid: str, name: str):
    """Confirm a method set up during login; it counts for this login at once."""
    step = open_step(uid, name, enrol=True)
    if step is None:
        return redirect(url_of(uid))
    with attempt_on(account_of(step.user), name) as attempt:
        verified = _answer(step, step.method.finish_enrolment, attempt, enrol=True)
        if isinstance(verified, Response):
            return verified
        _enrolled(step, verified)
    return redirect(url_of(uid))


def _enrolled(step: MethodStep, verified: Verified) -> None:
    """Record a method confirmed during login; recovery codes are shown next if it has none."""
    row, user, name = step.row, step.user, step.method.name
    audit.record(g.directory.id, audit.events.METHOD_ENROLLED, now(), user_id=user.id,
                 ip=client_ip(), method=name)
    recovery = services().methods.get("recovery")
    if recovery is not None and level_settings(g.directory).points_of("recovery") > 0 \
            and not recovery.is_enrolled(user):
        row.state = {**row.state, "show_recovery": True}
    # The first method set up under an admin's allowance spends it (audited, then told).
    helped = enrol_allowance.spend(user, name, now(), ip=client_ip(),
                                   user_agent=request.user_agent.string)
    _remember_choice(row)
    record_method(user, name, verified)
    if helped:
        locale = notice_language(user.locale, str(get_locale() or "en"))
        with force_locale(locale):
            title = str(step.method.title)
        notify(services().delivery, user, Notice("help", "enrol_used", title),
               Origin(now(), request.user_agent.string, client_ip()), locale=locale,
               account_url=services().base_url + url_for("account.profile"))
