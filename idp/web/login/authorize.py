"""The authorization endpoint and the resumption of a stored authorization request.

Steps, in order:
0. A request object or pushed request's request_uri is resolved into the parameters it
   stands for (``idp.oidc.request_objects``), once, before anything else.
1. Authlib validates client, redirect URI, response type, scope and PKCE; errors
   without a validated redirect URI become a page, never a redirect.
2. Duplicate and OIDC parameters (prompt, max_age, claims, acr, id_token_hint) are checked.
3. The login policy decides (``examine``, which changes nothing): answer the app, or ask
   the user. Only ``answer`` issues a code or an error and ends the pending request.

A device's request (RFC 8628) is resumed the same way once its user code was typed
(``idp.web.login.device``): its pending login names it (``DEVICE``) instead of a redirect
URI, the device's own request stands for steps 0-2, and ``answer`` approves or denies it
instead of redirecting, once the person pressed Approve on the page that says what the
device asks for (which asks for consent too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AuthorizationCodeGrant, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import Response, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from ... import audit
from ...clock import now
from ...config import current_settings
from ...errors import InteractionExpired
from ...oidc.authorization import (
    SINGLE_VALUED,
    Decision,
    InvalidAuthorizationRequest,
    OidcParams,
    find_duplicate,
    parse_oidc_params,
)
from ...oidc.login import LoginResult, evaluate, session_user
from ...oidc.request_objects import (
    PUSHED,
    RequestRefused,
    decode_request_object,
    resolve_request,
)
from ...oidc.server import current_issuer
from ...security.tokens import new_secret
from ...services import services
from ...storage import db
from ...storage.db import commit_keeping_loaded
from ...storage.models import BrowserSession, Client, DeviceAuthorization, Interaction, User
from ...tenants.clients import serving_client
from ...tenants.device_codes import (
    approve_request,
    deny_request,
    device_app,
    pending_request,
)
from ...tenants.keys import verification_keyset
from ...users.consents import grant_consent
from ..attempts import login_completed
from ..context import client_ip, current_session, ensure_session
from ..known_browser import remember_browser
from ..responses import error_response, redirect_error
from .remember import remember_if_asked

# Parameters kept with a pending request; anything else is ignored (OIDC Core 3.1.2.1).
KEPT = frozenset(SINGLE_VALUED) | {"request", "request_uri"}
#: The parameter of a pending login that names the device request it answers; never taken
#: from a request (it is not KEPT), only set when the person typed the device's user code.
DEVICE = "device_request"
DEVICE_GONE = lazy_gettext("This code has expired or was already used. Start again on your "
                           "device to get a new code.")
MUST_PUSH = "This app's authorization requests must be pushed first (RFC 9126)."

# What a person is told when the app's request cannot even be answered to the app;
# Authlib's English description follows as the detail.
APP_REQUEST_REFUSED = {
    "invalid_client": lazy_gettext("The app that sent you here is not known to this sign-in "
                                   "service. Go back to the app; if this keeps happening, "
                                   "tell the people who run it."),
    "unauthorized_client": lazy_gettext("The app that sent you here may not sign you in this "
                                        "way. Go back to the app; if this keeps happening, "
                                        "tell the people who run it."),
}
APP_REQUEST_INVALID = lazy_gettext("The app that sent you here asked for something this sign-in "
                                   "service cannot do. Go back to the app and try again; if "
                                   "this keeps happening, tell the people who run it.")


def oauth_error(error: OAuth2Error) -> Response:
    """Redirect an Authlib error to a validated redirect URI, or show it as a page."""
    description = error.get_error_description() if hasattr(error, "get_error_description") \
        else error.description
    if error.redirect_uri:
        return redirect_error(error.redirect_uri, error.error, description, error.state)
    return error_response(400, error.error,
                          APP_REQUEST_REFUSED.get(error.error, APP_REQUEST_INVALID),
                          detail=description or None)


def unprintable_request() -> Response:
    """Answer a request whose values cannot even be echoed in an error (Authlib refuses them)."""
    return error_response(400, "invalid_request", APP_REQUEST_INVALID,
                          detail="The request contains characters that are not allowed.")


def stored_request(params: dict[str, str]) -> OAuth2Request:
    """Rebuild an authorization request from its stored parameters."""
    oauth_request = OAuth2Request("GET", current_issuer() + "/authorize")
    oauth_request.payload = BasicOAuth2Payload(dict(params))
    return oauth_request


def incoming_params() -> tuple[dict[str, str], str | None]:
    """Return the request's known parameters and the first one given twice."""
    source = request.args if request.method == "GET" else request.form
    lists = {key: source.getlist(key) for key in source}
    params = {key: values[0] for key, values in lists.items() if key in KEPT and values}
    return params, find_duplicate(lists)


