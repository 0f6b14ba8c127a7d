"""The admin REST API of a directory (described in ``api/admin.openapi.yaml``).

Service accounts call it with a bearer token of the client_credentials grant
(``idp.tenants.service_accounts``); each operation needs one admin scope (RFC 6750 3.1: 401
with ``WWW-Authenticate`` without a good token, 403 ``insufficient_scope`` without the
scope). Handlers parse, call the functions the admin pages use, and answer JSON. Every
refusal is ``{"error", "error_description"}`` from the one error handler (``idp.web``), in
English; every change is audited with the service account as ``actor_client``.

This package holds the blueprint, the check of the caller and the reading of requests; one
module per area serves its routes: ``users``, ``apps``, ``settings``, ``policies``, ``brand``,
``claims``, ``audit``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import MissingAuthorizationError, UnsupportedTokenTypeError
from authlib.oauth2.rfc6750 import InsufficientScopeError
from flask import Blueprint, Response, request
from flask_babel import force_locale

from ....admin.users import page_key
from ....errors import IdpError
from ....oidc.server import create_service_protector
from ....storage.models import Client
from ...context import load_directory

admin_api = Blueprint("admin_api", __name__, url_prefix="/d/<slug>/api/admin/v1")
admin_api.url_value_preprocessor(load_directory)

SPEC_PATH = Path(__file__).resolve().parent.parent / "admin.openapi.yaml"
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

def service_account(scope: str) -> Client:
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
                return view(service_account(scope), *args, **kwargs)
        return run
    return decorate


# --- reading requests -------------------------------------------------------------------------

def read_body(fields: dict[str, tuple[type, int]], max_items: int = MAX_LIST) -> dict[str, Any]:
    """Return the JSON object of the request, checked against `fields` (name: type, and for
    strings and lists of strings their longest length; a list has at most `max_items`).
    Unknown fields, wrong types and large bodies are refused."""
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
        if value is None and kind in (str, int, dict):
            continue  # an empty optional value
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ApiError("invalid_request", f"The field {name!r} must be a {kind.__name__}.")
        if kind is str and len(value) > limit:
            raise ApiError("invalid_request",
                           f"The field {name!r} has at most {limit} characters.")
        if kind is list and (len(value) > max_items or not all(
                isinstance(item, str) and len(item) <= limit and item.isprintable()
                for item in value)):
            raise ApiError("invalid_request", f"The field {name!r} is a list of at most "
                           f"{max_items} texts of at most {limit} characters.")
    return body


def page_size() -> int:
    """Return the page size asked for (1 to 100, default 50)."""
    text = request.args.get("limit", "50")
    if not (text.isascii() and text.isdecimal()) or len(text) > 3 \
            or not 1 <= int(text) <= MAX_PAGE:
        raise ApiError("invalid_request", f"limit is a whole number from 1 to {MAX_PAGE}.")
    return int(text)


def paging_key(name: str) -> str | None:
    """Return a paging key of the query string, refusing one that cannot be a key."""
    text = request.args.get(name)
    if text is None:
        return None
    key = page_key(text)
    if key is None:
        raise ApiError("invalid_request", f"{name} is not a page key from a previous page.")
    return key


def refused(exc: Exception, status: int = 400) -> ApiError:
    return ApiError("invalid_request", str(exc), status)


@admin_api.get("/openapi.yaml")
def description() -> Response:
    """Serve this API's OpenAPI description."""
    return Response(SPEC_PATH.read_bytes(), mimetype="application/yaml")


# The areas register their routes on the blueprint.
from . import apps, audit, brand, claims, policies, settings, users  # noqa: E402,F401
