"""The page language: switchable on every page, remembered in a cookie.

Order of choice: the language the person picked (``?lang=`` or its cookie), the
app's ``ui_locales``, the browser's Accept-Language, the directory's default. Outside a
request (the ``idp`` command) messages stay in English, the source language.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, current_app, g, has_request_context, request
from werkzeug.exceptions import HTTPException

from ..services import services

LANGUAGES: tuple[tuple[str, str], ...] = (("en", "English"), ("nl", "Nederlands"))
LOCALES = tuple(code for code, _name in LANGUAGES)
COOKIE = "idp-lang"
YEAR = 365 * 24 * 3600


def chosen_language() -> str | None:
    """Return the language the person picked on a page, if any (an unknown value is ignored)."""
    for picked in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if picked in LOCALES:
            return picked
    return None


def notice_language(locale_claim: str | None, page_language: str) -> str:
    """Return the language of a person's notices: that of their locale claim ("nl-BE" is
    Dutch) when pages come in it, else the page's."""
    base = (locale_claim or "").split("-")[0].lower()
    return base if base in LOCALES else page_language


def select_locale() -> str | None:
    """Pick the page language (see the module docstring); None means the default, English."""
    if not has_request_context():
        return None
    picked = chosen_language()
    if picked:
        return picked
    for tag in g.get("ui_locales", ()):
        base = tag.split("-")[0].lower()
        if base in LOCALES:
            return base
    best = request.accept_languages.best_match(LOCALES)
    if best:
        return best
    directory = g.get("directory")
    return directory.default_locale if directory is not None else "en"


def _shows_page(path: str) -> bool:
    """Return whether a GET of `path` reaches a view (not a 404 or 405)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(path, method="GET")
    except HTTPException:
        return False
    return True


def page_path() -> str:
    """Return the path that shows this page again with a GET.

    A page answering a form (a wrong password, a wrong code) is at the form's POST-only
    address; the nearest address above it that takes a GET shows the same step, so
    switching language there keeps the pending login.
    """
    path = request.path
    if request.method in ("GET", "HEAD"):
        return path
    candidate = path.rstrip("/")
    while candidate and not _shows_page(candidate):
        candidate = candidate.rsplit("/", 1)[0]
    return candidate or "/"


def language_url(code: str) -> str:
    """Return this page's URL (path and query) in another language."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return f"{page_path()}?{urlencode(args, doseq=True)}"


def remember_language(response: Response) -> Response:
    """Keep a language picked with ``?lang=`` for the next pages."""
    picked = request.args.get("lang")
    if picked in LOCALES and request.cookies.get(COOKIE) != picked:
        response.set_cookie(COOKIE, picked, max_age=YEAR, path="/", httponly=True,
                            samesite="Lax",
                            secure=services().cookies.secure or request.is_secure)
    return response
