"""The admin API's brand (scope ``admin:brand``): the name, accent colour, sender name and
support contact with the Brand page's checks (``idp.admin.brand``, the colour's contrast
refusal included), and the logo with its checks of type, size and SVG content
(``idp.security.images``)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request, url_for

from ....admin.brand import FIELDS, MAX_TYPED, form_values, logo_refusal, read_brand_form
from ....domain.brand import Brand
from ....security.images import MAX_BYTES, LogoRefused
from ....storage.models import Client
from ....tenants.brand import brand_of
from ...admin.brand import LOGO_BODY_BYTES, drop_logo, save_brand, save_logo
from ...brand import EXTENSIONS
from . import ApiError, admin_api, operation, read_body

LOGO_TYPES = ("image/png", "image/svg+xml")


def _brand(shown: Brand) -> dict[str, Any]:
    logo = None
    if shown.logo_digest is not None and shown.logo_type in EXTENSIONS:
        logo = {"url": url_for("brand.logo", digest=shown.logo_digest,
                               ext=EXTENSIONS[shown.logo_type], _external=True),
                "media_type": shown.logo_type}
    return {**{name: value or None for name, value in form_values(shown).items()},
            "logo": logo}


@admin_api.get("/brand")
@operation("admin:brand")
def read_brand(client: Client):
    """Return the directory's brand."""
    return jsonify(_brand(brand_of(g.directory)))


@admin_api.patch("/brand")
@operation("admin:brand")
def change_brand(client: Client):
    """Change the brand's texts and colour (fields left out stay; null clears an optional
    one), with the Brand page's checks; nothing is stored when one field is refused."""
    body = read_body(dict.fromkeys(FIELDS, (str, MAX_TYPED)))
    current = brand_of(g.directory)
    typed = {**form_values(current), **{name: value or "" for name, value in body.items()}}
    form = read_brand_form(typed, current)
    if form.brand is None:
        raise ApiError("invalid_request", " ".join(
            f"{name}: {text}" for name, text in form.errors.items()))
    save_brand(g.directory, form.brand, client)
    return jsonify(_brand(brand_of(g.directory)))


@admin_api.put("/brand/logo")
@operation("admin:brand")
def upload_logo(client: Client):
    """Store the logo sent as the body (a PNG or an SVG, checked by its content)."""
    if request.mimetype not in LOGO_TYPES:
        raise ApiError("invalid_request", "The logo is sent as image/png or image/svg+xml.",
                       415)
    if request.content_length is not None and request.content_length > MAX_BYTES:
        raise ApiError("invalid_request", logo_refusal(LogoRefused("too_large")), 413)
    content = request.stream.read(LOGO_BODY_BYTES + 1)
    try:
        save_logo(g.directory, content, client)
    except LogoRefused as exc:
        if exc.reason == "too_large":
            raise ApiError("invalid_request", logo_refusal(exc), 413) from exc
        raise ApiError("invalid_logo", logo_refusal(exc)) from exc
    return jsonify(_brand(brand_of(g.directory)))


@admin_api.delete("/brand/logo")
@operation("admin:brand")
def remove_logo(client: Client):
    """Remove the logo (pages show the name alone)."""
    drop_logo(g.directory, client)
    return jsonify(_brand(brand_of(g.directory)))
