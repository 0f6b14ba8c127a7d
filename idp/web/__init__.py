"""Blueprints, error handling and response headers of the provider's web surface."""

from __future__ import annotations

import logging

from authlib.oauth2 import OAuth2Error
from flask import Flask, Response, g, render_template, request, url_for
from flask_babel import lazy_gettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from .. import audit
from ..domain import DomainError
from ..errors import IdpError, Unavailable
from ..methods.device import device_name
from ..observability import metrics as measured
from ..observability.requests import CLIENT_ID, logged_path, note_client, note_request
from ..storage import db
from ..storage.outages import describe_outage, outage_of
from . import admin  # noqa: F401  (its routes are on the account blueprint)
from .account import account
from .api.admin import admin_api
from .api.app import app_api
from .api.oidc import api
from .brand import brand, page_brand
from .context import client_ip, directory_of_unknown_path, write_session_cookie
from .health import health
from .languages import remember_language
from .later import SendAfterAnswer
from .login import authorize as authorize_views
from .login import device as device_views
from .login import interaction as interaction_views
from .login import logout as logout_views
from .login import method_steps
from .login import recovery as recovery_views
from .login import registration as registration_views
from .login.pages import pages
from .metrics import metrics
from .named import CLIENT_AUTH_ENDPOINTS, client_named
from .outbox import register_outbox
from .ratelimit import check_in_views_only, per_ip
from .responses import error_response, protective_headers, wants_json
from .short_path import OUTAGE_MET

log = logging.getLogger(__name__)



def _routes() -> None:
    pages.add_url_rule("/authorize", "authorize", authorize_views.authorize,
                       methods=["GET", "POST"])
    pages.add_url_rule("/logout", "logout", logout_views.logout, methods=["GET", "POST"])
    pages.add_url_rule("/device", "device", device_views.device_page, methods=["GET"])
    pages.add_url_rule("/device", "device_code", per_ip(device_views.device_code),
                       methods=["POST"])
    rules = [
        ("/i/<uid>", "interaction", recovery_views.interaction, ["GET"]),
        ("/i/<uid>/reset", "reset", recovery_views.reset_start, ["GET"]),
        ("/i/<uid>/reset", "reset_send", per_ip(recovery_views.reset_send), ["POST"]),
        ("/i/<uid>/reset/code", "reset_code", per_ip(recovery_views.reset_code), ["POST"]),
        ("/i/<uid>/reset/passkey", "reset_passkey", per_ip(recovery_views.reset_passkey),
         ["POST"]),
        ("/i/<uid>/reset/password", "reset_password", per_ip(recovery_views.reset_password),
         ["POST"]),
        ("/i/<uid>/login", "login", per_ip(interaction_views.login), ["POST"]),
        ("/i/<uid>/passkey", "passkey_login", per_ip(interaction_views.passkey_login),
         ["POST"]),
        ("/i/<uid>/method/<name>", "method", method_steps.method_page, ["GET"]),
        ("/i/<uid>/method/<name>", "method_verify", per_ip(method_steps.method_verify),
         ["POST"]),
        ("/i/<uid>/method/<name>/send", "method_send", per_ip(method_steps.method_send),
         ["POST"]),
        ("/i/<uid>/enrol/<name>", "enrol", method_steps.enrol_page, ["GET"]),
        ("/i/<uid>/enrol/<name>", "enrol_finish", per_ip(method_steps.enrol_finish),
         ["POST"]),
        ("/i/<uid>/enrol/<name>/send", "enrol_send", per_ip(method_steps.enrol_send),
         ["POST"]),
        ("/i/<uid>/enrol/<name>/prepare", "enrol_prepare",
         per_ip(method_steps.enrol_prepare), ["POST"]),
        ("/i/<uid>/register", "register", registration_views.register, ["GET"]),
        ("/i/<uid>/register", "register_send", per_ip(registration_views.register_send),
         ["POST"]),
        ("/i/<uid>/register/code", "register_code", registration_views.register_code,
         ["GET"]),
        ("/i/<uid>/register/code", "register_finish",
         per_ip(registration_views.register_finish), ["POST"]),
        ("/i/<uid>/register/again", "register_again",
         per_ip(registration_views.register_again), ["POST"]),
        ("/i/<uid>/consent", "consent", interaction_views.consent, ["POST"]),
        ("/i/<uid>/device", "device_decide", device_views.device_decide, ["POST"]),
        ("/i/<uid>/cancel", "cancel", recovery_views.cancel, ["POST"]),
        ("/i/<uid>/continue", "continue", interaction_views.continue_login, ["POST"]),
        ("/i/<uid>/recovery-codes", "renew_codes", interaction_views.renew_codes, ["POST"]),
    ]
    for rule, endpoint, view, methods in rules:
        # Each page of a pending login ends it once the person refused it in their app.
        pages.add_url_rule(rule, endpoint, interaction_views.while_open(view), methods=methods)


