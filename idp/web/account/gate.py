"""Who may see an account page: a session at the directory's level, fresh when it matters.

A browser below the level is sent through the directory's authorization endpoint as
the built-in account client (``idp.tenants.account_client``), so the login policy is the one
every app gets; the callback returns it to the page it came from.

Pages that change how someone signs in need a recent login (``fresh``): the methods that
make the level, the identifying one among them, completed within IDP_FRESH_LOGIN_SECONDS,
counted by the rule max_age uses (``idp.domain.counted_completions``). A session at the
level that is not fresh gets a page that says why, whose Continue starts that login
(with max_age) and comes back to the same path; a POST's path has a GET page.
"""

from __future__ import annotations

import hashlib
from base64 import urlsafe_b64encode
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext, lazy_gettext
from werkzeug.exceptions import HTTPException

from ...clock import now
from ...config import current_settings
from ...domain import counted_completions, session_level
from ...oidc.login import session_user
from ...security.tokens import new_secret
from ...services import services
from ...storage import db
from ...storage.models import User
from ...tenants.account_client import (
    ACCOUNT_CLIENT_ID,
    account_redirect_uri,
    consume_account_code,
    ensure_account_client,
)
from ...tenants.directories import level_settings
from ...users.sessions import completions
from ..context import current_session
from . import account

PENDING_KEY = "account_logins"
MAX_PENDING = 5


def session_level_now(fresh: bool = False) -> int:
    """Return the level of this browser's session (counting only recent methods if fresh)."""
    row = current_session()
    if session_user(row) is None:
        return 0
    max_age = current_settings().fresh_login_seconds if fresh else None
    settings = level_settings(g.directory)
    counted = counted_completions(completions(row), now=now(), max_age=max_age,
                                  counts_for=settings.counts_for)
    return session_level(settings, counted)


#: Why a page asks for a recent login, as the page that asks says it.
FRESH_REASONS = {
    "methods": lazy_gettext("For your security, log in again before you change how you "
                            "sign in."),
    "settings": lazy_gettext("For your security, log in again before you change how people "
                             "sign in to this directory."),
    "operator": lazy_gettext("For your security, log in again before you create, disable or "
                             "enable a directory."),
}
#: What the login form of that new login says above the person's name.
FRESH_PROMPTS = {
    "methods": lazy_gettext("Confirm it is you to change how you sign in."),
    "settings": lazy_gettext("Confirm it is you to change settings."),
    "operator": lazy_gettext("Confirm it is you to create, disable or enable a directory."),
}


def signed_in_page(*, admin: bool = False, fresh: bool = False, why: str = "methods",
                   back: str | None = None):
    """Let a view run only for a session at the required level (and an admin, if asked).

    The view finds the person in ``g.account_user``. Below the level the browser is sent
    to log in and comes back to this page's path. With `fresh`, a session at the level
    whose login is older than IDP_FRESH_LOGIN_SECONDS is refused, GET and POST alike,
    with a page that says why (FRESH_REASONS[why]) and offers to log in again. After the
    login the browser comes back to this path; to a form's POST, which has no page to
    show (a path that answers POST only), it comes back to `back` (an endpoint) or else to
    the page the form was on.
    """
    def wrap(view):
        @wraps(view)
        def inner(*args, **kwargs):
            user = session_user(current_session())
            required = level_settings(g.directory).required_level
            if user is None or session_level_now() < required:
                return redirect(url_for("account.login", next=_coming_back(back),
                                        fresh="1" if fresh else None,
                                        why=why if fresh and user is not None else None))
            if admin and not user.is_admin:
                abort(403, gettext("This page is for the directory's administrators."))
            g.account_user = user
            if fresh and session_level_now(fresh=True) < required:
                return log_in_again(why, _coming_back(back))
            return view(*args, **kwargs)
        return inner
    return wrap


