"""Rate limits shared by all views: per client IP, and per account for failed attempts.

Counters live in Redis when ``IDP_REDIS_URL`` is set (shared by every process),
otherwise in the process's memory.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from .accounts import find_user, normalize_login

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
        # The username and the email address of one account share one counter.
        user = find_user(directory, login) if directory and len(login) <= 254 else None
        if user is not None:
            return f"account:{slug}:#{user.id}"
        return f"account:{slug}:{normalize_login(login)[:254]}"
    user_id = _session_user_id() if directory is not None else None
    return f"account:{slug}:#{user_id}" if user_id else f"ip:{slug}:{get_remote_address()}"


def _session_user_id() -> int | None:
    """Return the user of the browser's session (the one proving a second method)."""
    from .web.context import current_session  # late: the web package imports this module

    session = current_session()
    return session.user_id if session is not None else None


def failed(_response) -> bool:
    """Count only attempts that failed verification."""
    return bool(g.get("verification_failed"))
