"""The admin's Profile details page: which standard claims the directory's users are asked
for on their profile (and so may release to apps), audited as ``settings.claims_changed``."""

from __future__ import annotations

from collections.abc import Iterable

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from ... import audit
from ...clock import now
from ...domain.claims import DEFAULT_ASKED, EDITABLE_CLAIMS, ClaimsRefused
from ...storage import db
from ...storage.models import Client, Directory, User
from ...tenants.asked_claims import asked_claims, choose_asked_claims
from ..account import account
from ..account.gate import current_user, signed_in_page
from ..claims_form import TITLES


def _page(chosen, status: int = 200, error: str | None = None):
    return render_template("admin/claims.html", directory=g.directory, claims=EDITABLE_CLAIMS,
                           titles=TITLES, chosen=set(chosen), defaults=DEFAULT_ASKED,
                           error=error), status


@account.get("/admin/claims")
@signed_in_page(admin=True)
def admin_claims():
    """Show the standard claims with those the directory asks for checked."""
    return _page(asked_claims(g.directory))


@account.post("/admin/claims")
@signed_in_page(admin=True)
def admin_claims_save():
    """Save the claims the directory asks its users for."""
    typed = request.form.getlist("claims")[:len(EDITABLE_CLAIMS) + 1]
    try:
        changed = save_asked_claims(g.directory, typed, current_user())
    except ClaimsRefused:
        return _page([n for n in typed if n in EDITABLE_CLAIMS], 400,
                     gettext("Choose only from the details listed."))
    if changed:
        flash(gettext("Saved. Your users are asked for these details on their profile."))
    else:
        flash(gettext("Nothing changed."))
    return redirect(url_for("account.admin_claims"))


def save_asked_claims(directory: Directory, names: Iterable[str],
                      actor: User | Client) -> bool:
    """Set the claims the directory asks for, audited with the admin or service account
    that chose them; return whether they changed (raises ``ClaimsRefused``, storing
    nothing, for a name that is not an editable standard claim)."""
    try:
        before, after = choose_asked_claims(directory, names)
    except ClaimsRefused:
        db.session.rollback()
        raise
    if before != after:
        audit.record(directory.id, audit.events.SETTINGS_CLAIMS_CHANGED, now(),
                     **audit.actor_of(actor), before=list(before), after=list(after))
    db.session.commit()
    return before != after