@dataclass(frozen=True)
class LoginRequest:
    """An authorization request Authlib accepted (or a device's request), and what the login
    policy decided for it."""

    grant: AuthorizationCodeGrant | None
    client: Client
    oidc: OidcParams
    session: BrowserSession | None
    user: User | None
    decision: Decision
    device: DeviceAuthorization | None = None


def examine(params: dict[str, str], interaction: Interaction | None) -> LoginRequest | Response:
    """Validate the request and decide its next step, changing nothing.

    A Response when the request cannot go on at all (Authlib's or the OIDC parameters'
    error); otherwise the decision, which only ``answer`` acts on when it ends the login.
    """
    if DEVICE in params:
        assert interaction is not None
        return examine_device(params, interaction)
    svc = services()
    session = current_session()
    user = session_user(session)
    try:
        grant = svc.server.get_consent_grant(stored_request(params), end_user=user)
    except OAuth2Error as error:
        return oauth_error(error)
    except ValueError:
        return unprintable_request()
    state = params.get("state")
    if grant.request.client.row.require_par and not params.get(PUSHED):
        return redirect_error(grant.redirect_uri, "invalid_request", MUST_PUSH, state)
    if any("\x00" in value for value in params.values()):
        return redirect_error(grant.redirect_uri, "invalid_request",
                              "Parameters must not contain NUL characters.", state)
    try:
        oidc = parse_oidc_params(params, lambda: verification_keyset(g.directory.id, now()))
    except InvalidAuthorizationRequest as exc:
        return redirect_error(grant.redirect_uri, exc.error, exc.description, state)
    client = grant.request.client.row
    started = interaction.created_at if interaction is not None else None
    consented = bool(interaction is not None and interaction.state.get("consented"))
    decision = evaluate(g.directory, client, grant.request.scope or "", oidc, session,
                        svc.methods, now(), started, consented)
    return LoginRequest(grant, client, oidc, session, user, decision)


def examine_device(params: dict[str, str], interaction: Interaction) -> LoginRequest:
    """Decide the next step of the login that answers a device's request, changing nothing.

    The request must still be pending and live, and its app allowed the grant; its scope
    and acr_values are the device's (checked when it asked). Consent is asked on the
    approval page itself, so the policy takes it as given.
    """
    moment = now()
    device = pending_request(g.directory.id, params.get(DEVICE), moment)
    client = device_app(device) if device is not None else None
    if device is None or client is None:
        raise InteractionExpired(DEVICE_GONE)
    asked = {"scope": device.scope, **({"acr_values": device.acr_values}
                                        if device.acr_values else {})}
    oidc = parse_oidc_params(asked, lambda: verification_keyset(g.directory.id, moment))
    session = current_session()
    decision = evaluate(g.directory, client, device.scope, oidc, session, services().methods,
                        moment, interaction.created_at, consented=True)
    return LoginRequest(None, client, oidc, session, session_user(session), decision, device)