_routes()


def _headers(response: Response) -> Response:
    return write_session_cookie(remember_language(protective_headers(response)))


def _roll_back() -> None:
    """Roll the request's transaction back; a connection that cannot is dropped instead."""
    try:
        db.session.rollback()
    except SQLAlchemyError as exc:
        log.warning("could not roll back: %s", describe_outage(exc))
        try:
            db.session.close()
        except SQLAlchemyError:
            log.warning("could not close the database session either")


def _unavailable(exc: Exception) -> Unavailable | None:
    """Translate a database or Redis outage into our typed error, logged in one line."""
    found = outage_of(exc)
    if found is None:
        return None
    service, cause = found
    measured.OUTAGES.labels(service).inc()
    log.warning("%s unavailable: %s %s answered 503 (%s)", service, request.method,
                logged_path(request.environ), describe_outage(cause))
    # What the request loaded is expired by the rollback; reading it again (the cookie
    # names, the page language) would ask the unavailable database.
    g.outage = True
    g.pop("directory", None)
    g.pop("browser_session", None)
    return Unavailable(lazy_gettext("The service is temporarily unavailable. Try again in a "
                                    "moment."))


def _handle(exc: Exception):
    _roll_back()
    exc = _unavailable(exc) or exc
    if isinstance(exc, IdpError):
        response = error_response(exc.status, exc.error, exc.description, detail=exc.detail)
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        for name, value in exc.headers:
            response.headers[name] = value
        return response
    if isinstance(exc, DomainError):
        # The pure rules know only their protocol code: a rule the request breaks is a 400.
        return error_response(400, exc.error, lazy_gettext(
            "The request could not be handled. Go back and try again."),
            detail=exc.description)
    if isinstance(exc, OAuth2Error):
        # Raised by Authlib outside its endpoints' own error handling, e.g. the "https
        # only" rule (InsecureTransportError) for a request naming a host that is not ours.
        return error_response(exc.status_code or 400, "invalid_request", lazy_gettext(
            "The request could not be handled. Go back and try again."),
            detail=exc.description or None)
    if isinstance(exc, UnicodeDecodeError):
        if request.endpoint in CLIENT_AUTH_ENDPOINTS and "Authorization" in request.headers:
            # Basic credentials that are not UTF-8 cannot name a client (RFC 6749 5.2).
            response = error_response(401, "invalid_client", "Client authentication failed.")
            response.headers["WWW-Authenticate"] = 'Basic realm="token"'
            return response
        return error_response(400, "invalid_request",
                              lazy_gettext("The request is not valid UTF-8."))
    if isinstance(exc, CSRFError):
        return error_response(400, "invalid_request", lazy_gettext(
            "This form has expired. Go back, reload the page and try again."))
    if isinstance(exc, RateLimitExceeded):
        response = error_response(429, "slow_down", lazy_gettext(
            "Too many attempts. Wait a few minutes and try again."))
        response.headers["Retry-After"] = "60"
        return response
    if isinstance(exc, HTTPException):
        if exc.code is not None and exc.code < 400:
            return exc
        if not wants_json():
            _directory_of_unknown_path()
        response = error_response(exc.code or 500, _http_error(exc.code), _http_message(exc))
        for name, value in exc.get_headers():
            if name == "Allow":
                response.headers[name] = value
        return response
    log.exception("unexpected error on %s %s", request.method, logged_path(request.environ))
    return error_response(500, "server_error",
                          lazy_gettext("Something went wrong on our side."))


