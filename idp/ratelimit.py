"""Rate limits shared by all views: per client IP, and per account for failed attempts.

Counters live in Redis when ``IDP_REDIS_URL`` is set (shared by every process),
otherwise in the process's memory.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from .accounts import normalize_login

limiter = Limiter(key_func=get_remote_address, default_limits=[],
                  strategy="moving-window")


def ip_limit() -> str:
    """Return the per-IP limit of login and verification attempts."""
    return current_app.extensions["idp"].settings["IDP_LOGIN_RATE_LIMIT"]


def account_limit() -> str:
    """Return the per-account limit of failed verifications."""
    return current_app.extensions["idp"].settings["IDP_ACCOUNT_FAILURE_LIMIT"]


def account_key() -> str:
    """Key failures by directory and account: the typed login, or the session's user."""
    directory = g.get("directory")
    slug = directory.slug if directory is not None else "-"
    login = request.form.get("username")
    if login:
        return f"account:{slug}:{normalize_login(login)[:254]}"
    user_id = g.get("interaction_user_id")
    return f"account:{slug}:#{user_id}" if user_id else f"ip:{slug}:{get_remote_address()}"


def failed(_response) -> bool:
    """Count only attempts that failed verification."""
    return bool(g.get("verification_failed"))
