"""The HTTP API of the provider's authenticator app (described in ``api/app.openapi.yaml``).

Every answer is JSON; every refusal is ``{"error", "error_description"}`` with its status.
Requests after activation are signed by the device key over a fresh nonce.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from flask import Blueprint, Response, g, jsonify, render_template, request

from ... import audit
from ...clock import now
from ...methods import AppApprovalMethod
from ...methods.app_approval.devices import AppDevices, AppError, normalize_code
from ...services import services
from ...storage import db
from ...storage.models import AppDevice, User
from ...tenants.brand import brand_of
from ..brand import logo_url
from ..context import client_ip, load_directory
from ..ratelimit import per_ip

app_api = Blueprint("app_api", __name__, url_prefix="/d/<slug>/app")
app_api.url_value_preprocessor(load_directory)

MAX_JSON = 8 * 1024


def _devices() -> AppDevices:
    method = services().methods.get("app")
    if not isinstance(method, AppApprovalMethod):
        raise AppError("not_found", "App approval is not available here.", 404)
    return method.devices


def _json() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON:
        raise AppError("invalid_request", "The request is too large.", 413)
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise AppError("invalid_request", "The body must be JSON.") from exc
    if not isinstance(body, dict):
        raise AppError("invalid_request", "The body must be a JSON object.")
    return body


def _signed():
    """Return the device that signed this request."""
    return _devices().authenticate(g.directory, request.headers, request.method, request.path,
                                   request.get_data(cache=True)[:MAX_JSON + 1], now())


@app_api.errorhandler(AppError)
def _refuse(exc: AppError) -> Response:
    db.session.rollback()
    response = jsonify({"error": exc.error, "error_description": exc.description, **{
        k: v for k, v in exc.extra.items() if k != "retry_after"}})
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Signature realm="app"'
    return response


@app_api.post("/activate")
@per_ip
def activate():
    """Bind a new app to the user whose activation code it sends."""
    device = _devices().activate(g.directory, _json(), now())
    audit.record(g.directory.id, audit.events.APP_ACTIVATED, now(), user_id=device.user_id,
                 ip=client_ip(), device=device.name)
    db.session.commit()
    return jsonify({"device_id": device.public_id, **_brand_fields(),
                    "username": device_user(device)}), 201


def device_user(device: AppDevice) -> str:
    """Return the username the device was activated for."""
    user = db.session.get(User, device.user_id)
    return user.username if user else ""


@app_api.get("/activate")
def activation_page():
    """Tell a person who opened the activation link what to do with it."""
    code = normalize_code(request.args.get("code", ""))
    return render_template("app_activate.html", directory=g.directory, code=code)


@app_api.post("/nonce")
def nonce():
    """Give the app a nonce to sign its next request with."""
    value = _devices().new_nonce(g.directory, _json().get("device_id"), now())
    db.session.commit()
    return jsonify({"nonce": value, "expires_in": 60})


@app_api.get("/approvals")
def approvals():
    """List the logins waiting for this app's user."""
    device = _signed()
    pending = _devices().pending(device, now())
    db.session.commit()
    shown = _brand_fields()
    return jsonify({"approvals": [{
        "id": a.public_id, **shown, "client": a.client_name,
        "created_at": int(a.created_at), "expires_at": int(a.expires_at), "ip": a.ip,
        "user_agent": a.user_agent, "choices": a.choices} for a in pending]})


@app_api.post("/approvals/<approval_id>")
@per_ip
def answer(approval_id: str):
    """Approve (number and PIN) or deny a login."""
    device = _signed()
    body = _json()
    status = _devices().answer(device, approval_id, body, now())
    audit.record(g.directory.id, audit.events.APP_ANSWERS[status], now(), user_id=device.user_id,
                 ip=client_ip(), device=device.name)
    db.session.commit()
    return jsonify({"status": status})


@app_api.delete("/device")
def remove_device():
    """The app removes itself."""
    device = _signed()
    _devices().remove(device, now())
    audit.record(g.directory.id, audit.events.APP_REMOVED, now(), user_id=device.user_id,
                 ip=client_ip(), device=device.name)
    db.session.commit()
    return Response(status=204)


def _brand_fields() -> dict[str, str]:
    """Return how the app shows the directory: its name, accent colour and logo's URL."""
    shown = brand_of(g.directory)
    fields = {"directory": shown.name, "accent": shown.accent}
    logo = logo_url(shown)
    if logo:
        fields["logo"] = urljoin(request.host_url, logo)
    return fields
