"""The admin API's apps: list, register, show, change, rotate the secret, disable, enable
(scope ``admin:apps``), with ``idp.admin.apps`` and the Apps page's checks of the fields."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from flask import g, jsonify, request
from werkzeug.datastructures import MultiDict

from ....admin.apps import AppAdminError, built_in, change_app, new_app_secret, switch_app
from ....admin.apps import list_apps as find_apps
from ....admin.apps import register_app as add_app
from ....clock import now
from ....storage import db
from ....storage.models import Client
from ....tenants.clients import CLIENT_ID_PATTERN, ClientError, get_client
from ....tenants.service_accounts import ADMIN_SCOPES
from ...admin.clients import ClientFields, FormError, new_client_id, read_fields
from . import ApiError, admin_api, operation, page_size, read_body, refused

APP_FIELDS: dict[str, tuple[type, int]] = {
    "name": (str, 200), "redirect_uris": (list, 2000), "post_logout_redirect_uris": (list, 2000),
    "public": (bool, 0), "first_party": (bool, 0), "min_acr": (int, 0),
    "introspect_all": (bool, 0), "service_account": (bool, 0),
    "service_scopes": (list, 20), "jwt_access_tokens": (bool, 0),
    "pairwise_subject": (bool, 0), "private_key_jwt": (bool, 0), "jwks": (dict, 0),
    "jwks_uri": (str, 2000), "require_par": (bool, 0),
    "require_dpop": (bool, 0), "backchannel_logout_uri": (str, 2000), "device_grant": (bool, 0)}
NEW_APP = {"name": "", "redirect_uris": [], "post_logout_redirect_uris": [], "public": False,
           "first_party": True, "min_acr": None, "introspect_all": False,
           "service_account": False, "service_scopes": [], "jwt_access_tokens": False,
           "pairwise_subject": False, "private_key_jwt": False, "jwks": None,
           "jwks_uri": None, "require_par": False,
           "require_dpop": False, "backchannel_logout_uri": None, "device_grant": False}


def _app(client: Client) -> dict[str, Any]:
    return {"client_id": client.client_id, "name": client.name,
            "redirect_uris": list(client.redirect_uris),
            "post_logout_redirect_uris": list(client.post_logout_redirect_uris or []),
            "public": client.public, "first_party": client.first_party,
            "min_acr": client.min_acr, "introspect_all": client.introspect_all,
            "service_account": client.service_account,
            "service_scopes": client.service_scopes.split(),
            "jwt_access_tokens": client.jwt_access_tokens,
            "pairwise_subject": client.pairwise_subject,
            "private_key_jwt": client.private_key_jwt, "jwks": client.jwks,
            "jwks_uri": client.jwks_uri, "require_par": client.require_par,
            "require_dpop": client.require_dpop,
            "backchannel_logout_uri": client.backchannel_logout_uri,
            "device_grant": client.device_grant,
            "disabled": client.disabled,
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
        "service_account": "yes" if values["service_account"] else "",
        "jwt_access_tokens": "yes" if values["jwt_access_tokens"] else "",
        "pairwise_subject": "yes" if values["pairwise_subject"] else "",
        "private_key_jwt": "yes" if values["private_key_jwt"] else "",
        "jwks": json.dumps(values["jwks"]) if values["jwks"] else "",
        "jwks_uri": values["jwks_uri"] or "",
        "require_par": "yes" if values["require_par"] else "",
        "require_dpop": "yes" if values["require_dpop"] else "",
        "backchannel_logout_uri": values["backchannel_logout_uri"] or "",
        "device_grant": "yes" if values["device_grant"] else ""})
    for scope in values["service_scopes"]:
        form.add("service_scopes", scope)
    try:
        return read_fields(form)
    except FormError as exc:
        raise refused(exc) from exc


def _load_app(client_id: str) -> Client:
    client = get_client(g.directory, client_id)
    if client is None:
        raise ApiError("not_found", "There is no such app in this directory.", 404)
    return client


def _app_refused(exc: Exception) -> ApiError:
    if isinstance(exc, AppAdminError) and exc.status == 403:
        return ApiError("access_denied", str(exc), 403)
    return refused(exc)


@admin_api.get("/apps")
@operation("admin:apps")
def list_apps(client: Client):
    """List the directory's apps in client id order, a page at a time."""
    after = request.args.get("after")
    if after is not None and not CLIENT_ID_PATTERN.match(after):
        raise ApiError("invalid_request", "after is not a page key from a previous page.")
    apps, more = find_apps(g.directory, after, page_size())
    return jsonify({"apps": [_app(app) for app in apps],
                    "next_after": apps[-1].client_id if more else None})


@admin_api.post("/apps")
@operation("admin:apps")
def register_app(client: Client):
    """Register an app; its secret is in this answer only."""
    body = read_body({"client_id": (str, 100), **APP_FIELDS})
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
    body = read_body(APP_FIELDS)
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


