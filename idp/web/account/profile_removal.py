"""Remove or rename one enrolled item (a passkey, the authenticator app, the phone, ...).

Every removal is confirmed on a page of its own (a POST without the confirmation shows
that page and removes nothing), which says what it means: whether the person still
reaches the directory's level, or at the next login sets up another method first, and
what happens to the address or number codes went to (``SignInMethod.removal_note``).
What would leave no way to reach the level is refused, with the reason
(``idp.users.profile.removal_effect``).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from sqlalchemy import update

from ... import audit
from ...clock import now
from ...services import services
from ...storage import db
from ...storage.models import AppDevice, Passkey
from ...tenants.directories import level_settings
from ...users.enrolments import Enrolment, list_enrolments, remove_enrolment
from ...users.profile import ProfileError, Removal, removal_effect, valid_key
from . import account
from .gate import current_user, signed_in_page
from .profile_common import enrollable, reason_text, record, render, send_notice, text_field

#: Items that have a name the person chose and can change.
RENAMABLE = ("passkey", "app")


def _effect(key: str) -> Removal:
    """Return what removing the person's item `key` means; 400 if malformed, 404 if not theirs."""
    if not valid_key(key):
        abort(400, gettext("This link is not valid."))
    items = list_enrolments(current_user(), now(), services().methods)
    effect = removal_effect(level_settings(g.directory), items, key, enrollable())
    if effect is None or effect.item.method == "device":
        abort(404, gettext("There is no such sign-in method in your account."))
    if not effect.item.removable:
        abort(400, gettext("Your password cannot be removed. You can change it."))
    return effect


def _title_of(method: str) -> str:
    return str(services().methods[method].title)


def _confirm_page(effect: Removal, status: int = 200):
    return render("account/profile_remove.html", status, effect=effect,
                  enrol_titles=[_title_of(m) for m in effect.enrol_after],
                  note=services().methods[effect.item.method].removal_note(current_user()))


@account.get("/account/methods/<key>/remove")
@signed_in_page(fresh=True)
def profile_remove_page(key: str):
    """Say what removing the item means, and ask to confirm."""
    effect = _effect(key)
    return _confirm_page(effect, 409 if effect.refused else 200)


@account.post("/account/methods/<key>/remove")
@signed_in_page(fresh=True)
def profile_remove(key: str):
    """Remove the item once confirmed; refuse the last way to the level."""
    effect = _effect(key)
    if effect.refused:
        return _confirm_page(effect, 409)
    if request.form.get("confirm") != "yes":
        return _confirm_page(effect)
    item = remove_enrolment(current_user(), key, now(), services().methods)
    if item is None:  # removed meanwhile by another request
        abort(404, gettext("There is no such sign-in method in your account."))
    record(audit.events.METHOD_REMOVED, method=item.method, name=_shown_name(item))
    db.session.commit()
    send_notice("removed", item.method, _shown_name(item))
    flash(gettext("Removed: %(method)s.", method=_title_of(item.method)))
    return redirect(url_for("account.profile"))


def _shown_name(item: Enrolment) -> str | None:
    return item.label if item.method in RENAMABLE else None


def _renamable(key: str) -> Enrolment:
    if not valid_key(key):
        abort(400, gettext("This link is not valid."))
    items = list_enrolments(current_user(), now(), services().methods)
    item = next((i for i in items if i.key == key), None)
    if item is None or item.method not in RENAMABLE:
        abort(404, gettext("There is no such sign-in method in your account."))
    return item


@account.get("/account/methods/<key>/name")
@signed_in_page()
def profile_rename_page(key: str):
    """Show the form to rename a passkey or an app."""
    return render("account/profile_rename.html", item=_renamable(key))


@account.post("/account/methods/<key>/name")
@signed_in_page()
def profile_rename(key: str):
    """Rename a passkey or an app of the person."""
    item = _renamable(key)
    try:
        name = text_field("name", 100)
    except ProfileError as exc:
        return render("account/profile_rename.html", 400, item=item, error=reason_text(exc))
    if not name:
        return render("account/profile_rename.html", 400, item=item,
                      error=gettext("Enter a name."))
    model = Passkey if item.method == "passkey" else AppDevice
    row_id = int(item.key.partition(":")[2])
    db.session.execute(update(model).where(model.id == row_id,
                                           model.user_id == current_user().id)
                       .values(name=name))
    record(audit.events.METHOD_RENAMED, method=item.method, before=item.label, name=name)
    db.session.commit()
    flash(gettext("The name was saved."))
    return redirect(url_for("account.profile"))
