"""Rate limits shared by all views: per client IP, and per account for failed attempts.

Counters live in Redis when ``IDP_REDIS_URL`` is set (shared by every process),
otherwise in the process's memory.
"""

from __future__ import annotations

import logging

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import SQLAlchemyError

from . import audit
from .accounts import find_user, normalize_login
from .clock import now
from .storage import db

log = logging.getLogger(__name__)

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
            return _keyed(f"account:{slug}:#{user.id}", user.id)
        return _keyed(f"account:{slug}:{normalize_login(login)[:254]}", None)
    user_id = _session_user_id() if directory is not None else None
    if user_id:
        return _keyed(f"account:{slug}:#{user_id}", user_id)
    return _keyed(f"ip:{slug}:{get_remote_address()}", None)


def _keyed(key: str, user_id: int | None) -> str:
    """Remember the request's account key and user, for the lock-out's audit event."""
    g.account_limit_key = (key, user_id)
    return key


def _session_user_id() -> int | None:
    """Return the user of the browser's session (the one proving a second method)."""
    from .web.context import current_session  # late: the web package imports this module

    session = current_session()
    return session.user_id if session is not None else None


def failed(_response) -> bool:
    """Count only attempts that failed verification; audit the one that locks the account."""
    if not g.get("verification_failed"):
        return False
    _audit_lock_out()
    return True


def _audit_lock_out() -> None:
    """Record `account.locked` once, when this failure uses up the account's last attempt.

    Called before the failure is counted: a window with one attempt left is about to close.
    """
    directory = g.get("directory")
    key, user_id = g.get("account_limit_key") or (None, None)
    if directory is None or key is None or g.get("lock_out_recorded"):
        return
    for limit in limiter.current_limits:
        if key not in limit.request_args:
            continue
        if limit.limiter.get_window_stats(limit.limit, *limit.request_args).remaining != 1:
            continue
        g.lock_out_recorded = True
        detail = {"limit": str(limit.limit), "method": _failed_method()}
        if user_id is None and request.form.get("username"):
            detail["login"] = normalize_login(request.form["username"])[:100]
        try:
            audit.record(directory.id, "account.locked", now(), user_id=user_id,
                         ip=get_remote_address(), user_agent=request.user_agent.string,
                         **detail)
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("could not record a lock-out of %s", key)
        return


def _failed_method() -> str | None:
    """Return the sign-in method whose failures locked the account."""
    name = (request.view_args or {}).get("name")
    if isinstance(name, str):
        return name[:20]
    return {"pages.login": "password", "pages.passkey_login": "passkey"}.get(
        request.endpoint or "")
