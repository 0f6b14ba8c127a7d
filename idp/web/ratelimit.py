"""The per-IP limit on requests that check a secret or send a code.

One budget per client address is shared by every such endpoint (the login form, each
method's code and send forms, enrolment, the profile's checks, the app's API), so
spreading attempts over endpoints gains nothing. Counters live in Redis when
``IDP_REDIS_URL`` is set (shared by every process), otherwise in each process's memory.

Guesses at one account are limited by the account's failure budgets
(``idp.web.attempts``), which live in the database and so are shared by every process
and instance with or without Redis.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ..config import current_settings

limiter = Limiter(key_func=get_remote_address, default_limits=[],
                  strategy="moving-window")


def ip_limit() -> str:
    """Return the per-IP limit of login and verification requests."""
    return current_settings().login_rate_limit


#: Apply the per-IP limit, one budget shared by every verifying endpoint.
per_ip = limiter.shared_limit(ip_limit, scope="verify")


def check_in_views_only(app: Flask) -> None:
    """Leave the limits to the views they decorate (``per_ip``): each checks its own before
    the view runs. The limiter's hook before every request evaluates only default,
    application and blueprint limits; with none of those it would find nothing to count,
    at a cost each request pays (a tenth of a userinfo request's CPU)."""
    manager = limiter.limit_manager
    if not limiter.enabled:
        return  # init_app installed no hook
    if manager.default_limits or manager.application_limits or any(
            manager.blueprint_limits(app, name) for name in app.blueprints):
        raise RuntimeError("default, application or blueprint limits need the limiter's hook "
                           "before every request")
    app.before_request_funcs[None].remove(limiter._check_request_limit)