def answer(login: LoginRequest, interaction: Interaction | None) -> Response:
    """Answer the app once the decision ends the login: the code, or the error.

    The only place a code is issued and a login audited. An error ends the interaction; a
    code leaves it, answered, until it expires: the same login page left open in another
    tab of this browser then answers its app too, with a code of its own (as a new request
    from this browser would), instead of saying the login expired.
    """
    decision = login.decision
    assert decision.finishes
    if login.device is not None:
        assert interaction is not None
        return answer_device(login, interaction)
    assert login.grant is not None
    state = login.grant.request.payload.state
    if decision.kind == "error":
        finish_interaction(interaction)
        return redirect_error(login.grant.redirect_uri, decision.error or "invalid_request",
                              decision.description, state)
    user, session, outcome = login.user, login.session, decision.outcome
    assert session is not None and user is not None and outcome is not None
    response = services().server.create_authorization_response(
        request=login.grant.request, grant=login.grant,
        grant_user=LoginResult(user, session.id, outcome, login.oidc.claims))
    remember_if_asked(interaction, user)
    remember_browser(user)
    audit.record(g.directory.id, audit.events.LOGIN, now(), user_id=user.id,
                 client_id=login.client.client_id, ip=client_ip(),
                 user_agent=request.user_agent.string, acr=outcome.acr, level=outcome.level,
                 amr=list(outcome.amr), methods=list(outcome.methods))
    if interaction is not None:
        interaction.state = {**interaction.state, "answered": True}
    login_completed(user)
    commit_keeping_loaded()  # what is read after it (the user, the session) is as written
    return response


def answer_device(login: LoginRequest, interaction: Interaction) -> Response:
    """Approve the device's request with this login (and the app's consent, when it asks
    for it), or deny it with the decision's error; end the pending login and say so.

    Only one answer counts: a request answered meanwhile (in another browser) or expired
    is left as it is.
    """
    decision, device = login.decision, login.device
    assert device is not None
    if decision.kind == "error":
        return end_device_login(interaction, decision.error or "access_denied")
    user, session, outcome = login.user, login.session, decision.outcome
    assert session is not None and user is not None and outcome is not None
    moment = now()
    if not approve_request(device.id, user_id=user.id, session_id=session.id, acr=outcome.acr,
                           amr=list(outcome.amr), auth_time=outcome.auth_time, now=moment):
        finish_interaction(interaction)
        raise InteractionExpired(DEVICE_GONE)
    if not login.client.first_party:
        grant_consent(user, login.client, device.scope, moment)
    remember_if_asked(interaction, user)
    remember_browser(user)
    audit.record(g.directory.id, audit.events.LOGIN, moment, user_id=user.id,
                 client_id=login.client.client_id, ip=client_ip(),
                 user_agent=request.user_agent.string, acr=outcome.acr, level=outcome.level,
                 amr=list(outcome.amr), methods=list(outcome.methods))
    login_completed(user)
    finish_interaction(interaction)
    return device_result("approved", login.client)


def end_device_login(interaction: Interaction, error: str) -> Response:
    """Deny the device's request a pending login answers (the person refused, or cannot
    reach the level), forget the login and say so; the device's next poll hears
    access_denied (RFC 8628 3.5). A request answered meanwhile, or expired, stays as it is."""
    moment = now()
    device = pending_request(g.directory.id, interaction.params.get(DEVICE), moment)
    client = serving_client(g.directory, interaction.params.get("client_id"))
    user = session_user(current_session())
    user_id = user.id if user else None
    denied = device is not None and deny_request(device.id, user_id=user_id, now=moment)
    if denied:
        audit.record(g.directory.id, audit.events.LOGIN_DEVICE_DENIED, moment, user_id=user_id,
                     client_id=client.client_id if client else None, ip=client_ip(),
                     user_agent=request.user_agent.string, reason=error)
    finish_interaction(interaction)
    if not denied:
        raise InteractionExpired(DEVICE_GONE)
    return device_result("denied" if error == "access_denied" else "unreachable", client)


def device_result(outcome: str, client: Client | None) -> Response:
    """Tell the person what became of the device's request: approved, denied, or not
    possible at the level the device needs."""
    return Response(render_template("device_done.html", directory=g.directory,
                                    outcome=outcome, client=client), mimetype="text/html")


def finish_interaction(interaction: Interaction | None) -> None:
    """Delete a pending request once it has been answered."""
    if interaction is not None:
        db.session.delete(interaction)
        g.pop("interaction", None)  # no longer the request's pending login
    db.session.commit()


