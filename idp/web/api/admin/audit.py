"""The admin API's audit log: filters and pages as the admin's audit page has them (scope
``admin:audit``), with ``idp.admin.audit_log``."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from ....admin import audit_log
from ....storage.models import AuditEvent, Client
from . import ApiError, admin_api, operation, page_size


def _event(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "at": int(event.at), "event": event.event,
            "user_id": event.user_id, "client_id": event.client_id, "ip": event.ip,
            "user_agent": event.user_agent or None, "detail": event.detail or {}}


@admin_api.get("/audit")
@operation("admin:audit")
def read_audit_log(client: Client):
    """Return a page of the audit log, newest first, filtered as the admin's page filters."""
    try:
        query = audit_log.parse_query(request.args)
        page = audit_log.find_page(g.directory, query, page_size())
    except audit_log.FilterError as exc:
        raise ApiError("invalid_request", "; ".join(
            f"{name}: {text}" for name, text in exc.problems.items())) from exc
    except audit_log.CursorGone as exc:
        raise ApiError("invalid_request", "The page key names no event of this directory.") \
            from exc
    if page.unknown_user:
        raise ApiError("not_found", "There is no such user in this directory.", 404)
    return jsonify({"events": [_event(event) for event in page.events],
                    "newer_after": page.newer, "older_before": page.older})


