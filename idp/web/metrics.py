"""Prometheus metrics at /metrics, for a scraper holding IDP_METRICS_TOKEN.

Off (404, as any unknown address) while the token is unset. The answer is read from
memory (or the multiprocess folder): no database, no session, no rate limit, so a scrape
during an outage still shows it.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request

from ..config import current_settings
from ..observability import metrics as measured
from .ratelimit import limiter

metrics = Blueprint("metrics", __name__)


def _bearer_token() -> str:
    """Return the bearer token of the Authorization header (RFC 6750 2.1), or ""."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@metrics.get("/metrics")
@limiter.exempt
def scrape():
    """Answer the metrics to a holder of the token; 401 to anyone else, 404 when off."""
    expected = current_settings().metrics_token
    if not expected:
        abort(404)
    if not hmac.compare_digest(_bearer_token().encode(), expected.encode()):
        return Response("unauthorized\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body, content_type = measured.render()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
