"""The admin REST API of a directory (described in ``api/admin.openapi.yaml``).

Service accounts call it with a bearer token of the client_credentials grant
(``idp.tenants.service_accounts``); each operation needs one admin scope (RFC 6750 3.1: 401
with ``WWW-Authenticate`` without a good token, 403 ``insufficient_scope`` without the
scope). Handlers parse, call the functions the admin pages use, and answer JSON. Every
refusal is ``{"error", "error_description"}`` from the one error handler (``idp.web``), in
English; every change is audited with the service account as ``actor_client``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import MissingAuthorizationError, UnsupportedTokenTypeError
from authlib.oauth2.rfc6750 import InsufficientScopeError
from flask import Blueprint, Response, g, jsonify, request
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from ...admin import audit_log
from ...admin.apps import (
    AppAdminError,
    built_in,
    change_app,
    new_app_secret,
    switch_app,
)
from ...admin.apps import list_apps as find_apps
from ...admin.apps import register_app as add_app
from ...admin.users import (
    UserAdminError,
    change_user,
    create_invited_user,
    get_user,
    live_sessions,
    log_out_user,
    methods_of_users,
    page_key,
    remove_method,
    search_users,
    switch_user,
)
from ...clock import now
from ...config import current_settings
from ...domain import METHODS, LevelSettings, SettingsPreview
from ...errors import IdpError
from ...oidc.server import create_service_protector
from ...services import services
from ...storage import db
from ...storage.models import AuditEvent, Client, User
from ...tenants.clients import CLIENT_ID_PATTERN, ClientError, get_client
from ...tenants.directories import level_settings
from ...tenants.service_accounts import ADMIN_SCOPES
from ...users.enrolments import Enrolment, list_enrolments
from ...users.invitations import InvitationError, send_invitation
from ..admin.clients import ClientFields, FormError, new_client_id, read_fields
from ..admin.settings import (
    CONFIRM_FIELD,
    LEVEL_FIELD,
    confirmation_token,
    points_field,
    preview_levels,
    read_form,
    save_levels,
    save_refusal,
    unreachable,
)
from ..context import client_ip, load_directory

admin_api = Blueprint("admin_api", __name__, url_prefix="/d/<slug>/api/admin/v1")
admin_api.url_value_preprocessor(load_directory)

SPEC_PATH = Path(__file__).with_name("admin.openapi.yaml")
MAX_BODY = 16 * 1024
MAX_PAGE = 100
MAX_LIST = 20
PROTECTOR = create_service_protector()
REALM = 'realm="admin"'


class ApiError(IdpError):
    """A refusal of the admin API, with its code, English description and status."""

    def __init__(self, error: str, description: str, status: int = 400,
                 headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(description, error=error, status=status, detail=description)
        self.headers = headers


# --- who is calling ---------------------------------------------------------------------------

def _service_account(scope: str) -> Client:
    """Return the service account whose bearer token allows `scope` here, or refuse."""
    try:
        token = PROTECTOR.acquire_token([scope])
    except (MissingAuthorizationError, UnsupportedTokenTypeError) as exc:
        raise ApiError("invalid_request", "A bearer access token is required.", 401,
                       (("WWW-Authenticate", f"Bearer {REALM}"),)) from exc
    except InsufficientScopeError as exc:
        raise ApiError("insufficient_scope", f"The token does not allow {scope}.", 403, ((
            "WWW-Authenticate",
            f'Bearer {REALM}, error="insufficient_scope", scope="{scope}"'),)) from exc
    except OAuth2Error as exc:
        raise ApiError("invalid_token", "The access token is not valid (here, or any more).",
                       401, (("WWW-Authenticate",
                              f'Bearer {REALM}, error="invalid_token"'),)) from exc
    return token.row.client


def operation(scope: str):
    """Serve a view to a service account holding `scope`, in English; pass it the client."""
    def decorate(view: Callable[..., Any]):
        @wraps(view)
        def run(*args: Any, **kwargs: Any):
            with force_locale("en"):
                return view(_service_account(scope), *args, **kwargs)
        return run
    return decorate


# --- reading requests -------------------------------------------------------------------------

def _body(fields: dict[str, tuple[type, int]]) -> dict[str, Any]:
    """Return the JSON object of the request, checked against `fields` (name: type, and for
    strings their longest length). Unknown fields, wrong types and large bodies are refused."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError("invalid_request", "The request body is too large.", 413)
    if request.mimetype != "application/json":
        raise ApiError("invalid_request", "The request body must be application/json.", 415)
    raw = request.stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise ApiError("invalid_request", "The request body is too large.", 413)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiError("invalid_request", "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise ApiError("invalid_request", "The request body must be a JSON object.")
    for name, value in body.items():
        if name not in fields:
            raise ApiError("invalid_request", f"Unknown field: {name[:50]!r}.")
        kind, limit = fields[name]
        if value is None and kind in (str, int):
            continue  # an empty optional value
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ApiError("invalid_request", f"The field {name!r} must be a {kind.__name__}.")
        if kind is str and len(value) > limit:
            raise ApiError("invalid_request",
                           f"The field {name!r} has at most {limit} characters.")
        if kind is list and (len(value) > MAX_LIST or not all(
                isinstance(item, str) and len(item) <= limit and item.isprintable()
                for item in value)):
            raise ApiError("invalid_request", f"The field {name!r} is a list of at most "
                           f"{MAX_LIST} texts of at most {limit} characters.")
    return body


def _limit() -> int:
    """Return the page size asked for (1 to 100, default 50)."""
    text = request.args.get("limit", "50")
    if not (text.isascii() and text.isdecimal()) or len(text) > 3 \
            or not 1 <= int(text) <= MAX_PAGE:
        raise ApiError("invalid_request", f"limit is a whole number from 1 to {MAX_PAGE}.")
    return int(text)


def _key(name: str) -> str | None:
    """Return a paging key of the query string, refusing one that cannot be a key."""
    text = request.args.get(name)
    if text is None:
        return None
    key = page_key(text)
    if key is None:
        raise ApiError("invalid_request", f"{name} is not a page key from a previous page.")
    return key


def _refused(exc: Exception, status: int = 400) -> ApiError:
    return ApiError("invalid_request", str(exc), status)


# --- users ------------------------------------------------------------------------------------

def _user(user: User, methods: frozenset[str]) -> dict[str, Any]:
    return {"id": user.id, "subject": user.subject, "username": user.username,
            "name": user.name, "email": user.email, "email_verified": user.email_verified,
            "phone": user.phone, "phone_verified": user.phone_verified,
            "admin": user.is_admin, "disabled": user.disabled,
            "has_password": user.password_hash is not None, "methods": sorted(methods),
            "created_at": int(user.created_at), "updated_at": int(user.updated_at)}


def _item(item: Enrolment) -> dict[str, Any]:
    return {"key": item.key, "method": item.method, "label": item.label,
            "removable": item.removable, "counts": item.counts,
            "created_at": int(item.created_at) if item.created_at is not None else None,
            "last_used_at": int(item.last_used_at) if item.last_used_at is not None else None}


def _user_detail(user: User) -> dict[str, Any]:
    methods = services().methods
    moment = now()
    return {**_user(user, methods_of_users(g.directory, [user], methods)[user.id]),
            "items": [_item(item) for item in list_enrolments(user, moment, methods)],
            "live_sessions": live_sessions(user, moment)}


def _load_user(user_id: str) -> User:
    user = get_user(g.directory, user_id)
    if user is None:
        raise ApiError("not_found", "There is no such user in this directory.", 404)
    return user


def _invite(user: User, client: Client) -> dict[str, Any]:
    """Email the user an invitation (``send_invitation``); say whether it went."""
    svc = services()
    try:
        send_invitation(g.directory, user, client, now(), delivery=svc.delivery,
                        base_url=svc.base_url, ttl_hours=current_settings().invitation_ttl_hours)
    except InvitationError as exc:
        db.session.rollback()
        return {"sent": False, "error_description": str(exc)}
    return {"sent": True, "email": user.email}


@admin_api.get("/users")
@operation("admin:users")
def list_users(client: Client):
    """List the directory's users in username order, a page at a time, matching ``q``."""
    query = request.args.get("q", "")
    if len(query) > 100:
        raise ApiError("invalid_request", "q has at most 100 characters.")
    page = search_users(g.directory, services().methods, query, after=_key("after"),
                        before=_key("before"), size=_limit())
    return jsonify({"users": [_user(user, page.methods[user.id]) for user in page.users],
                    "next_after": page.next_after, "previous_before": page.previous_before})


USER_FIELDS = {"username": (str, 150), "name": (str, 200), "email": (str, 254),
               "phone": (str, 32), "admin": (bool, 0), "invite": (bool, 0)}


@admin_api.post("/users")
@operation("admin:users")
def create_user(client: Client):
    """Create a user without a password and (unless ``invite`` is false) invite them."""
    body = _body(USER_FIELDS)
    try:
        user = create_invited_user(
            g.directory, client, username=body.get("username") or "", name=body.get("name"),
            email=body.get("email"), phone=body.get("phone"),
            is_admin=bool(body.get("admin", False)), now=now(), passwords=services().passwords)
    except UserAdminError as exc:
        raise _refused(exc) from exc
    db.session.commit()
    invitation = _invite(user, client) if body.get("invite", True) else {"sent": False}
    return jsonify({"user": _user_detail(user), "invitation": invitation}), 201


@admin_api.get("/users/<user_id>")
@operation("admin:users")
def read_user(client: Client, user_id: str):
    """Show one user with their sign-in items and live sessions."""
    return jsonify(_user_detail(_load_user(user_id)))


@admin_api.patch("/users/<user_id>")
@operation("admin:users")
def update_user(client: Client, user_id: str):
    """Change a user's name, email or phone (fields left out stay as they are)."""
    user = _load_user(user_id)
    body = _body({"name": (str, 200), "email": (str, 254), "phone": (str, 32)})
    values = {name: body.get(name, getattr(user, name)) for name in ("name", "email", "phone")}
    try:
        change_user(g.directory, user, client, now=now(), **values)
    except UserAdminError as exc:
        raise _refused(exc) from exc
    db.session.commit()
    return jsonify(_user_detail(user))


@admin_api.post("/users/<user_id>/invitation")
@operation("admin:users")
def invite_user(client: Client, user_id: str):
    """Send the user a new invitation (older links stop working)."""
    user = _load_user(user_id)
    invitation = _invite(user, client)
    if not invitation["sent"]:
        raise ApiError("invitation_refused", invitation["error_description"], 409)
    return jsonify({"invitation": invitation})


def _switch(disabled: bool):
    def change(client: Client, user_id: str):
        user = _load_user(user_id)
        try:
            switch_user(user, disabled, client, now())
        except UserAdminError as exc:
            raise _refused(exc, 409) from exc
        db.session.commit()
        return jsonify(_user_detail(user))
    return change


admin_api.add_url_rule("/users/<user_id>/disable", "disable_user",
                       operation("admin:users")(_switch(True)), methods=["POST"])
admin_api.add_url_rule("/users/<user_id>/enable", "enable_user",
                       operation("admin:users")(_switch(False)), methods=["POST"])


@admin_api.delete("/users/<user_id>/items/<key>")
@operation("admin:users")
def remove_item(client: Client, user_id: str, key: str):
    """Remove one sign-in item of a user; say what it means for reaching the level."""
    user = _load_user(user_id)
    try:
        item, effect = remove_method(g.directory, user, key, client, now(), services().methods)
    except UserAdminError as exc:
        raise ApiError("not_found", str(exc), 404) from exc
    db.session.commit()
    return jsonify({"removed": _item(item), "level_after": effect.level_after,
                    "required_level": effect.required, "reaches_level": effect.reachable,
                    "can_enrol_at_login": effect.can_enrol_at_login})


@admin_api.post("/users/<user_id>/sessions/end")
@operation("admin:users")
def end_user_sessions(client: Client, user_id: str):
    """Log the user out everywhere, revoking the tokens apps got from those sessions."""
    user = _load_user(user_id)
    ended = log_out_user(g.directory, user, client, now(), client_ip())
    db.session.commit()
    return jsonify({"sessions_ended": ended})


# --- apps -------------------------------------------------------------------------------------

APP_FIELDS: dict[str, tuple[type, int]] = {
    "name": (str, 200), "redirect_uris": (list, 2000), "post_logout_redirect_uris": (list, 2000),
    "public": (bool, 0), "first_party": (bool, 0), "min_acr": (int, 0),
    "introspect_all": (bool, 0), "service_account": (bool, 0),
    "service_scopes": (list, 20)}
NEW_APP = {"name": "", "redirect_uris": [], "post_logout_redirect_uris": [], "public": False,
           "first_party": True, "min_acr": None, "introspect_all": False,
           "service_account": False, "service_scopes": []}


def _app(client: Client) -> dict[str, Any]:
    return {"client_id": client.client_id, "name": client.name,
            "redirect_uris": list(client.redirect_uris),
            "post_logout_redirect_uris": list(client.post_logout_redirect_uris or []),
            "public": client.public, "first_party": client.first_party,
            "min_acr": client.min_acr, "introspect_all": client.introspect_all,
            "service_account": client.service_account,
            "service_scopes": client.service_scopes.split(), "disabled": client.disabled,
            "built_in": built_in(client), "created_at": int(client.created_at)}


def _app_values(client: Client) -> dict[str, Any]:
    return {name: value for name, value in _app(client).items() if name in NEW_APP}


def _app_fields(values: dict[str, Any]) -> ClientFields:
    """Check an app's fields with the Apps page's own rules (``read_fields``)."""
    unknown = [s for s in values["service_scopes"] if s not in ADMIN_SCOPES]
    if unknown:
        raise ApiError("invalid_request", f"Unknown admin scope: {unknown[0][:30]!r}.")
    form = MultiDict({
        "name": values["name"] or "", "redirect_uris": "\n".join(values["redirect_uris"]),
        "post_logout_redirect_uris": "\n".join(values["post_logout_redirect_uris"]),
        "type": "public" if values["public"] else "confidential",
        "consent": "first_party" if values["first_party"] else "consent",
        "min_acr": "" if values["min_acr"] is None else str(values["min_acr"]),
        "introspect_all": "yes" if values["introspect_all"] else "",
        "service_account": "yes" if values["service_account"] else ""})
    for scope in values["service_scopes"]:
        form.add("service_scopes", scope)
    try:
        return read_fields(form)
    except FormError as exc:
        raise _refused(exc) from exc


def _load_app(client_id: str) -> Client:
    client = get_client(g.directory, client_id)
    if client is None:
        raise ApiError("not_found", "There is no such app in this directory.", 404)
    return client


def _app_refused(exc: Exception) -> ApiError:
    if isinstance(exc, AppAdminError) and exc.status == 403:
        return ApiError("access_denied", str(exc), 403)
    return _refused(exc)


@admin_api.get("/apps")
@operation("admin:apps")
def list_apps(client: Client):
    """List the directory's apps in client id order, a page at a time."""
    after = request.args.get("after")
    if after is not None and not CLIENT_ID_PATTERN.match(after):
        raise ApiError("invalid_request", "after is not a page key from a previous page.")
    apps, more = find_apps(g.directory, after, _limit())
    return jsonify({"apps": [_app(app) for app in apps],
                    "next_after": apps[-1].client_id if more else None})


@admin_api.post("/apps")
@operation("admin:apps")
def register_app(client: Client):
    """Register an app; its secret is in this answer only."""
    body = _body({"client_id": (str, 100), **APP_FIELDS})
    fields = _app_fields({**NEW_APP, **{k: v for k, v in body.items() if k != "client_id"}})
    try:
        client_id = new_client_id(body.get("client_id") or "")
        app, secret = add_app(g.directory, client, now(), client_id=client_id,
                              **dataclasses.asdict(fields))
    except (FormError, ClientError, AppAdminError) as exc:
        raise _app_refused(exc) from exc
    db.session.commit()
    return jsonify({"app": _app(app), "client_secret": secret}), 201


@admin_api.get("/apps/<client_id>")
@operation("admin:apps")
def read_app(client: Client, client_id: str):
    """Show one app."""
    return jsonify({"app": _app(_load_app(client_id)), "client_secret": None})


@admin_api.patch("/apps/<client_id>")
@operation("admin:apps")
def update_app(client: Client, client_id: str):
    """Change an app (fields left out stay); a public app made confidential gets a secret."""
    app = _load_app(client_id)
    if built_in(app):
        raise ApiError("access_denied", "The provider's own apps cannot be changed.", 403)
    body = _body(APP_FIELDS)
    fields = _app_fields({**_app_values(app), **body})
    try:
        _changed, secret = change_app(app, client, now(), **dataclasses.asdict(fields))
    except (ClientError, AppAdminError) as exc:
        raise _app_refused(exc) from exc
    db.session.commit()
    return jsonify({"app": _app(app), "client_secret": secret})


@admin_api.post("/apps/<client_id>/secret")
@operation("admin:apps")
def rotate_app_secret(client: Client, client_id: str):
    """Give a confidential app a new secret (the old one stops working at once)."""
    app = _load_app(client_id)
    try:
        secret = new_app_secret(app, client, now())
    except AppAdminError as exc:
        raise _app_refused(exc) from exc
    db.session.commit()
    return jsonify({"app": _app(app), "client_secret": secret})


def _switch_app(disabled: bool):
    def change(client: Client, client_id: str):
        app = _load_app(client_id)
        try:
            switch_app(app, disabled, client, now())
        except AppAdminError as exc:
            raise _app_refused(exc) from exc
        db.session.commit()
        return jsonify({"app": _app(app), "client_secret": None})
    return change


admin_api.add_url_rule("/apps/<client_id>/disable", "disable_app",
                       operation("admin:apps")(_switch_app(True)), methods=["POST"])
admin_api.add_url_rule("/apps/<client_id>/enable", "enable_app",
                       operation("admin:apps")(_switch_app(False)), methods=["POST"])


# --- authentication settings ------------------------------------------------------------------

def _levels(settings: LevelSettings) -> dict[str, Any]:
    return {"required_level": settings.required_level,
            "points": {method: settings.points_of(method) for method in METHODS}}


def _people(affected) -> list[dict[str, Any]]:
    return [{"id": a.member.id, "username": a.member.username} for a in affected]


def _candidate(body: dict[str, Any]) -> LevelSettings:
    """Read the level and points asked for (left out: as they are) with the page's checks."""
    current = level_settings(g.directory)
    points = body.get("points") or {}
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in points.values()):
        raise ApiError("invalid_request", "points maps methods to whole numbers.")
    unknown = [name for name in points if name not in METHODS]
    if unknown:
        raise ApiError("invalid_request", f"Unknown method: {unknown[0][:30]!r}.")
    level = body.get("required_level")
    data = MultiDict({LEVEL_FIELD: str(current.required_level if level is None else level)})
    for method in METHODS:
        data[points_field(method)] = str(points.get(method, current.points_of(method)))
    form = read_form(data)
    if form.errors or form.settings is None:
        raise ApiError("invalid_request", "; ".join(
            f"{name or 'settings'}: {text}" for name, text in form.errors.items()))
    return form.settings


