"""The audit log page of a directory's admins: filter, page through, download as CSV.

The reading is ``idp.admin.audit_log``'s; this module parses, calls it, and puts its English
texts into the page's language. A filter that cannot be read is answered 400 with the
form and the reason, and the CSV export is streamed, at most ``EXPORT_LIMIT`` events.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Response, g, render_template, request, stream_with_context, url_for
from flask_babel import format_decimal, gettext

from ... import audit
from ...admin import audit_log as log
from ...clock import now
from ...config import current_settings
from ...services import services
from ...storage import db
from ...storage.models import AuditEvent
from ..account import account
from ..account.gate import current_user, signed_in_page
from ..context import client_ip

FIELDS = ("event", "user", "client", "ip", "from", "to")


@dataclass(frozen=True)
class Row:
    """One event as the page shows it."""

    id: int
    time: str
    event: str
    description: str
    user: str
    client_id: str
    ip: str
    user_agent: str
    details: list[tuple[str, str]]


@account.get("/admin/audit")
@signed_in_page(admin=True)
def admin_audit():
    """Show a page of the directory's events, newest first, that match the filter."""
    try:
        query = log.parse_query(request.args)
        page = log.find_page(g.directory, query)
    except log.FilterError as exc:
        return _page(_typed(request.args), problems=exc.problems), 400
    except log.CursorGone:
        return _page(_typed(request.args), problems={"before": log.N_(
            "This page of the log is not there any more. Start again from the newest "
            "events.")}), 400
    return _page(_typed(request.args), query=query, page=page)


@account.get("/admin/audit.csv")
@signed_in_page(admin=True)
def admin_audit_csv():
    """Send the events that match the filter as CSV, newest first (page links ignored)."""
    try:
        query = log.parse_query(request.args, paging=False)
    except log.FilterError as exc:
        return _page(_typed(request.args), problems=exc.problems), 400
    audit.record(g.directory.id, audit.events.ADMIN_AUDIT_EXPORTED, now(), ip=client_ip(),
                 user_agent=request.user_agent.string, actor=current_user().id,
                 filter=query.filter_args())
    db.session.commit()
    stamp = datetime.fromtimestamp(now(), UTC).strftime("%Y%m%d-%H%M%S")
    response = Response(stream_with_context(_csv(query)), mimetype="text/csv")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="audit-{g.directory.slug}-{stamp}.csv"'
    response.headers["X-Export-Limit"] = str(log.EXPORT_LIMIT)
    return response


def _typed(args: Mapping[str, str]) -> dict[str, str]:
    """Return the filter fields as typed, to show again (printable characters, cut short)."""
    return {name: "".join(c for c in (args.get(name) or "")[:log.MAX_VALUE] if c.isprintable())
            for name in FIELDS}


def _page(values: dict[str, str], *, query: log.AuditQuery | None = None,
          page: log.EventPage | None = None, problems: Mapping[str, str] | None = None):
    problems = {name: gettext(text) for name, text in (problems or {}).items()}
    context = {"values": values, "problems": problems, "choices": _choices(),
               "retention_days": current_settings().audit_retention_days,
               "export_limit": format_decimal(log.EXPORT_LIMIT)}
    if problems:
        paging = [problems.pop(name) for name in ("before", "after") if name in problems]
        context["error"] = paging[0] if paging else gettext(
            "Correct the marked fields of the filter.")
    if query is not None and page is not None:
        args = query.filter_args()
        context.update(
            page=page, rows=list(_rows(page.events)), filtered=query.filtered,
            paged=query.before is not None or query.after is not None,
            newer_url=page.newer and url_for("account.admin_audit", **args, after=page.newer),
            older_url=page.older and url_for("account.admin_audit", **args,
                                             before=page.older),
            first_url=url_for("account.admin_audit", **args),
            csv_url=url_for("account.admin_audit_csv", **args))
    return render_template("admin/audit.html", directory=g.directory, **context)


def _choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Return the event filter's options in the page's language, by family."""
    return [(family, gettext(label), [(value, gettext(text)) for value, text in events])
            for family, label, events in log.event_choices()]


def _method_title(name: str) -> str:
    method = services().methods.get(name)
    return str(method.title) if method is not None else name


def _rows(events: list[AuditEvent]) -> Iterator[Row]:
    names = log.user_names(g.directory, events)
    for event in events:
        yield _row(event, names)


def _row(event: AuditEvent, names: Mapping[int, str]) -> Row:
    message, params = log.describe(event.event)
    return Row(event.id, log.format_time(event.at), event.event, gettext(message, **params),
               names.get(event.user_id, "") if event.user_id is not None else "",
               event.client_id or "", event.ip or "", event.user_agent or "",
               log.summarise(event.detail, names, _method_title, gettext))


def _csv(query: log.AuditQuery) -> Iterator[str]:
    yield log.csv_line(log.CSV_HEADER)
    batch: list[AuditEvent] = []
    for event in log.iter_events(g.directory, query):
        batch.append(event)
        if len(batch) == log.EXPORT_BATCH:
            yield _csv_lines(batch)
            batch = []
    if batch:
        yield _csv_lines(batch)


def _csv_lines(events: list[AuditEvent]) -> str:
    names = log.user_names(g.directory, events)
    lines = []
    for event in events:
        row = _row(event, names)
        details = "; ".join(f"{label}: {value}" for label, value in row.details)
        lines.append(log.csv_line(log.csv_cells(event, row.description, row.user, details)))
    return "".join(lines)
