"""Browsers that completed a full login: a signed cookie that gives them their own failure budget.

After a login reaches the directory's level, the browser gets (or keeps) an entry
for that user in a signed, HttpOnly cookie: a random nonce, nothing secret about the
account. Guesses from a browser holding the entry are counted against that entry
alone, so a stranger guessing from elsewhere cannot lock the owner out of their usual
browser (OWASP's "device cookies"; NIST SP 800-63B-4 §3.2.2). The entry gives no
points and proves nothing on its own: it only chooses which budget an attempt uses.
"""

from __future__ import annotations

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..config import current_settings
from ..security.tokens import new_secret
from ..services import services
from ..storage.models import User

MAX_ENTRIES = 5  # users remembered per browser and directory
MAX_COOKIE = 2048


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                  salt=f"idp-known-browser:{g.directory.id}")


def cookie_name() -> str:
    """Return the directory's known-browser cookie name (__Host- prefixed on https)."""
    prefix = "__Host-" if services().cookies.secure else ""
    return f"{prefix}idp-browser-{g.directory.slug}"


def max_age() -> int:
    """Return how long a browser stays known after its last full login, in seconds."""
    return int(current_settings().known_browser_days) * 86400


def _entries() -> list[list]:
    raw = request.cookies.get(cookie_name()) or ""
    if not raw or len(raw) > MAX_COOKIE:
        return []
    try:
        entries = _serializer().loads(raw, max_age=max_age())
    except BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [e for e in entries[:MAX_ENTRIES] if isinstance(e, list) and len(e) == 2
            and isinstance(e[0], int) and isinstance(e[1], str)]


def browser_nonce(user: User) -> str | None:
    """Return this browser's nonce for `user` if it completed a full login as them."""
    for user_id, nonce in _entries():
        if user_id == user.id:
            return nonce
    return None


def remember_browser(user: User) -> None:
    """Mark this browser as one `user` completed a full login in (sent with the response)."""
    entries = _entries()
    nonce = browser_nonce(user) or new_secret(16)
    kept = [[user.id, nonce]] + [e for e in entries if e[0] != user.id]
    g.known_browser_cookie = _serializer().dumps(kept[:MAX_ENTRIES])