def _preview_answer(preview: SettingsPreview) -> dict[str, Any]:
    return {"current": _levels(preview.current), "candidate": _levels(preview.candidate),
            "reachable": preview.reachable, "sms_only": preview.sms_only,
            "users": preview.users, "gaining": preview.gaining,
            "losing": _people(preview.losing), "can_enrol": _people(preview.can_enrol),
            "locked_out": _people(preview.locked_out),
            "sms_excluded": [{"id": m.id, "username": m.username}
                             for m in preview.sms_excluded],
            "confirmation": confirmation_token(preview) if preview.needs_confirmation else None,
            "refusal": unreachable(preview)}


LEVEL_FIELDS = {"required_level": (int, 0), "points": (dict, 0)}


@admin_api.get("/settings")
@operation("admin:settings")
def read_settings(client: Client):
    """Return the required level and each method's points."""
    return jsonify(_levels(level_settings(g.directory)))


@admin_api.post("/settings/preview")
@operation("admin:settings")
def preview_settings(client: Client):
    """Say what saving these settings would do: who could no longer log in, and why not."""
    candidate = _candidate(_body(LEVEL_FIELDS))
    return jsonify(_preview_answer(preview_levels(g.directory, candidate)))


@admin_api.put("/settings")
@operation("admin:settings")
def change_settings(client: Client):
    """Save new settings, with the page's refusals: a level nobody reaches is refused, and
    a level only SMS reaches needs ``confirm_sms_only`` (the preview's ``confirmation``,
    bound to the people it excludes)."""
    body = _body({**LEVEL_FIELDS, CONFIRM_FIELD: (str, 64)})
    candidate = _candidate(body)
    if candidate == level_settings(g.directory):
        return jsonify(_levels(candidate))
    preview = preview_levels(g.directory, candidate)
    refusal = save_refusal(preview, body.get(CONFIRM_FIELD))
    if refusal is not None:
        if not preview.reachable:
            raise ApiError("unreachable_level", refusal, 400)
        raise ApiError("confirmation_required", refusal, 409)
    save_levels(g.directory, preview, client)
    return jsonify(_levels(candidate))


# --- the audit log ----------------------------------------------------------------------------

def _event(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "at": int(event.at), "event": event.event,
            "user_id": event.user_id, "client_id": event.client_id, "ip": event.ip,
            "user_agent": event.user_agent or None, "detail": event.detail or {}}


@admin_api.get("/audit")
@operation("admin:audit")
def read_audit_log(client: Client):
    """Return a page of the audit log, newest first, filtered as the admin's page filters."""
    try:
        query = audit_log.parse_query(request.args)
        page = audit_log.find_page(g.directory, query, _limit())
    except audit_log.FilterError as exc:
        raise ApiError("invalid_request", "; ".join(
            f"{name}: {text}" for name, text in exc.problems.items())) from exc
    except audit_log.CursorGone as exc:
        raise ApiError("invalid_request", "The page key names no event of this directory.") \
            from exc
    if page.unknown_user:
        raise ApiError("not_found", "There is no such user in this directory.", 404)
    return jsonify({"events": [_event(event) for event in page.events],
                    "newer_after": page.newer, "older_before": page.older})


@admin_api.get("/openapi.yaml")
def description() -> Response:
    """Serve this API's OpenAPI description."""
    return Response(SPEC_PATH.read_bytes(), mimetype="application/yaml")



