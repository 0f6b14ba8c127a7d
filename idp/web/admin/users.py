"""The admin's Users pages: the list (search, keyset paging), inviting a user, one user.

A user's page takes every change as a POST to its own path with the button's ``action``;
each change is audited as ``admin.<what>`` with the admin as ``actor``. No page here has
a password field: an admin invites, and the user sets their own password.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale, format_datetime, get_locale, gettext

from ...admin.users import (
    UserAdminError,
    allow_enrolment,
    change_claims,
    change_user,
    create_invited_user,
    enrol_after_password,
    get_user,
    live_sessions,
    locked_out_until,
    log_out_user,
    recent_logins,
    removal_effect,
    remove_method,
    search_users,
    switch_user,
    unlock_user,
    withdraw_enrolment,
)
from ...clock import now
from ...config import current_settings
from ...domain.claims import ClaimsRefused
from ...errors import NotFound
from ...methods import enrollable_now
from ...services import services
from ...storage import db
from ...storage.models import User
from ...tenants.asked_claims import asked_claims
from ...tenants.directories import level_settings
from ...users.claims import stored_claims
from ...users.enrol_allowance import ALLOWANCE_HOURS, allowed_until
from ...users.enrolments import list_enrolments
from ...users.invitations import InvitationError, send_invitation
from ...users.notifications import Notice, Origin, notify
from ...users.recovery import ResetRefused, send_reset_link
from ..account import account
from ..account.gate import current_user, signed_in_page
from ..claims_form import field_errors, form_fields, form_values, typed_claims
from ..context import client_ip
from ..languages import notice_language

FIELD_LIMITS = {"username": 150, "name": 200, "email": 254, "phone": 32, "q": 100}


def _field(name: str) -> str:
    """Return a posted text field, cut to its limit (longer input is refused by the checks)."""
    value = request.form.get(name, "")
    limit = FIELD_LIMITS.get(name, 100)
    return value if len(value) <= limit else value[:limit + 1]


@account.get("/admin/users")
@signed_in_page(admin=True)
def admin_users():
    """List the directory's users, 50 a page, optionally matching a search."""
    query = request.args.get("q", "")[:FIELD_LIMITS["q"]]
    page = search_users(g.directory, services().methods, query, after=request.args.get("after"),
                        before=request.args.get("before"))
    return render_template("admin/users.html", directory=g.directory, page=page, query=query,
                           methods=services().methods)


@account.get("/admin/users/new")
@signed_in_page(admin=True)
def admin_user_new():
    """Show the form that creates and invites a user."""
    return _new_page({})


@account.post("/admin/users/new")
@signed_in_page(admin=True)
def admin_user_create():
    """Create the user without a password and email them an invitation to set one."""
    values = {name: _field(name) for name in ("username", "name", "email", "phone")}
    values["admin"] = request.form.get("admin") == "yes"
    try:
        user = create_invited_user(
            g.directory, current_user(), username=values["username"], name=values["name"],
            email=values["email"], phone=values["phone"], is_admin=values["admin"], now=now(),
            passwords=services().passwords)
    except UserAdminError as exc:
        return _new_page(values, exc), 400
    db.session.commit()
    try:
        _invite(user)
    except InvitationError as exc:
        return _user_page(user, error=gettext("%(user)s was created, but: %(reason)s",
                                              user=user.username, reason=exc))
    flash(gettext("%(user)s was created and invited by email to %(email)s.",
                  user=user.username, email=user.email))
    return redirect(url_for("account.admin_user", user_id=user.id))


@account.get("/admin/users/<user_id>")
@signed_in_page(admin=True)
def admin_user(user_id: str):
    """Show one user: details, sign-in methods, sessions, recent logins."""
    return _user_page(_load(user_id))


