"""The operator console: the installation's directories and health, for the admins of the
operators' directory (``idp.tenants.directories.OPERATOR_DIRECTORY``, made by `idp init`).

Operators create a directory and invite its first admin by email (the same single-use
link as any invitation). The console shows each directory in figures only: no directory's
people are listed here. In every other directory these pages do not exist (404).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from ... import audit
from ...admin.directories import (
    add_directory,
    disable_directory,
    enable_directory,
    summarize_directories,
)
from ...admin.installation import key_ages
from ...admin.users import UserAdminError
from ...clock import now
from ...config import current_settings
from ...services import services
from ...storage import db
from ...tenants.directories import (
    DirectoryError,
    get_directory,
    is_operator_directory,
)
from ...users.invitations import InvitationError, send_invitation
from ..account import account
from ..account.gate import current_user, signed_in_page
from ..health import readiness

MAX_FIELD = 200


def operator_page(view):
    """Let a view run only in the operators' directory, for its admins."""
    return _in_operators_directory(view, signed_in_page(admin=True)(view))


def operator_change(back: str | None = None):
    """Like ``operator_page``, for a change: it also needs a recent login (as a directory
    admin's settings changes do); after logging in again the operator comes back to `back`
    (an endpoint), or to this path."""
    def wrap(view):
        gated = signed_in_page(admin=True, fresh=True, why="operator", back=back)(view)
        return _in_operators_directory(view, gated)
    return wrap


def _in_operators_directory(view, gated):
    @wraps(view)
    def inner(*args, **kwargs):
        if not is_operator_directory(g.directory):
            abort(404)
        return gated(*args, **kwargs)
    return inner


def _by() -> str:
    """Name the operator's change in the changed directory's audit log."""
    return f"operator console: {current_user().username}"[:300]


def _field(name: str) -> str:
    value = request.form.get(name, "")
    return value.strip()[:MAX_FIELD + 1] if isinstance(value, str) else ""


@account.get("/operator/")
@operator_page
def operator_console():
    """List the directories in figures, and the installation's health."""
    at, svc = now(), services()
    # A channel is named by the method that sends codes through it; email carries more.
    titles = {channel: method.title for method in svc.methods.values()
              if (channel := getattr(method, "channel", None))}
    titles["email"] = gettext("Email")
    return render_template(
        "admin/operator.html", directory=g.directory, summaries=summarize_directories(),
        checks=readiness(), channels=svc.delivery.channel_states(), channel_titles=titles,
        keys=key_ages(at), now=at, base_url=svc.base_url)


def _new_page(values: dict[str, str], error: str | None = None, field: str | None = None,
              status: int = 200):
    return render_template("admin/operator_new.html", directory=g.directory, values=values,
                           error=error, field_name=field), status


@account.get("/operator/directories/new")
@operator_page
def operator_directory_new():
    """Show the form that creates a directory and invites its first admin."""
    return _new_page({})


@account.post("/operator/directories/new")
@operator_change()
def operator_directory_create():
    """Create a directory with default settings and fresh keys; invite its first admin."""
    values = {name: _field(name) for name in ("slug", "name", "email")}
    try:
        created, admin = add_directory(
            values["slug"], values["name"], sealer=services().sealer, now=now(),
            admin_email=values["email"], passwords=services().passwords, by=_by())
    except DirectoryError as exc:
        db.session.rollback()
        return _new_page(values, str(exc), exc.field, 400)
    except UserAdminError as exc:
        db.session.rollback()
        return _new_page(values, str(exc), "email", 400)
    if admin is None:  # not reached: an admin email is always given here
        db.session.rollback()
        return _new_page(values, gettext("Enter the email address the invitation goes to."),
                         "email", 400)
    audit.record(g.directory.id, audit.events.ADMIN_DIRECTORY_CREATED, now(),
                 actor=current_user().id, directory=created.slug, name=created.name)
    db.session.commit()
    try:
        send_invitation(created, admin, current_user(), now(), delivery=services().delivery,
                        base_url=services().base_url,
                        ttl_hours=current_settings().invitation_ttl_hours)
    except InvitationError as exc:
        flash(gettext("Directory %(slug)s was created, but: %(reason)s", slug=created.slug,
                      reason=exc))
        return redirect(url_for("account.operator_console"))
    flash(gettext("Directory %(slug)s was created, and its first admin was invited by email "
                  "to %(email)s.", slug=created.slug, email=admin.email))
    return redirect(url_for("account.operator_console"))


def _switch(slug: str, enable: bool):
    """Disable or enable a directory other than the operators' own; audit it on both sides."""
    target = get_directory(slug)
    if target is None:
        abort(404)
    if is_operator_directory(target):
        flash(gettext("The operators' directory cannot be disabled from its own console: use "
                      "`idp directory disable` on the command line."))
        return redirect(url_for("account.operator_console"))
    if enable:
        if enable_directory(target, now(), by=_by()):
            audit.record(g.directory.id, audit.events.ADMIN_DIRECTORY_ENABLED, now(),
                         actor=current_user().id, directory=target.slug)
        text = gettext("Directory %(slug)s is enabled again. Sessions and tokens ended when "
                       "it was disabled stay ended.", slug=target.slug)
    else:
        if disable_directory(target, now(), by=_by()) is not None:
            audit.record(g.directory.id, audit.events.ADMIN_DIRECTORY_DISABLED, now(),
                         actor=current_user().id, directory=target.slug)
        text = gettext("Directory %(slug)s is disabled: its sessions ended, its tokens were "
                       "revoked, and its pages and endpoints refuse every request.",
                       slug=target.slug)
    db.session.commit()
    flash(text)
    return redirect(url_for("account.operator_console"))


@account.post("/operator/directories/<target>/disable")
@operator_change(back="account.operator_console")
def operator_directory_disable(target: str):
    """Disable a directory: end its sessions, revoke its tokens, refuse its requests."""
    return _switch(target, enable=False)


@account.post("/operator/directories/<target>/enable")
@operator_change(back="account.operator_console")
def operator_directory_enable(target: str):
    """Serve a disabled directory again."""
    return _switch(target, enable=True)
