"""The pages of a password reset inside a pending login ("Forgot your password?").

The rules and their order are ``idp.users.recovery``: a name, a first proof (a code, or a
passkey), a step-up on the login's own method pages (``method_steps`` asks ``resetting``
and records proofs here), and a new password. Then every session of the user has ended, and
the app's login starts again so the person logs in with the new password.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, flash, g, redirect, request, url_for
from flask_babel import get_locale, gettext

from ...clock import now
from ...config import current_settings
from ...methods import MethodContext, MethodFailed
from ...methods.one_time_codes import policy_from
from ...services import services
from ...storage import db
from ...storage.models import Interaction, User
from ...tenants.brand import brand_of
from ...users.notifications import Origin
from ...users.recovery import (
    Reset,
    ResetContext,
    ResetRefused,
    check_first_code,
    choose_password,
    finish_reset,
    passkey_proof,
    record_proof,
    report_outcome,
    reset_plan,
    reset_user,
    start_reset,
)
from ..account import password_rules
from ..attempts import account_named, attempt_on
from ..context import client_ip, current_session
from ..forms import ButtonForm
from ..languages import notice_language
from .authorize import DEVICE
from .interaction import (
    accepted_passkey,
    client_of,
    load_interaction,
    page,
    passkey_request,
    show,
    url_of,
)
from .interaction import cancel as cancel_login

MAX_FIELD = 1024


def _field(name: str) -> str:
    return (request.form.get(name) or "")[:MAX_FIELD + 1]


def context() -> ResetContext:
    """Return the context of a reset in this request (codes: the installation's policy)."""
    session = current_session()
    policy = policy_from(current_settings())
    return ResetContext(directory=g.directory, methods=services().methods,
                        sealer=services().sealer, now=now(),
                        session_id=session.id if session else None, ip=client_ip(),
                        user_agent=request.user_agent.string,
                        max_failures=policy.max_failures, code_ttl=policy.ttl)


def resetting(row: Interaction) -> Reset | None:
    """Return the reset this login is in, if any."""
    return Reset.from_state(row.state)


def _save(row: Interaction, reset: Reset | None) -> None:
    state = {k: v for k, v in row.state.items() if k != "reset"}
    if reset is not None:
        state["reset"] = reset.to_state()
    row.state = state


def reset_step(row: Interaction, name: str) -> tuple[User, MethodContext] | None:
    """Return the user and method context when the reset offers this method now."""
    reset = resetting(row)
    ctx = context()
    user = reset_user(ctx, reset) if reset is not None and reset.first_proof_done else None
    if user is None or reset is None:
        return None
    plan = reset_plan(ctx, user, reset.proven)
    if plan.satisfied or name not in plan.options:
        return None
    method_ctx = ctx.method_context(user)
    client = client_of(row)
    method_ctx.extra.update(client_name=client.name if client else brand_of(g.directory).name,
                            user_agent=ctx.user_agent)
    return user, method_ctx


def record_reset_method(row: Interaction, user: User, name: str) -> None:
    """Count a method proven on its page towards the reset (nothing is logged in)."""
    reset = resetting(row)
    if reset is None:
        return
    _save(row, record_proof(context(), reset, user, name))
    db.session.commit()


def _name_page(row: Interaction, status: int = 200, error: str | None = None,
               name: str = ""):
    options, challenge = passkey_request()
    return page("reset_start.html", row, status=status, error=error, name=name,
                passkey_options=options, passkey_challenge=challenge)


def reset_start(uid: str):
    """Ask for the username or email address of the account to reset."""
    row = load_interaction(uid)
    return _name_page(row)


def reset_send(uid: str):
    """Send the first code (or do the same work for an unknown name); ask for it."""
    row = load_interaction(uid)
    ctx = context()
    typed = _field("username")
    try:
        reset = start_reset(ctx, typed)
    except ResetRefused as exc:
        return _name_page(row, 400, str(exc), typed[:254])
    _save(row, reset)
    db.session.commit()
    return redirect(url_of(uid), 303)


def reset_code(uid: str):
    """Check the first code; every name gets the same answer."""
    row = load_interaction(uid)
    reset = resetting(row)
    if reset is None or reset.first_proof_done:
        return redirect(url_of(uid), 303)
    ctx = context()
    user = reset_user(ctx, reset)
    with attempt_on(account_named(g.directory.id, reset.name, user), "reset") as attempt:
        try:
            reset = check_first_code(ctx, reset, _field("code"))
        except ResetRefused as exc:
            if exc.reset is not None:
                attempt.failed()
                _save(row, exc.reset)
                db.session.commit()
            return _code_page(row, exc.reset or reset, 400, str(exc))
        attempt.succeeded()
    _save(row, reset)
    db.session.commit()
    return redirect(url_of(uid), 303)


def reset_passkey(uid: str):
    """A first proof by passkey: the passkey names the account."""
    row = load_interaction(uid)
    passkey = accepted_passkey()
    if passkey is None:
        return redirect(url_of(uid), 303)
    ctx = context()
    try:
        user, _ = passkey.identify(g.directory, ctx.session_id,
                                   (request.form.get("credential") or "")[:16384],
                                   (request.form.get("challenge") or "")[:4096], ctx.now,
                                   ctx.sealer)
    except MethodFailed as exc:
        db.session.rollback()
        return _name_page(row, 400, str(exc))
    _save(row, passkey_proof(ctx, resetting(row), user))
    db.session.commit()
    return redirect(url_of(uid), 303)


def _code_page(row: Interaction, reset: Reset, status: int = 200, error: str | None = None):
    return page("reset_code.html", row, status=status, error=error, name=reset.name)


def reset_show(row: Interaction):
    """Show the step of the reset: the first code, the step-up, the new password, or
    what to do when the level cannot be reached."""
    reset = resetting(row)
    assert reset is not None
    if not reset.first_proof_done:
        return _code_page(row, reset)
    ctx = context()
    user = reset_user(ctx, reset)
    if user is None:
        _save(row, None)
        db.session.commit()
        return redirect(url_of(row.id), 303)
    plan = reset_plan(ctx, user, reset.proven)
    reported = report_outcome(ctx, reset, user, plan)
    if reported is not reset:
        _save(row, reported)
        db.session.commit()
    if plan.satisfied:
        return _password_page(row, user)
    if not plan.reachable:
        return page("reset_stuck.html", row, plan=plan)
    return page("stepup.html", row, plan=plan, user=user, notices=[], resetting=True,
                form=ButtonForm())


def _password_page(row: Interaction, user: User, status: int = 200,
                   errors: dict[str, str] | None = None):
    errors = errors or {}
    return page("reset_password.html", row, status=status, person=user, errors=errors,
                error=(errors.get("") or gettext("Some fields are not right. Check the "
                                                 "marked fields.")) if errors else None,
                password_rules=password_rules)


def reset_password(uid: str):
    """Set the new password once the reset level is reached; end every session; log in."""
    row = load_interaction(uid)
    reset = resetting(row)
    ctx = context()
    user = reset_user(ctx, reset) if reset is not None else None
    if reset is None or user is None or not reset_plan(ctx, user, reset.proven).satisfied:
        return redirect(url_of(uid), 303)
    try:
        choose_password(user, _field("new_password"), _field("repeat_password"),
                        services().passwords, ctx.now)
    except ResetRefused as exc:
        db.session.rollback()
        return _password_page(row, user, 400, {exc.field: str(exc)})
    params = dict(row.params)
    db.session.delete(row)
    finish_reset(g.directory, user, Origin(ctx.now, ctx.user_agent, ctx.ip), "forgot",
                 delivery=services().delivery,
                 locale=notice_language(user.locale, str(get_locale() or "en")),
                 account_url=services().base_url + url_for("account.profile"))
    flash(gettext("Your password was changed and every session of your account ended. Log "
                  "in with your new password."))
    if DEVICE in params:
        # The device's user code is kept only hashed: the person types it again.
        return redirect(url_for("pages.device"), 303)
    params.setdefault("login_hint", user.username)
    return redirect(url_for("pages.authorize") + "?" + urlencode(params), 303)


def cancel(uid: str) -> Response:
    """Leave the reset and go back to the login form; outside a reset, end the login."""
    row = load_interaction(uid)
    if resetting(row) is None:
        return cancel_login(uid)
    _save(row, None)
    db.session.commit()
    return redirect(url_of(row.id), 303)


def interaction(uid: str):
    """The page of a pending login: the reset's step while one is under way."""
    row = load_interaction(uid)
    if resetting(row) is not None:
        return reset_show(row)
    return show(uid)