@account.post("/admin/users/<user_id>")
@signed_in_page(admin=True)
def admin_user_change(user_id: str):
    """Apply the change the pressed button names, then show the page again."""
    user = _load(user_id)
    name = request.form.get("action", "")
    action = ACTIONS.get(name)
    if action is None:
        abort(400, gettext("This form does not say what to do."))
    if name == "disable" and request.form.get("confirm") != "yes" and not user.disabled \
            and user.id != current_user().id:
        return _confirm_disable(user)
    try:
        notice = action(user)
    except (UserAdminError, InvitationError, ClaimsRefused, ResetRefused) as exc:
        db.session.rollback()
        return _user_page(_load(user_id), error=exc, values=request.form), 400
    db.session.commit()
    flash(notice)
    return redirect(url_for("account.admin_user", user_id=user.id))


def _confirm_disable(user: User):
    """Ask once more before a user is disabled (works without JavaScript)."""
    back = url_for("account.admin_user", user_id=user.id)
    return render_template(
        "admin/confirm.html", directory=g.directory,
        question=gettext("Disable %(user)s?", user=user.username),
        effects=[gettext("%(user)s can no longer log in: their sessions end at once and apps "
                         "lose their tokens.", user=user.username),
                 gettext("You can enable them again later; they then log in again.")],
        button=gettext("Disable this user"), action="disable", back_url=back,
        action_url=url_for("account.admin_user_change", user_id=user.id))


def _load(user_id: str) -> User:
    user = get_user(g.directory, user_id)
    if user is None:
        raise NotFound(gettext("There is no such user in this directory."))
    return user


def _new_page(values: dict, error: UserAdminError | None = None):
    return render_template("admin/user_new.html", directory=g.directory, values=values,
                           hours=current_settings().invitation_ttl_hours,
                           error=str(error) if error else None,
                           error_field=getattr(error, "field", None))


def _user_page(user: User, error: Exception | str | None = None, values=None):
    claim_errors = field_errors(error) if isinstance(error, ClaimsRefused) else {}
    if claim_errors:
        error = gettext("Some details cannot be saved. Check the fields marked below.")
    claim_values = values if claim_errors else form_values(stored_claims(user))
    moment = now()
    settings = level_settings(g.directory)
    methods = services().methods
    items = list_enrolments(user, moment, methods)
    effects = {item.key: removal_effect(settings, items, item.key, enrollable_now(methods))
               for item in items if item.removable}
    return render_template(
        "admin/user.html", directory=g.directory, person=user, items=items, effects=effects,
        standing=removal_effect(settings, items, "", enrollable_now(methods)), settings=settings,
        methods=methods,
        sessions=live_sessions(user, moment), logins=recent_logins(user),
        locked_until=locked_out_until(user, moment),
        is_self=user.id == current_user().id, values=values or {},
        allowed_until=allowed_until(user, moment), allowance_hours=ALLOWANCE_HOURS,
        enrol_after_password=enrol_after_password(settings, enrollable_now(methods)),
        claim_fields=form_fields(asked_claims(g.directory)), claim_values=claim_values,
        claim_errors=claim_errors, reset_hours=current_settings().invitation_ttl_hours,
        error=str(error) if error else None, error_field=getattr(error, "field", None))


@account.post("/admin/users/<user_id>/new-method")
@signed_in_page(admin=True)
def admin_user_new_method(user_id: str):
    """Let the user set up a new method at their next login, or withdraw that; the user is
    emailed either way."""
    user = _load(user_id)
    action = request.form.get("action", "")
    if action not in ("allow", "withdraw"):
        abort(400, gettext("This form does not say what to do."))
    moment = now()
    if action == "allow":
        try:
            until = allow_enrolment(g.directory, user, current_user(), moment,
                                    services().methods, ip=client_ip(),
                                    user_agent=request.user_agent.string)
        except UserAdminError as exc:
            db.session.rollback()
            return _user_page(_load(user_id), error=exc), 400
        db.session.commit()
        _tell(user, "enrol_allowed", until)
        flash(gettext("%(user)s can set up a new sign-in method at their next login, once, "
                      "until %(when)s. They were told by email.", user=user.username,
                      when=_when(until)))
    elif withdraw_enrolment(g.directory, user, current_user(), moment, ip=client_ip(),
                            user_agent=request.user_agent.string):
        db.session.commit()
        _tell(user, "enrol_withdrawn")
        flash(gettext("%(user)s can no longer set up a new method at their next login.",
                      user=user.username))
    else:
        flash(gettext("There was nothing to withdraw: %(user)s had no allowance to set up a "
                      "new method.", user=user.username))
    return redirect(url_for("account.admin_user", user_id=user.id, _anchor="help"), 303)


