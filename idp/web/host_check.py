"""Refuse requests for a host that is not the provider's, before the app sees them.

Werkzeug and Authlib build URLs from the Host header (issuer checks, redirects, the
"https only" rule of OAuth), so a request naming another host is never served. This
WSGI middleware answers it with a plain 400 and touches nothing else (no database, no
session): in every mode a Host that is no valid host name (empty, too long, control
characters, ...), and in production any host other than IDP_BASE_URL's host and port
(as the client named it, after the trusted proxies of IDP_PROXY_COUNT). Load
balancers probe ``/healthz`` and ``/readyz``, and Prometheus scrapes ``/metrics``, by an
instance's address, so these are spared the production rule (they build no URL from the
host, change nothing, and the metrics need their token).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

# A DNS name (labels of at most 63 letters, digits, hyphens or underscores), an IPv4
# address or a bracketed IPv6 address, with an optional port: RFC 9110 7.2, RFC 3986 3.2.2.
HOST = re.compile(r"(?:[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*\.?|\[[0-9A-Fa-f:.]{2,45}\])"
                  r"(?::[0-9]{1,5})?")
MAX_HOST = 260
DEFAULT_PORTS = {"http": 80, "https": 443}
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def host_and_port(host: str, scheme: str) -> tuple[str, int] | None:
    """Return a well-formed Host as (lower-case name, port); None when it is malformed."""
    if not host or len(host) > MAX_HOST or not HOST.fullmatch(host):
        return None
    try:
        parts = urlsplit(f"//{host}")
        port = parts.port
    except ValueError:  # a port above 65535
        return None
    name = (parts.hostname or "").rstrip(".")
    if not name:
        return None
    return name, port if port is not None else DEFAULT_PORTS.get(scheme, 443)


class HostCheck:
    """WSGI middleware: a plain 400 for a malformed Host, and in production for a foreign one."""

    def __init__(self, app: WsgiApp, base_url: str, *, only_base_host: bool):
        base = urlsplit(base_url)
        self.app = app
        self.scheme = base.scheme
        self.expected = host_and_port(base.netloc, base.scheme)
        self.only_base_host = only_base_host

    def allows(self, environ: dict[str, Any]) -> bool:
        """Return whether the request names a host this provider serves."""
        host = environ.get("HTTP_HOST")
        if host is None and not self.only_base_host:
            return True  # HTTP/1.0 without Host: Werkzeug uses the server's own name
        found = host_and_port(host or "", self.scheme)
        if found is None:
            return False
        return not self.only_base_host or found == self.expected \
            or environ.get("PATH_INFO") in PROBES

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        if self.allows(environ):
            return self.app(environ, start_response)
        body = b"Bad Request: this server does not serve that host.\n"
        start_response("400 Bad Request", [
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
        return [body]