def log_in_again(why: str, target: str | None = None):
    """Refuse a change for want of a recent login: say why (FRESH_REASONS[why]), and offer
    to log in again and come back to `target` (by default this path)."""
    minutes = max(1, current_settings().fresh_login_seconds // 60)
    return render_template("account/log_in_again.html", directory=g.directory,
                           reason=FRESH_REASONS[why], why=why, minutes=minutes,
                           next=target or request.path), 403


def fresh_login_prompt(state: object) -> str | None:
    """Return why this browser's account login `state` confirms who it is (a login again
    before a change, FRESH_PROMPTS), or None for any other login."""
    pending = session.get(PENDING_KEY) or {}
    entry = pending.get(state) if isinstance(state, str) and len(state) <= 100 else None
    why = entry.get("why") if isinstance(entry, dict) else None
    return str(FRESH_PROMPTS[why]) if why in FRESH_PROMPTS else None


def current_user() -> User:
    """Return the person of an account page (set by ``signed_in_page``)."""
    return g.account_user


def _coming_back(back: str | None) -> str:
    """Return where a login this request asks for comes back to: `back` (an endpoint),
    this path when it shows a page, else the page the form was on."""
    if back:
        return url_for(back)
    return request.path if _has_a_page() else page_of_form()


def _has_a_page() -> bool:
    """Return whether this request's path shows a page to a GET."""
    if request.method in ("GET", "HEAD"):
        return True
    try:
        current_app.url_map.bind_to_environ(request.environ).match(request.path,
                                                                   method="GET")
    except HTTPException:  # 405: the path answers POST only
        return False
    return True


def page_of_form() -> str:
    """Return the page a POST's form was on: its Referer, when that is a page of this
    directory on this host; otherwise the profile."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return safe_next(None)
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def safe_next(target: str | None) -> str:
    """Return `target` if it is a path of this directory, else the profile."""
    home = url_for("account.profile")
    if not target or len(target) > 500 or "\\" in target or any(
            ord(c) < 32 for c in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(f"/d/{g.directory.slug}/"):
        return home
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _challenge() -> str:
    digest = hashlib.sha256(new_secret(32).encode()).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


#: The longest ``login_hint`` passed on (the authorization request keeps as much).
MAX_HINT = 254


@account.get("/account/login")
def login():
    """Send the browser to log in as the account client, remembering where it was going.

    A ``login_hint`` (the username of someone who just set their password) is passed on
    to the authorization request, whose login form shows it filled in (OIDC Core 3.1.2.1).
    """
    ensure_account_client(g.directory, services().base_url, now())
    db.session.commit()
    state = new_secret(16)
    pending = dict(session.get(PENDING_KEY) or {})
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    why = request.args.get("why")
    fresh = request.args.get("fresh") == "1"
    pending[state] = {"next": safe_next(request.args.get("next")),
                      "why": why if fresh and why in FRESH_PROMPTS else None}
    session[PENDING_KEY] = pending
    params = {"response_type": "code", "client_id": ACCOUNT_CLIENT_ID,
              "redirect_uri": account_redirect_uri(g.directory, services().base_url),
              "scope": "openid", "state": state, "code_challenge": _challenge(),
              "code_challenge_method": "S256", "ui_locales": str(get_locale() or "en")}
    if fresh:
        params["max_age"] = str(current_settings().fresh_login_seconds)
    hint = request.args.get("login_hint") or ""
    if hint and len(hint) <= MAX_HINT and hint.isprintable():
        params["login_hint"] = hint
    return redirect(url_for("pages.authorize", **params))


@account.get("/account/callback")
def callback():
    """Return from a login to the page that asked for it."""
    state = request.args.get("state") or ""
    pending = dict(session.get(PENDING_KEY) or {})
    entry = pending.pop(state, None) if len(state) <= 100 else None
    session[PENDING_KEY] = pending
    target = entry.get("next") if isinstance(entry, dict) else entry
    if target is None:
        return render_template("account/not_logged_in.html", directory=g.directory,
                               reason=gettext("This login was started in another window or "
                                              "has expired.")), 400
    if request.args.get("error"):
        return render_template("account/not_logged_in.html", directory=g.directory,
                               reason=_login_error(request.args.get("error") or "")), 403
    client = ensure_account_client(g.directory, services().base_url, now())
    consume_account_code(client, request.args.get("code") or "", now())
    db.session.commit()
    return redirect(target)


def _login_error(error: str) -> str:
    if error == "access_denied":
        return gettext("You did not log in.")
    if error == "unmet_authentication_requirements":
        return gettext("Your sign-in methods cannot reach the level this directory requires. "
                       "Ask an administrator for help.")
    return gettext("The login did not succeed.")