def _when(at: float) -> str:
    return gettext("%(time)s (UTC)", time=format_datetime(datetime.fromtimestamp(at, UTC),
                                                          "medium"))


def _tell(user: User, subject: str, until: float | None = None) -> None:
    """Email the user about help the admin gave, in their language (after the commit; a
    failure is only logged)."""
    locale = notice_language(user.locale, g.directory.default_locale
                             or str(get_locale() or "en"))
    with force_locale(locale):
        detail = _when(until) if until is not None else None
    notify(services().delivery, user, Notice("help", subject, detail),
           Origin(now(), request.user_agent.string, client_ip()), locale=locale,
           account_url=services().base_url + url_for("account.profile"))


def _invite(user: User) -> None:
    svc = services()
    send_invitation(g.directory, user, current_user(), now(), delivery=svc.delivery,
                    base_url=svc.base_url, ttl_hours=current_settings().invitation_ttl_hours)


# --- the changes of the user page: each returns the notice to show -------------------------

def _save(user: User) -> str:
    changed = change_user(g.directory, user, current_user(), name=_field("name"),
                          email=_field("email"), phone=_field("phone"), now=now())
    return gettext("Saved.") if changed else gettext("Nothing changed.")


def _save_claims(user: User) -> str:
    names, typed = typed_claims(asked_claims(g.directory))
    changed = change_claims(user, current_user(), typed, names, now())
    return gettext("Saved.") if changed else gettext("Nothing changed.")


def _remove(user: User) -> str:
    _item, effect = remove_method(g.directory, user, request.form.get("item", ""),
                                  current_user(), now(), services().methods)
    if effect.reachable:
        return gettext("The sign-in method was removed.")
    if effect.can_enrol_at_login:
        return gettext("The sign-in method was removed. %(user)s cannot reach level "
                       "%(level)s with what is left: their next login asks them to set up "
                       "another method.", user=user.username, level=effect.required)
    return gettext("The sign-in method was removed. %(user)s cannot reach level %(level)s "
                   "with what is left and cannot log in until the directory's settings "
                   "change.", user=user.username, level=effect.required)


def _disable(user: User) -> str:
    switch_user(user, True, current_user(), now())
    return gettext("%(user)s is disabled and logged out everywhere.", user=user.username)


def _enable(user: User) -> str:
    switch_user(user, False, current_user(), now())
    return gettext("%(user)s can log in again.", user=user.username)


def _end_sessions(user: User) -> str:
    log_out_user(g.directory, user, current_user(), now(), client_ip())
    return gettext("%(user)s is logged out everywhere.", user=user.username)


def _unlock(user: User) -> str:
    if not unlock_user(user, current_user(), now()):
        return gettext("%(user)s was not locked out. Their failed attempts are forgotten.",
                       user=user.username)
    return gettext("%(user)s is unlocked and can try to log in again.", user=user.username)


def _resend(user: User) -> str:
    _invite(user)
    return gettext("A new invitation was sent to %(email)s. Older links no longer work.",
                   email=user.email)


def _reset_link(user: User) -> str:
    svc = services()
    send_reset_link(g.directory, user, current_user(), now(), delivery=svc.delivery,
                    base_url=svc.base_url, ttl_hours=current_settings().invitation_ttl_hours)
    return gettext("A password reset link was sent to %(email)s. Older links no longer work.",
                   email=user.email)


ACTIONS: dict[str, Callable[[User], str]] = {
    "save": _save, "claims": _save_claims, "remove": _remove, "disable": _disable,
    "enable": _enable, "end_sessions": _end_sessions, "invite": _resend, "unlock": _unlock,
    "reset_link": _reset_link,
}
