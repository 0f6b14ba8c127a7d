"""The admin API's policies (scope ``admin:policies``): the Policies page's values, bounds and
refusals (``idp.web.admin.policies``), and where text message codes may go, with the
Authentication page's checks and preview (``idp.admin.destinations``)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from ....admin.destinations import (
    MAX_TYPED,
    PolicyInputError,
    build_policy,
    describe,
    preview_sms_policy,
    save_sms_policy,
)
from ....admin.policies import change_policies
from ....clock import now
from ....domain import NUMBER_TYPES, DestinationPolicy, MethodLoss
from ....domain.policies import POLICIES
from ....services import services
from ....storage import db
from ....storage.models import Client
from ....tenants.directories import sms_policy
from ....tenants.policies import default_policies, directory_policies
from ...context import client_ip
from . import ApiError, admin_api, operation, read_body

POLICY_FIELDS: dict[str, tuple[type, int]] = {
    p.name: (bool, 0) if p.is_switch else (int, 0) for p in POLICIES}
#: The longest country list: every country and territory CLDR names fits.
MAX_COUNTRIES = 300
DESTINATION_FIELDS: dict[str, tuple[type, int]] = {
    "allowed_types": (list, 40), "allowed_countries": (list, 60),
    "blocked_countries": (list, 60), "blocked_prefixes": (list, 11),
    "non_geographic": (bool, 0)}


def _policies() -> dict[str, Any]:
    current, defaults = directory_policies(g.directory), default_policies()
    return {"policies": [
        {"name": p.name, "group": p.group, "unit": p.unit, "value": current[p.name],
         "default": defaults[p.name], "chosen": p.name in current.chosen,
         "minimum": None if p.is_switch else p.low,
         "maximum": None if p.is_switch else p.high} for p in POLICIES]}


@admin_api.get("/policies")
@operation("admin:policies")
def read_policies(client: Client):
    """Return every policy: its value in effect, default, bounds and unit."""
    return jsonify(_policies())


@admin_api.patch("/policies")
@operation("admin:policies")
def change_policies_(client: Client):
    """Change the policies named (others stay), with the Policies page's bounds and checks
    of which values agree; nothing is stored when one value is refused."""
    body = read_body(POLICY_FIELDS)
    _changes, errors = change_policies(g.directory, body, client)
    if errors:
        raise ApiError("invalid_request", " ".join(
            f"{name}: {text}" for name, text in errors.items()))
    return jsonify(_policies())


# --- where text message codes may go ---------------------------------------------------------

def _destinations(policy: DestinationPolicy) -> dict[str, Any]:
    return {"allowed_types": [t for t in NUMBER_TYPES if t in policy.allowed_types],
            "allowed_countries": sorted(policy.allowed_regions),
            "blocked_countries": sorted(policy.blocked_regions),
            "blocked_prefixes": list(policy.blocked_prefixes),
            "non_geographic": policy.allow_non_geographic, "default": policy.is_default,
            "description": describe(policy)}


def _people(people) -> list[dict[str, Any]]:
    return [{"id": m.id, "username": m.username} for m in people]


def _loss(loss: MethodLoss) -> dict[str, Any]:
    return {"losing_sms": _people(loss.losing),
            "can_enrol": _people(a.member for a in loss.can_enrol),
            "locked_out": _people(a.member for a in loss.locked_out)}


def _candidate() -> DestinationPolicy:
    """Read the destinations asked for (left out: as they are) with the page's checks."""
    body = read_body(DESTINATION_FIELDS, max_items=MAX_COUNTRIES)
    current = _destinations(sms_policy(g.directory))
    values = {name: current[name] if body.get(name) is None else body[name]
              for name in DESTINATION_FIELDS}
    unknown = [t for t in values["allowed_types"] if t not in NUMBER_TYPES]
    if unknown:
        raise ApiError("invalid_request", f"Unknown kind of number: {unknown[0][:40]!r}.")
    texts = {name: ", ".join(values[name])
             for name in ("allowed_countries", "blocked_countries", "blocked_prefixes")}
    if any(len(text) > MAX_TYPED for text in texts.values()):
        raise ApiError("invalid_request", "A list is too long.")
    try:
        return build_policy(values["allowed_types"], texts["blocked_countries"],
                            texts["allowed_countries"], texts["blocked_prefixes"],
                            values["non_geographic"])
    except PolicyInputError as exc:
        field = {"sms_blocked": "blocked_countries", "sms_allowed": "allowed_countries",
                 "sms_prefixes": "blocked_prefixes", "sms_types": "allowed_types"}.get(
                     exc.field, "destinations")
        raise ApiError("invalid_request", f"{field}: {exc}") from exc


@admin_api.get("/policies/sms-destinations")
@operation("admin:policies")
def read_destinations(client: Client):
    """Return where text message (and voice) codes may go, also in words."""
    return jsonify(_destinations(sms_policy(g.directory)))


@admin_api.post("/policies/sms-destinations/preview")
@operation("admin:policies")
def preview_destinations(client: Client):
    """Say whom these destinations would take text message codes from; save nothing."""
    candidate = _candidate()
    loss = preview_sms_policy(g.directory, candidate, services().methods)
    return jsonify({"destinations": _destinations(candidate), **_loss(loss)})


@admin_api.put("/policies/sms-destinations")
@operation("admin:policies")
def change_destinations(client: Client):
    """Save where text message codes may go (fields left out stay); say whom it cost."""
    candidate = _candidate()
    if candidate == sms_policy(g.directory):
        return jsonify({"destinations": _destinations(candidate), "losing_sms": [],
                        "can_enrol": [], "locked_out": []})
    loss = preview_sms_policy(g.directory, candidate, services().methods)
    save_sms_policy(g.directory, candidate, loss, actor=client, ip=client_ip(),
                    user_agent=request.user_agent.string, now=now())
    db.session.commit()
    return jsonify({"destinations": _destinations(candidate), **_loss(loss)})
