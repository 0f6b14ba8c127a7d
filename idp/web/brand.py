"""A directory's brand on its pages: its logo and its accent stylesheet, each under a URL
that names its content, so browsers may keep them for a year; and the brand in every
page's context.

The pages' Content-Security-Policy allows style sheets only from ourselves and no inline
styles, so the accent colour comes as a tiny style sheet of its own (``--accent``).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, g, request, url_for

from ..domain.brand import Brand
from ..tenants.brand import brand_of, logo_of
from .context import load_directory

brand = Blueprint("brand", __name__, url_prefix="/d/<slug>/brand")
brand.url_value_preprocessor(load_directory)

YEAR = 365 * 86400
IMMUTABLE = f"public, max-age={YEAR}, immutable"
EXTENSIONS = {"image/png": "png", "image/svg+xml": "svg"}
# An SVG opened on its own is a document: let it run and load nothing.
HEX6 = re.compile(r"^[0-9a-f]{6}$")
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"


@brand.url_defaults
def _add_slug(_endpoint: str, values: dict) -> None:
    directory = g.get("directory")
    if directory is not None:
        values.setdefault("slug", directory.slug)


@brand.get("/logo-<digest>.<ext>")
def logo(digest: str, ext: str):
    """Serve the directory's logo, if this is its current content hash."""
    row = logo_of(g.directory)
    if row is None or row.digest != digest or EXTENSIONS.get(row.media_type) != ext:
        abort(404)
    # The type exactly, without a charset: an SVG says its own encoding.
    response = Response(row.content, content_type=row.media_type)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["ETag"] = f'"{row.digest}"'
    if row.media_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_CSP
    return response.make_conditional(request)


@brand.get("/accent-<colour>.css")
def stylesheet(colour: str):
    """Serve the style sheet that sets the directory's accent colour."""
    accent = brand_of(g.directory).accent
    if colour != accent.lstrip("#"):
        abort(404)
    response = Response(f":root {{ --accent: {accent}; }}\n", mimetype="text/css")
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def logo_url(shown: Brand) -> str | None:
    """Return where the brand's logo is served, if it has one."""
    if shown.logo_digest is None or shown.logo_type not in EXTENSIONS:
        return None
    return url_for("brand.logo", digest=shown.logo_digest, ext=EXTENSIONS[shown.logo_type])


def stylesheet_url(shown: Brand) -> str:
    """Return the URL of the brand's accent style sheet."""
    return url_for("brand.stylesheet", colour=shown.accent.lstrip("#"))


def page_brand() -> dict:
    """Return the brand of the request's directory for the page templates."""
    directory = g.get("directory")
    if directory is None:
        return {"brand": None}
    shown = brand_of(directory)
    return {"brand": shown, "brand_logo_url": logo_url(shown),
            "brand_stylesheet_url": stylesheet_url(shown)}


@brand.get("/preview-<colour>.css")
def preview_stylesheet(colour: str):
    """Serve a style sheet that shows a candidate accent inside the admin's brand preview."""
    if not HEX6.match(colour):
        abort(404)
    response = Response(f".brand-preview {{ --accent: #{colour}; }}\n", mimetype="text/css")
    response.headers["Cache-Control"] = IMMUTABLE
    return response
