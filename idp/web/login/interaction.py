"""The pages of a pending login: log in, choose how to verify, consent (methods: method_steps).

Every POST records what was proven in the browser session and sends the browser
back to the interaction, where the login policy decides again. Pages only ask for the
decision (``next_step``, which changes nothing); the app is answered from the
interaction page alone (``authorize.answer``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from flask import Response, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy import Select, bindparam, select

from ... import audit
from ...clock import now
from ...domain import StepUpPlan
from ...errors import InteractionExpired
from ...methods import (
    AccountDisabled,
    MethodContext,
    MethodFailed,
    PasskeyMethod,
    RecoveryCodes,
    SignInMethod,
    Verified,
)
from ...methods.recovery import code_sheet
from ...observability.requests import note_client
from ...oidc.login import refusing_method, session_user
from ...services import services
from ...storage import db
from ...storage.db import commit_keeping_loaded
from ...storage.models import Client, Interaction, User
from ...tenants.account_client import ACCOUNT_CLIENT_ID
from ...tenants.accounts import named_by
from ...tenants.clients import serving_client
from ...tenants.directories import level_settings
from ...users.consents import grant_consent
from ...users.enrol_allowance import allowed_until
from ...users.registrations import registration_open
from ...users.sessions import complete_method
from ..account.gate import fresh_login_prompt
from ..attempts import account_named, attempt_on
from ..context import client_ip, current_session, set_session_token
from ..forms import ButtonForm, LoginForm
from ..responses import redirect_error
from .authorize import (
    DEVICE,
    LoginRequest,
    answer,
    end_device_login,
    examine,
    finish_interaction,
    validated_redirect_uri,
)
from .remember import recognise_device

UID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@lru_cache(maxsize=8)
def _pending_login(methods: tuple[tuple[str, SignInMethod], ...]) -> Select:
    """The statement of a login's row and of the method its person refused it with, if
    any (``refusing_method``), built once."""
    return select(Interaction, refusing_method(
        methods, Interaction.session_id, Interaction.created_at).label("refused")).where(
        Interaction.id == bindparam("uid"))


def load_interaction(uid: str) -> Interaction:
    """Return the pending login of this browser, or refuse; checked once per request (the
    page's guard, ``while_open``, and the page itself both ask). The same statement reads
    whether the person refused it since (``g.login_refused``)."""
    checked = g.get("interaction")
    if checked is not None and checked.id == uid:
        return checked
    session = current_session()
    found = db.session.execute(_pending_login(tuple(services().methods.items())),
                               {"uid": uid}).first() if UID_PATTERN.match(uid) else None
    row, g.login_refused = found if found is not None else (None, None)
    mine = row is not None and session is not None and row.session_id == session.id \
        and row.directory_id == g.directory.id
    if mine:
        g.login_app = client_of(row)  # an error page of this login leads back to its app
        client_id = row.params.get("client_id")
        if isinstance(client_id, str):
            note_client(request.environ, client_id)  # the request's log line names its app
    if row is None or not mine or row.expires_at <= now():
        raise InteractionExpired(lazy_gettext("This login has expired or was started in "
                                              "another browser. Go back to the app and start "
                                              "again."))
    # Every page of the login speaks the language the app asked for (OIDC Core 3.1.2.1).
    g.ui_locales = tuple((row.params.get("ui_locales") or "").split()[:10])
    g.interaction = row
    return row


def while_open(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run a page of a pending login only while the person has not refused it.

    "This wasn't me" in the app ends the login at once, whatever the browser does next
    (it may hold a stolen password and pick another method): every request of the login
    answers the app with access_denied instead (RFC 6749 4.1.2.1), except the refusing
    method's own page, which a GET only shows: it says why the login stopped, and its one
    button goes back to the app. The refusal was audited when the app answered.
    """
    @wraps(view)
    def inner(uid: str, *args: Any, **kwargs: Any):
        row = load_interaction(uid)
        refused = g.login_refused
        if refused is not None and not _shows_refusal(refused, kwargs.get("name")):
            return end_login(row, "access_denied", "The user said the login was not theirs.")
        return view(uid, *args, **kwargs)
    return inner


def _shows_refusal(refused: str, name: str | None) -> bool:
    """Return whether this request only shows the page of the method that refused the login."""
    return request.method == "GET" and name == refused \
        and request.endpoint in ("pages.method", "pages.enrol")


def url_of(uid: str, endpoint: str = "pages.interaction", **values) -> str:
    return url_for(endpoint, uid=uid, **values)


def page(template: str, row: Interaction, status: int = 200, **context) -> tuple[str, int]:
    """Render a page of this login with the directory, app, settings and methods."""
    settings = level_settings(g.directory)
    return render_template(template, uid=row.id, directory=g.directory,
                           client=client_of(row), settings=settings,
                           methods=services().methods, **context), status


def client_of(row: Interaction) -> Client | None:
    """Return the app a pending login is for (None if it has gone since)."""
    client_id = row.params.get("client_id")
    client = serving_client(g.directory, client_id)
    return None if client is None or client.disabled else client


def next_step(row: Interaction) -> LoginRequest | Response:
    """Decide what this login needs now, changing nothing (see ``authorize.examine``)."""
    return examine(row.params, row)


def show(uid: str):
    """Show the page the login needs now, or answer the app when it needs nothing more."""
    row = load_interaction(uid)
    if row.state.get("show_recovery"):
        return _recovery_codes(row)
    if row.state.get("recovery_used"):
        return _codes_left(row)
    login = next_step(row)
    if isinstance(login, Response):
        return login
    decision = login.decision
    if login.device is not None and decision.kind == "issue":
        return device_approval(row, login)
    if decision.finishes:
        return answer(login, row)
    if decision.step == "login":
        user = login.user
        form = LoginForm(username=user.username if user else login.oidc.login_hint)
        return login_page(row, form=form)
    if decision.step == "stepup":
        return page("stepup.html", row, plan=decision.plan, form=ButtonForm(), user=login.user,
                    notices=help_notices(login.user, decision.plan) + method_notices(login.user))
    if decision.step == "unreachable":
        return page("unreachable.html", row, plan=decision.plan, form=ButtonForm(),
                    notices=method_notices(login.user))
    return page("consent.html", row, form=ButtonForm(),
                 scopes=(row.params.get("scope") or "").split())


def device_approval(row: Interaction, login: LoginRequest):
    """Show what the device asks for (the app, what it may see, the level reached) with
    Approve and Deny: nothing is approved before the person says so (RFC 8628 5.4)."""
    device, outcome = login.device, login.decision.outcome
    assert device is not None and outcome is not None
    return page("device_approve.html", row, form=ButtonForm(), user=login.user,
                scopes=device.scope.split(), level=outcome.acr)


def help_notices(user: User | None, plan: StepUpPlan | None) -> list[str]:
    """Say why the login offers to set up a new method, when an admin allowed it."""
    if user is None or plan is None or not plan.enrol_options \
            or allowed_until(user, now()) is None:
        return []
    return [gettext("Your administrator lets you set up a new sign-in method now, once. "
                    "Choose one below: it counts towards the level at once.")]


def method_notices(user: User | None) -> list[str]:
    """Return why methods the user set up cannot be used now (enabled methods only)."""
    if user is None:
        return []
    settings = level_settings(g.directory)
    notices = (method.notice(user) for name, method in services().methods.items()
               if settings.points_of(name) > 0)
    return [text for text in notices if text]


def login(uid: str):
    """Check username and password; the password identifies the user."""
    row = load_interaction(uid)
    form = LoginForm()
    if not form.validate_on_submit():
        return login_page(row, status=400, form=form,
                          error=gettext("Enter your username or email and your password."))
    login_name = form.username.data
    named = named_by(g.directory, login_name)
    with attempt_on(account_named(g.directory.id, login_name, named), "password") as attempt:
        try:
            user = services().password_method.identify_named(named, form.password.data, now())
        except AccountDisabled as exc:  # the right password: say so, as its own event
            return _login_refused(row, form, "password", exc)
        except MethodFailed as exc:
            attempt.failed()
            return _login_failed(row, form, "password", exc, named)
        attempt.succeeded()
        record_password(user)
    return redirect(url_of(uid))


def _login_failed(row: Interaction, form: LoginForm, method: str, exc: MethodFailed,
                  named: User | None = None):
    """Audit a failed first step and show the login again."""
    db.session.rollback()
    # The account the attempt named, when there is one: its admins see it in its logins.
    audit.record(g.directory.id, audit.events.LOGIN_FAILED, now(),
                 user_id=named.id if named else None, ip=client_ip(),
                 user_agent=request.user_agent.string, method=method)
    db.session.commit()
    return login_page(row, status=400, form=form, error=str(exc))


def _login_refused(row: Interaction, form: LoginForm, method: str, exc: AccountDisabled):
    """Audit the right password (or passkey) of a disabled account and say that it is
    disabled."""
    user_id = exc.user.id
    db.session.rollback()
    audit.record(g.directory.id, audit.events.LOGIN_DISABLED, now(), user_id=user_id,
                 ip=client_ip(), user_agent=request.user_agent.string, method=method)
    db.session.commit()
    return login_page(row, status=exc.status, form=form, error=str(exc), disabled=True)


def accepted_passkey() -> PasskeyMethod | None:
    """Return the passkey method when the directory accepts passkeys (points above 0)."""
    passkey = services().methods.get("passkey")
    if isinstance(passkey, PasskeyMethod) and level_settings(g.directory).points_of("passkey"):
        return passkey
    return None


def passkey_request() -> tuple[str | None, str | None]:
    """Return a page's request for a passkey that names its user (its options as JSON, and
    the sealed challenge), or (None, None) when the directory accepts no passkeys."""
    passkey = accepted_passkey()
    if passkey is None:
        return None, None
    session = current_session()
    request_options, challenge = passkey.login_options(
        session.id if session else None, now(), services().sealer)
    return json.dumps(request_options), challenge


def login_page(row: Interaction, status: int = 200, **context):
    """Render the login page, with a passkey request when the directory accepts passkeys."""
    options, challenge = passkey_request()
    # A login again before a change on the account pages: say why, and keep the person.
    prompt = fresh_login_prompt(row.params.get("state")) \
        if row.params.get("client_id") == ACCOUNT_CLIENT_ID else None
    person = session_user(current_session()) if prompt else None
    if person is None:
        prompt = None
    elif "form" in context:
        context["form"].username.data = person.username
    return page("login.html", row, status=status, passkey_options=options,
                passkey_challenge=challenge,
                self_registration=registration_open(g.directory) and person is None,
                fresh_prompt=prompt, locked_username=person is not None,
                **context)


def passkey_login(uid: str):
    """Log in with a passkey alone: the browser chose it, its user handle names the user."""
    row = load_interaction(uid)
    passkey = accepted_passkey()
    if passkey is None:
        return redirect(url_of(uid))
    session = current_session()
    try:
        user, verified = passkey.identify(g.directory, session.id if session else None,
                                          (request.form.get("credential") or "")[:16384],
                                          (request.form.get("challenge") or "")[:4096], now(),
                                          services().sealer)
    except AccountDisabled as exc:
        return _login_refused(row, LoginForm(formdata=None), "passkey", exc)
    except MethodFailed as exc:
        return _login_failed(row, LoginForm(formdata=None), "passkey", exc)
    record_method(user, "passkey", verified)
    return redirect(url_of(uid))


def record_password(user: User) -> None:
    """Record that the user proved their password in this browser session (the login form,
    or a sign-up that just chose it)."""
    record_method(user, "password", Verified(amr=("pwd",)))


def record_method(user: User, method: str, verified: Verified) -> None:
    """Record a completed method in the browser session (and this browser, if remembered)."""
    session = current_session()
    assert session is not None
    set_session_token(complete_method(session, user, method, verified.amr, now()))
    audit.record(g.directory.id, audit.events.METHOD_COMPLETED, now(), user_id=user.id,
                 ip=client_ip(), user_agent=request.user_agent.string, method=method)
    recognise_device(session, user)
    commit_keeping_loaded()  # what the request reads after it (its directory) is unchanged


def signed_in() -> tuple[User, MethodContext]:
    """Return the session's user and the context a method runs in, or refuse."""
    session = current_session()
    user = session_user(session)
    if user is None or session is None:
        raise InteractionExpired(lazy_gettext("Log in first."))
    return user, MethodContext(directory=g.directory, user=user, now=now(),
                               sealer=services().sealer, session_id=session.id, ip=client_ip())


def offered(row: Interaction, name: str, *, enrol: bool) -> LoginRequest | None:
    """Return the login if it offers this method (or its enrolment) now; it changes nothing.

    When it does not (the level was met meanwhile, say in another tab), the interaction
    page decides again and answers the app.
    """
    login = next_step(row)
    if isinstance(login, Response) or login.decision.plan is None \
            or login.decision.finishes:
        return None
    plan = login.decision.plan
    return login if name in (plan.enrol_options if enrol else plan.options) else None


def _recovery_codes(row: Interaction):
    user, ctx = signed_in()
    codes = services().methods["recovery"].issue(user, ctx.now)  # type: ignore[attr-defined]
    row.state = {**row.state, "show_recovery": False}
    audit.record(g.directory.id, audit.events.RECOVERY_CODES_ISSUED, ctx.now, user_id=user.id,
                 ip=client_ip())
    db.session.commit()
    return page("recovery_codes.html", row, form=ButtonForm(),
                sheet=code_sheet(codes, g.directory.name, user.username, ctx.now))


def _codes_left(row: Interaction):
    """Say how many recovery codes are left after one was used; offer new ones when few are."""
    user, _ctx = signed_in()
    recovery: RecoveryCodes = services().methods["recovery"]  # type: ignore[assignment]
    renew = recovery.few_left(user) and level_settings(g.directory).points_of("recovery") > 0
    row.state = {**row.state, "recovery_used": False, "may_renew": renew}
    db.session.commit()
    return page("recovery_left.html", row, form=ButtonForm(),
                remaining=recovery.remaining(user), renew=renew)


def renew_codes(uid: str):
    """Make new recovery codes during the login, when the page after a used code offered
    them; they are shown next, once."""
    row = load_interaction(uid)
    signed_in()
    if row.state.get("may_renew"):
        row.state = {**row.state, "may_renew": False, "show_recovery": True}
        db.session.commit()
    return redirect(url_of(uid))


def consent(uid: str):
    """Record the user's answer to a client that asks for their data."""
    row = load_interaction(uid)
    user, ctx = signed_in()
    if request.form.get("decision") != "allow":
        return cancel(uid)
    login = next_step(row)
    if isinstance(login, Response):
        return login
    if not login.decision.finishes:
        grant_consent(user, login.client, row.params.get("scope") or "", ctx.now)
        row.state = {**row.state, "consented": True}
        db.session.commit()
    return redirect(url_of(uid))


def cancel(uid: str):
    """End the login without logging in: the app gets access_denied."""
    row = load_interaction(uid)
    if request.form.get("reason") == "unreachable":
        return end_login(row, "unmet_authentication_requirements",
                         "The user cannot reach the required level with their methods.")
    return end_login(row, "access_denied", "The user did not log in.")


def end_login(row: Interaction, error: str, description: str):
    """Forget the pending login and send the app the error (a device's: deny its request)."""
    if DEVICE in row.params:
        return end_device_login(row, error)
    redirect_uri = validated_redirect_uri(row.params)
    if isinstance(redirect_uri, Response):
        return redirect_uri
    finish_interaction(row)
    return redirect_error(redirect_uri, error, description, row.params.get("state"))


def continue_login(uid: str):
    """Go on after the recovery codes were shown."""
    load_interaction(uid)
    return redirect(url_of(uid))
