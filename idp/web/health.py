"""Probes for load balancers and orchestrators: is the process alive, can it serve?

``/healthz`` answers as long as the process does, with no I/O: restart the instance
when it fails. ``/readyz`` asks the database (and Redis when IDP_REDIS_URL is set) and
answers 503 with Retry-After while one is unreachable: send no traffic meanwhile.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..config import current_settings
from ..errors import Unavailable
from ..storage.outages import database_ready
from .ratelimit import limiter

health = Blueprint("health", __name__)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@health.get("/healthz")
def healthz():
    """Say the process answers (liveness); touches nothing."""
    return _no_store(jsonify(status="ok"))


def readiness() -> dict[str, str]:
    """Ask the database, and Redis when IDP_REDIS_URL is set: "ok" or "unavailable" each."""
    checks = {"database": "ok" if database_ready() else "unavailable"}
    if current_settings().redis_url:
        # The limiter's own client, with its short timeouts (see idp.app).
        checks["redis"] = "ok" if limiter.storage.check() else "unavailable"
    return checks


@health.get("/readyz")
def readyz():
    """Say whether the database and Redis answer (readiness); 503 while one does not."""
    checks = readiness()
    ready = all(state == "ok" for state in checks.values())
    response = jsonify(status="ready" if ready else "unavailable", checks=checks)
    if not ready:
        response.status_code = Unavailable.status
        response.headers["Retry-After"] = str(Unavailable.retry_after)
    return _no_store(response)
