"""Apps the person allowed to see their details: remove an app's access.

Withdrawing a consent (OWASP ASVS 5.0 V10.7.3) deletes it and revokes the tokens the app
holds for the person (``idp.users.consents``), so the app's next login asks again. A
confirmation page comes first; the change is a POST with the form's CSRF token. Only the
person's own consents are found: any other app is 404.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext

from ... import audit
from ...clock import now
from ...storage import db
from ...tenants.clients import CLIENT_ID_PATTERN
from ...users.consents import AppAccess, find_app_access, withdraw_consent
from . import account
from .gate import current_user, signed_in_page
from .profile_common import record, render, send_notice


def _access(client_id: str) -> AppAccess:
    access = find_app_access(current_user(), client_id) \
        if CLIENT_ID_PATTERN.fullmatch(client_id) else None
    if access is None:
        abort(404, gettext("No app with this id has access to your details."))
    return access


@account.get("/account/apps/<client_id>/remove")
@signed_in_page()
def profile_app_remove_page(client_id: str):
    """Ask to confirm removing an app's access, saying what it may see now."""
    return render("account/profile_app_remove.html", access=_access(client_id))


@account.post("/account/apps/<client_id>/remove")
@signed_in_page()
def profile_app_remove(client_id: str):
    """Withdraw the consent and revoke the app's tokens for this person; tell them."""
    access = _access(client_id)
    ended = withdraw_consent(current_user(), access.client, now())
    if ended is not None:  # None: a second tab withdrew it a moment ago
        record(audit.events.CONSENT_WITHDRAWN, client_id=access.client.client_id,
               scopes=list(ended.scopes), grants=ended.grants_revoked)
        db.session.commit()
        send_notice("removed", "consent", access.client.name)
    flash(gettext("%(app)s can no longer see your details. If you log in to it again, it "
                  "will ask for your permission again.", app=access.client.name))
    return redirect(url_for("account.profile"))
