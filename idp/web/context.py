"""Per-request context: the directory of the URL and the browser's session in it."""

from __future__ import annotations

from flask import Blueprint, Response, g, request
from flask_babel import lazy_gettext

from ..clock import now
from ..errors import DirectoryDisabled, NotFound
from ..services import services
from ..storage import db
from ..storage.models import BrowserSession
from ..tenants.directories import SLUG_PATTERN, serves, serving_directory, session_lifetimes
from ..tenants.policies import device_seconds
from ..users.sessions import load_session, record_activity, start_session
from . import known_browser


def load_directory(_endpoint: str | None, values: dict | None, attached: bool = True) -> None:
    """Pop the slug from the URL values and load its directory into ``g`` (not `attached`:
    in no session, see ``serving_directory``).

    Every request under /d/<slug>/ passes here: a disabled directory is refused here, once.
    """
    slug = (values or {}).pop("slug", None)
    directory = serving_directory(slug, attached) if slug and SLUG_PATTERN.match(slug) \
        else None
    if directory is None:
        raise NotFound(lazy_gettext("There is no such directory."))
    g.directory = directory  # the error page names the directory
    if not serves(directory):
        raise DirectoryDisabled()


def directory_of_unknown_path() -> None:
    """For an error on an address no route serves (/d/<slug>/nothing): load the directory the
    path names into ``g``, when it exists and serves, so that the error page wears its
    brand; an unknown or disabled directory leaves the page neutral."""
    if g.get("directory") is not None or g.get("outage") or request.url_rule is not None:
        return
    parts = request.path.split("/", 3)
    if len(parts) < 3 or parts[0] or parts[1] != "d" or not SLUG_PATTERN.match(parts[2]):
        return
    directory = serving_directory(parts[2])
    if serves(directory):
        g.directory = directory


def directory_blueprint(name: str, import_name: str) -> Blueprint:
    """Return a blueprint under /d/<slug> whose views find their directory in ``g``."""
    blueprint = Blueprint(name, import_name, url_prefix="/d/<slug>")
    blueprint.url_value_preprocessor(load_directory)
    blueprint.before_request(note_activity)

    @blueprint.url_defaults
    def _add_slug(_endpoint: str, values: dict) -> None:
        directory = g.get("directory")
        if directory is not None:
            values.setdefault("slug", directory.slug)

    return blueprint


def client_ip() -> str | None:
    """Return the client's address (after trusted proxies)."""
    return request.remote_addr


def current_session() -> BrowserSession | None:
    """Return the browser's live session in this directory, if any."""
    if "browser_session" not in g:
        token = request.cookies.get(services().cookies.name(g.directory))
        g.browser_session = load_session(g.directory, token, now())
    return g.browser_session


def note_activity() -> None:
    """Keep the browser's session from going idle: write its use, at most once a minute.

    This runs before the view, in a transaction of its own, so that nothing the view
    does is committed with it.
    """
    row = current_session()
    if row is not None and record_activity(row, now()):
        db.session.commit()


def ensure_session() -> BrowserSession:
    """Return the browser's session, starting an anonymous one if there is none."""
    row = current_session()
    if row is None:
        row, token = start_session(g.directory, now(), client_ip(), request.user_agent.string)
        g.browser_session = row
        g.new_session_token = token
    return row


def set_session_token(token: str) -> None:
    """Send the session's new cookie token with this response."""
    g.new_session_token = token


def write_session_cookie(response: Response) -> Response:
    """Set or clear the directory's session cookie (and set its device and known-browser
    cookies) as decided."""
    directory = g.get("directory")
    if directory is None or not (g.get("clear_session_cookie") or g.get("new_session_token")
                                 or g.get("device_cookie") or g.get("known_browser_cookie")):
        # Nothing to write; nor read the directory, which a failed database cannot reload.
        return response
    cookies = services().cookies
    name = cookies.name(directory)
    if g.get("clear_session_cookie"):
        response.delete_cookie(name, path="/", secure=cookies.secure, httponly=True,
                               samesite="Lax")
    elif g.get("new_session_token"):
        max_age = int(session_lifetimes(directory).absolute_seconds)
        response.set_cookie(name, g.new_session_token, max_age=max_age, path="/",
                            secure=cookies.secure, httponly=True, samesite="Lax")
    if g.get("known_browser_cookie"):
        response.set_cookie(known_browser.cookie_name(), g.known_browser_cookie,
                            max_age=known_browser.max_age(), path="/", secure=cookies.secure,
                            httponly=True, samesite="Lax")
    if g.get("device_cookie"):
        response.set_cookie(cookies.device_name(directory), g.device_cookie,
                            max_age=device_seconds(directory),
                            path="/", secure=cookies.secure, httponly=True, samesite="Lax")
    return response
