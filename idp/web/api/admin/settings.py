"""The admin API's authentication settings: read, preview and save (scope
``admin:settings``), with the settings page's own checks, preview and refusals."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify
from werkzeug.datastructures import MultiDict

from ....domain import METHODS, LevelSettings, SettingsPreview, reset_level
from ....storage.models import Client
from ....tenants.directories import level_settings
from ...admin.settings import (
    CONFIRM_FIELD,
    LEVEL_FIELD,
    confirmation_token,
    counts_for_field,
    points_field,
    preview_levels,
    read_form,
    save_levels,
    save_refusal,
    unreachable,
)
from . import ApiError, admin_api, operation, read_body


def _levels(settings: LevelSettings) -> dict[str, Any]:
    return {"required_level": settings.required_level,
            "points": {method: settings.points_of(method) for method in METHODS},
            "counts_for": dict(settings.counts_for)}


def _people(affected) -> list[dict[str, Any]]:
    return [{"id": a.member.id, "username": a.member.username} for a in affected]


def _candidate(body: dict[str, Any]) -> LevelSettings:
    """Read the level, points and times asked for (left out: as they are) with the page's
    checks."""
    current = level_settings(g.directory)
    points = body.get("points") or {}
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in points.values()):
        raise ApiError("invalid_request", "points maps methods to whole numbers.")
    counts_for = body.get("counts_for") or {}
    if not all(v is None or (isinstance(v, int) and not isinstance(v, bool))
               for v in counts_for.values()):
        raise ApiError("invalid_request", "counts_for maps methods to seconds or null.")
    unknown = [name for name in [*points, *counts_for] if name not in METHODS]
    if unknown:
        raise ApiError("invalid_request", f"Unknown method: {unknown[0][:30]!r}.")
    level = body.get("required_level")
    data = MultiDict({LEVEL_FIELD: str(current.required_level if level is None else level)})
    for method in METHODS:
        data[points_field(method)] = str(points.get(method, current.points_of(method)))
        seconds = counts_for.get(method, current.counts_for[method])
        data[counts_for_field(method)] = "" if seconds is None else f"{seconds}s"
    form = read_form(data)
    if form.errors or form.settings is None:
        raise ApiError("invalid_request", "; ".join(
            f"{name or 'settings'}: {text}" for name, text in form.errors.items()))
    return form.settings


def _preview_answer(preview: SettingsPreview) -> dict[str, Any]:
    return {"current": _levels(preview.current), "candidate": _levels(preview.candidate),
            "reachable": preview.reachable, "sms_only": preview.sms_only,
            "users": preview.users, "gaining": preview.gaining,
            "losing": _people(preview.losing), "can_enrol": _people(preview.can_enrol),
            "locked_out": _people(preview.locked_out),
            "still_short": _people(preview.still_short), "at_risk": _people(preview.at_risk),
            "sms_excluded": [{"id": m.id, "username": m.username}
                             for m in preview.sms_excluded],
            "confirmation": confirmation_token(preview) if preview.needs_confirmation else None,
            "refusal": unreachable(preview)}


LEVEL_FIELDS = {"required_level": (int, 0), "points": (dict, 0), "counts_for": (dict, 0)}


@admin_api.get("/settings")
@operation("admin:settings")
def read_settings(client: Client):
    """Return the required level, each method's points, and the reset level."""
    settings = level_settings(g.directory)
    return jsonify({**_levels(settings),
                    "reset_level": reset_level(settings, g.directory.reset_level)})


@admin_api.post("/settings/preview")
@operation("admin:settings")
def preview_settings(client: Client):
    """Say what saving these settings would do: who could no longer log in, and why not."""
    candidate = _candidate(read_body(LEVEL_FIELDS))
    return jsonify(_preview_answer(preview_levels(g.directory, candidate)))


@admin_api.put("/settings")
@operation("admin:settings")
def change_settings(client: Client):
    """Save new settings, with the page's refusals: a level nobody reaches is refused, and
    a level only SMS reaches needs ``confirm_sms_only`` (the preview's ``confirmation``,
    bound to the people it excludes)."""
    body = read_body({**LEVEL_FIELDS, CONFIRM_FIELD: (str, 64)})
    candidate = _candidate(body)
    if candidate == level_settings(g.directory):
        return jsonify(_levels(candidate))
    preview = preview_levels(g.directory, candidate)
    refusal = save_refusal(preview, body.get(CONFIRM_FIELD))
    if refusal is not None:
        if not preview.reachable:
            raise ApiError("unreachable_level", refusal, 400)
        raise ApiError("confirmation_required", refusal, 409)
    save_levels(g.directory, preview, client)
    return jsonify(_levels(candidate))