def _directory_of_unknown_path() -> None:
    """Let the error page of an unknown address below a directory wear its brand; if the
    database cannot say which directory it is, the page stays neutral."""
    try:
        directory_of_unknown_path()
    except SQLAlchemyError as exc:
        log.warning("no directory for the error page: %s", describe_outage(exc))
        _roll_back()


# Werkzeug's own descriptions are English and written for developers; people read these.
HTTP_MESSAGES = {
    403: lazy_gettext("You may not open this page."),
    404: lazy_gettext("This page does not exist. Check the address, or go back and try "
                      "again."),
    405: lazy_gettext("This page cannot be used this way. Go back and try again."),
    413: lazy_gettext("What was sent is too large."),
}


def _http_message(exc: HTTPException):
    """Return what to tell about an HTTP error: the view's own words, or ours for its status."""
    if exc.description and exc.description != type(exc).description:
        return exc.description  # given by the view (abort(404, gettext(...)))
    return HTTP_MESSAGES.get(exc.code or 0,
                             lazy_gettext("The request could not be handled. Go back and try "
                                          "again."))


def _http_error(code: int | None) -> str:
    return {403: "access_denied", 404: "not_found", 405: "invalid_request",
            413: "invalid_request",
            429: "slow_down"}.get(code or 0, "invalid_request")


def register_web(app: Flask, csrf: CSRFProtect) -> None:
    """Register the blueprints, the error handler and the response headers."""
    # A background send starts once the answer is out, not while it is being written.
    app.wsgi_app = SendAfterAnswer(app.wsgi_app)  # type: ignore[method-assign]
    csrf.exempt(api)
    csrf.exempt(app_api)
    csrf.exempt(admin_api)
    csrf.exempt(authorize_views.authorize)
    csrf.exempt(logout_views.logout)
    app.register_blueprint(health)
    app.register_blueprint(metrics)
    app.register_blueprint(api)
    app.register_blueprint(app_api)
    app.register_blueprint(admin_api)
    app.register_blueprint(pages)
    app.register_blueprint(account)
    app.register_blueprint(brand)
    app.context_processor(page_brand)
    # Pages name a browser as people do ("Firefox on Windows"); the full string is its title.
    app.add_template_filter(device_name, "browser")
    with app.app_context():
        register_outbox(app)
    app.url_value_preprocessor(admin.brand.raise_logo_limit)
    app.register_error_handler(Exception, _handle)
    app.after_request(_headers)
    check_in_views_only(app)

    def _observed(endpoint, values):
        # What the request's metrics and log line name it by (idp.observability.requests).
        rule = request.url_rule.rule if request.url_rule is not None else None
        note_request(request.environ, endpoint, rule, values)

    def _outage_met(_endpoint, _values):
        # An outage the short path met is answered at once, not waited for again.
        met = request.environ.get(OUTAGE_MET)
        if met is not None:
            raise met

    # First of all: before the directory's preprocessor takes its variable from the values,
    # and before the limiter or the CSRF check may refuse the request.
    app.url_value_preprocessors.setdefault(None, []).insert(0, _observed)
    app.url_value_preprocessors[None].insert(1, _outage_met)

    @app.after_request
    def _client_named(response: Response) -> Response:
        client_id = None if CLIENT_ID in request.environ else client_named(request,
                                                                           request.endpoint)
        if client_id:
            note_client(request.environ, client_id)
        return response

    @app.before_request
    def _origin():
        # Whatever this request records in the audit log says where it came from.
        audit.set_origin(audit.Origin(client_ip(), request.user_agent.string))

    @app.get("/")
    def home():
        """Say what this is."""
        outbox = url_for("outbox") if "outbox" in app.view_functions else None
        return render_template("home.html", outbox_url=outbox)

    @app.teardown_request
    def _forget(_exc):
        g.pop("browser_session", None)
        audit.set_origin(None)
