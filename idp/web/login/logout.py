"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): confirm, end, return."""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import Response, g, render_template, request
from flask_babel import lazy_gettext
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from ...errors import IdpError
from ...oidc.claims import app_subject
from ...oidc.login import session_user
from ...services import services
from ..context import current_session

MAX_HINT = 8192
LOGOUT_REFUSED = lazy_gettext("The app that sent you here asked to log you out in a way this "
                              "sign-in service cannot accept, so nothing was changed. Go back "
                              "to the app and log out again.")


def logout() -> Response | str:
    """End the browser's session after confirmation, then return to the app if it may."""
    data = request.values
    if len(data.get("id_token_hint", "")) > MAX_HINT:
        raise IdpError(LOGOUT_REFUSED, detail="id_token_hint is too long.")
    session = current_session()
    g.browser_session = session
    server = services().server
    try:
        end_request = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        raise IdpError(LOGOUT_REFUSED, detail=error.description or None) from error
    except (ValueError, TypeError, KeyError) as exc:
        raise IdpError(LOGOUT_REFUSED,
                       detail="id_token_hint is not an ID token of this issuer.") from exc
    user = session_user(session)
    hint_sub = (end_request.id_token_claims or {}).get("sub")
    confirmed = request.method == "POST" and request.form.get("confirm") == "yes"
    if confirmed:
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc
    # Without a hint naming the signed-in user, a link alone must not log anyone out.
    known_as = None if user is None else app_subject(
        end_request.client.row if end_request.client else None, user)
    if user is not None and not confirmed and (hint_sub is None or hint_sub != known_as):
        return render_template("logout_confirm.html", directory=g.directory, user=user,
                               client=end_request.client, fields=_carry(data))
    response = server.create_endpoint_response("end_session", end_request)
    return response or render_template("logged_out.html", directory=g.directory)


def _carry(data) -> dict[str, str]:
    keep = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales")
    return {key: data[key] for key in keep if data.get(key)}
