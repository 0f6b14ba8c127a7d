"""The admin API's standard claims (scope ``admin:claims``): which of them the directory's
users are asked for on their profile, chosen as on the Profile details page."""

from __future__ import annotations

from flask import g, jsonify

from ....domain.claims import DEFAULT_ASKED, EDITABLE_CLAIMS, ClaimsRefused
from ....storage.models import Client
from ....tenants.asked_claims import asked_claims
from ...admin.claims import save_asked_claims
from . import ApiError, admin_api, operation, read_body


def _claims() -> dict[str, list[str]]:
    return {"asked": list(asked_claims(g.directory)), "available": list(EDITABLE_CLAIMS),
            "defaults": [name for name in EDITABLE_CLAIMS if name in DEFAULT_ASKED]}


@admin_api.get("/claims")
@operation("admin:claims")
def read_claims(client: Client):
    """Return the standard claims users are asked for, and those that may be asked."""
    return jsonify(_claims())


@admin_api.put("/claims")
@operation("admin:claims")
def choose_claims(client: Client):
    """Choose the standard claims users are asked for (all of them: those left out are no
    longer asked)."""
    body = read_body({"asked": (list, 40)})
    if "asked" not in body:
        raise ApiError("invalid_request", "The field 'asked' is required.")
    try:
        save_asked_claims(g.directory, body["asked"], client)
    except ClaimsRefused as exc:
        unknown = [name for name in body["asked"] if name not in EDITABLE_CLAIMS]
        raise ApiError("invalid_request", "Choose only from the available claims"
                       + (f"; not {unknown[0]!r}." if unknown else ".")) from exc
    return jsonify(_claims())
