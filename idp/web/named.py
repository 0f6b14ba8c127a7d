"""Which app a request is for, as its metrics and log line name it."""

from __future__ import annotations

from werkzeug.wrappers import Request

#: The endpoints where an app authenticates itself (RFC 6749 2.3.1).
CLIENT_AUTH_ENDPOINTS = frozenset({"api.token", "api.revoke", "api.introspect",
                                   "api.pushed_authorization_request",
                                   "api.device_authorization"})


def client_named(request: Request, endpoint: str | None) -> str | None:
    """Return the client id the request names, if it names one: in its query, in a form
    already read, or as the Basic user name at the token endpoints (RFC 6749 2.3.1)."""
    form = request.__dict__.get("form")  # only a form the view read: no parsing here
    client_id = request.args.get("client_id") or (form.get("client_id") if form else None)
    if not client_id and endpoint in CLIENT_AUTH_ENDPOINTS:
        authorization = request.authorization
        if authorization is not None and authorization.type == "basic":
            client_id = authorization.username
    return client_id or None