def open_interaction(params: dict[str, Any]) -> Interaction:
    """Store a request that needs the user, bound to this browser's session."""
    session = ensure_session()
    moment = now()
    row = Interaction(id=new_secret(24), directory_id=g.directory.id, session_id=session.id,
                      params=params, state={}, created_at=moment,
                      expires_at=moment + int(current_settings().interaction_ttl_seconds))
    db.session.add(row)
    commit_keeping_loaded()  # its id and the directory's slug make the page's address
    return row


def authorize() -> Response:
    """The authorization endpoint (RFC 6749 3.1, OIDC Core 3.1.2), GET and POST."""
    params, duplicate = incoming_params()
    if duplicate in ("client_id", "redirect_uri", "response_type"):
        return error_response(400, "invalid_request", APP_REQUEST_INVALID,
                              detail=f"'{duplicate}' is given more than once.")
    if duplicate is not None:
        grant_or_error = validated_redirect_uri(params)
        if isinstance(grant_or_error, Response):
            return grant_or_error
        return redirect_error(grant_or_error, "invalid_request",
                              f"'{duplicate}' is given more than once.", params.get("state"))
    if "request" in params or "request_uri" in params:
        try:
            params = resolve_request(params, current_issuer(), KEPT)
        except RequestRefused as exc:
            return refused(params, exc)
    login = examine(params, None)
    if isinstance(login, Response):
        return login
    if login.decision.finishes:
        return answer(login, None)
    interaction = open_interaction(params)
    return redirect(url_for("pages.interaction", slug=g.directory.slug, uid=interaction.id))


def refused(params: dict[str, str], exc: RequestRefused) -> Response:
    """Answer a request object or request_uri that cannot be used: to the redirect URI
    outside it when that one is the app's, otherwise as a page."""
    target = validated_redirect_uri(params)
    if isinstance(target, str):
        return redirect_error(target, exc.error, exc.detail, params.get("state"))
    return error_response(400, exc.error, APP_REQUEST_INVALID, detail=exc.detail)


def pushed_params(form: dict[str, list[str]], client: Client) -> dict[str, str]:
    """Return the checked parameters of a request `client` pushed (RFC 9126 2.1): its own,
    or its request object's. Raise RequestRefused with the OAuth error otherwise."""
    duplicate = find_duplicate(form)
    if duplicate is not None:
        raise RequestRefused("invalid_request", f"'{duplicate}' is given more than once.")
    params = {key: values[0] for key, values in form.items() if key in KEPT and values}
    if "request_uri" in params:
        raise RequestRefused("invalid_request", "A pushed request cannot have a request_uri.")
    if params.setdefault("client_id", client.client_id) != client.client_id:
        raise RequestRefused("invalid_request", "The client_id is not the authenticated "
                                                "client's.")
    if "request" in params:
        params = decode_request_object(params, current_issuer(), KEPT)
    try:
        services().server.get_consent_grant(stored_request(params), end_user=None)
    except OAuth2Error as error:
        if error.error != "login_required":  # prompt=none is asked of the login, later
            raise RequestRefused(error.error, error.get_error_description()) from error
    except ValueError as exc:
        raise RequestRefused("invalid_request",
                             "The request contains characters that are not allowed.") from exc
    if any("\x00" in value for value in params.values()):
        raise RequestRefused("invalid_request", "Parameters must not contain NUL characters.")
    try:
        parse_oidc_params(params, lambda: verification_keyset(g.directory.id, now()))
    except InvalidAuthorizationRequest as exc:
        raise RequestRefused(exc.error, exc.description) from exc
    return params


def validated_redirect_uri(params: dict[str, str]) -> Response | str:
    """Return the request's validated redirect URI, or the error response."""
    try:
        grant = services().server.get_consent_grant(stored_request(params), end_user=None)
    except OAuth2Error as error:
        if error.error == "login_required" and error.redirect_uri:
            return error.redirect_uri
        return oauth_error(error)
    except ValueError:
        return unprintable_request()
    return grant.redirect_uri
