"""Read a directory's audit log: filters, keyset pages, descriptions and CSV rows.

No Flask here. The admin page and the CSV export parse the query string with
``parse_query``, read with ``find_page`` or ``iter_events``, and translate the English
texts marked with ``N_`` (extracted by pybabel's default keywords): this module's, and the
families, events and detail labels of the vocabulary (``idp.audit.events``).

Pages are keyset pages, newest first, in (time, id) order: a page link names the event
it continues from (``before=<id>`` for older events, ``after=<id>`` for newer ones), so
the (directory, time), (directory, event, time) and (user, time) indexes serve the
thousandth page of millions of events as fast as the first; nothing is ever counted
or skipped with OFFSET.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select, true

from ..audit.events import DETAILS, EVENTS, FAMILIES, find_event
from ..i18n import N_
from ..storage import db
from ..storage.models import AuditEvent, Directory, User
from ..tenants.accounts import find_user

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
EXPORT_BATCH = 1_000
DAY = 86_400.0
MAX_VALUE = 254
MAX_DETAIL = 200
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CURSOR = re.compile(r"^[0-9]{1,18}$")


YES, NO = N_("yes"), N_("no")


class FilterError(ValueError):
    """The query string does not make a filter; `problems` maps each field to why."""

    def __init__(self, problems: Mapping[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = dict(problems)


@dataclass(frozen=True)
class AuditQuery:
    """What to show: the filter fields as typed, and where the page starts."""

    event: str = ""
    user: str = ""
    client_id: str = ""
    ip: str = ""
    start: date | None = None
    end: date | None = None
    before: int | None = None
    after: int | None = None

    def filter_args(self) -> dict[str, str]:
        """Return the filter as query arguments (no paging), leaving out empty fields."""
        values = {"event": self.event, "user": self.user, "client": self.client_id,
                  "ip": self.ip, "from": self.start.isoformat() if self.start else "",
                  "to": self.end.isoformat() if self.end else ""}
        return {key: value for key, value in values.items() if value}

    @property
    def filtered(self) -> bool:
        return bool(self.filter_args())


@dataclass
class EventPage:
    """One page of events, newest first, and where the neighbouring pages start."""

    events: list[AuditEvent] = field(default_factory=list)
    newer: int | None = None  # continue with after=<id>
    older: int | None = None  # continue with before=<id>
    unknown_user: bool = False


def _text(args: Mapping[str, str], name: str, problems: dict[str, str],
          limit: int = MAX_VALUE) -> str:
    value = (args.get(name) or "").strip()
    if len(value) > limit:
        problems[name] = N_("This value is too long.")
        return ""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        problems[name] = N_("This value contains characters that are not allowed.")
        return ""
    return value


def _event(value: str, problems: dict[str, str]) -> str:
    exact = value.removeprefix("=")
    if value and (not EVENT_NAME.match(exact) or len(exact) > 50
                  or exact.split(".")[0] not in FAMILIES):
        problems["event"] = N_("Choose an event from the list.")
        return ""
    return value


def _date(value: str, name: str, problems: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        if not ISO_DATE.match(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
        if not 1970 <= day.year <= 9999:
            raise ValueError(value)
        return day
    except ValueError:
        problems[name] = N_("Enter a date as YYYY-MM-DD, for example 2025-03-31.")
        return None


def _ip(value: str, problems: dict[str, str]) -> str:
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        problems["ip"] = N_("Enter an IP address, such as 192.0.2.10 or 2001:db8::1.")
        return ""


def _cursor(value: str, name: str, problems: dict[str, str]) -> int | None:
    if not value:
        return None
    if not CURSOR.match(value):
        problems[name] = N_("This page link is not valid. Start again from the newest events.")
        return None
    return int(value)


def parse_query(args: Mapping[str, str], *, paging: bool = True) -> AuditQuery:
    """Return the query a page or an export asks for, or raise FilterError."""
    problems: dict[str, str] = {}
    event = _event(_text(args, "event", problems, 60), problems)
    user = _text(args, "user", problems)
    client_id = _text(args, "client", problems, 100)
    ip = _ip(_text(args, "ip", problems, 64), problems)
    start = _date(_text(args, "from", problems, 10), "from", problems)
    end = _date(_text(args, "to", problems, 10), "to", problems)
    if start and end and start > end:
        problems["to"] = N_("The end date is before the start date.")
    before = after = None
    if paging:
        before = _cursor(args.get("before") or "", "before", problems)
        after = _cursor(args.get("after") or "", "after", problems)
        if before is not None and after is not None:
            problems["before"] = N_("This page link is not valid. Start again from the newest "
                                    "events.")
    if problems:
        raise FilterError(problems)
    return AuditQuery(event, user, client_id, ip, start, end, before, after)


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def in_family(name: str, family: str) -> bool:
    """Return whether an event name belongs to a family: the family itself or `family.*`."""
    return name == family or name.startswith(family + ".")


def event_condition(value: str, present: Iterable[str]):
    """Return the SQL condition of an event filter: `=name` or `a.b` exact, `a` its family.

    A family becomes the list of its names among `present` (the names the log holds):
    unlike a LIKE, an IN list can use the (directory, event, time) index in any collation.
    """
    if value.startswith("=") or "." in value:
        return AuditEvent.event == value.removeprefix("=")
    names = sorted({name for name in present if in_family(name, value)})
    return AuditEvent.event.in_(names) if names else false()


def event_names(directory: Directory, limit: int = 500) -> list[str]:
    """Return the distinct event names in a directory's log (at most `limit`).

    One index probe per name along (directory, event, time): a few dozen quick queries,
    where a DISTINCT would read every event.
    """
    names: list[str] = []
    while len(names) < limit:
        condition = AuditEvent.event > names[-1] if names else true()
        name = db.session.scalar(select(func.min(AuditEvent.event)).where(
            AuditEvent.directory_id == directory.id, condition))
        if name is None:
            break
        names.append(name)
    return names


def _selection(directory: Directory, query: AuditQuery) -> Select | None:
    """Return the filtered select of events, or None when it names no user of the directory."""
    statement = select(AuditEvent).where(AuditEvent.directory_id == directory.id)
    if query.user:
        user = find_user(directory, query.user)
        if user is None:
            return None
        statement = statement.where(AuditEvent.user_id == user.id)
    if query.event:
        family = not query.event.startswith("=") and "." not in query.event
        present = event_names(directory) if family else ()
        statement = statement.where(event_condition(query.event, present))
    if query.client_id:
        statement = statement.where(AuditEvent.client_id == query.client_id)
    if query.ip:
        statement = statement.where(AuditEvent.ip == query.ip)
    if query.start:
        statement = statement.where(AuditEvent.at >= _midnight(query.start))
    if query.end:
        statement = statement.where(AuditEvent.at < _midnight(query.end) + DAY)
    return statement


def _older_than(at: float, event_id: int):
    # The redundant `at <=` lets the database walk the time index from the cursor.
    return and_(AuditEvent.at <= at, or_(AuditEvent.at < at, AuditEvent.id < event_id))


def _newer_than(at: float, event_id: int):
    return and_(AuditEvent.at >= at, or_(AuditEvent.at > at, AuditEvent.id > event_id))


NEWEST_FIRST = (AuditEvent.at.desc(), AuditEvent.id.desc())
OLDEST_FIRST = (AuditEvent.at.asc(), AuditEvent.id.asc())


class CursorGone(LookupError):
    """A page link names an event this directory does not have (any more)."""


def _cursor_at(directory: Directory, event_id: int) -> float:
    at = db.session.scalar(select(AuditEvent.at).where(
        AuditEvent.id == event_id, AuditEvent.directory_id == directory.id))
    if at is None:
        raise CursorGone(event_id)
    return at


def _exists(statement: Select, condition, order) -> bool:
    # Ordered like the page, so the database walks the same index from the cursor.
    return db.session.scalar(statement.where(condition).with_only_columns(
        AuditEvent.id).order_by(*order).limit(1)) is not None


def find_page(directory: Directory, query: AuditQuery, size: int = PAGE_SIZE) -> EventPage:
    """Return one page of the directory's events matching the query, newest first.

    Raises CursorGone when `before`/`after` names an event this directory lacks.
    """
    statement = _selection(directory, query)
    if statement is None:
        return EventPage(unknown_user=True)
    if query.after is not None:
        at = _cursor_at(directory, query.after)
        rows = list(db.session.scalars(statement.where(_newer_than(at, query.after))
                                       .order_by(*OLDEST_FIRST).limit(size + 1)))
        events = list(reversed(rows[:size]))
        more_newer: bool | None = len(rows) > size
        more_older = None
    else:
        if query.before is not None:
            at = _cursor_at(directory, query.before)
            statement_page = statement.where(_older_than(at, query.before))
        else:
            statement_page = statement
        rows = list(db.session.scalars(statement_page.order_by(*NEWEST_FIRST).limit(size + 1)))
        events = rows[:size]
        more_older = len(rows) > size
        more_newer = None if query.before is not None else False
    if not events:
        return EventPage()
    first, last = events[0], events[-1]
    if more_newer is None:
        more_newer = _exists(statement, _newer_than(first.at, first.id), OLDEST_FIRST)
    if more_older is None:
        more_older = _exists(statement, _older_than(last.at, last.id), NEWEST_FIRST)
    return EventPage(events, first.id if more_newer else None, last.id if more_older else None)


def iter_events(directory: Directory, query: AuditQuery, limit: int = EXPORT_LIMIT,
                batch: int = EXPORT_BATCH) -> Iterator[AuditEvent]:
    """Yield the events matching the query (paging ignored), newest first, at most `limit`.

    Reads in keyset batches, so no database cursor stays open while the export is sent.
    """
    statement = _selection(directory, query)
    if statement is None:
        return
    sent, last = 0, None
    while sent < limit:
        size = min(batch, limit - sent)
        page = statement if last is None else statement.where(_older_than(last.at, last.id))
        rows = list(db.session.scalars(page.order_by(*NEWEST_FIRST).limit(size)))
        yield from rows
        sent += len(rows)
        if len(rows) < size:
            return
        last = rows[-1]


def user_names(directory: Directory, events: Iterable[AuditEvent]) -> dict[int, str]:
    """Return the usernames of the users the events are about or were done by."""
    ids: set[int] = set()
    for event in events:
        if event.user_id is not None:
            ids.add(event.user_id)
        actor = (event.detail or {}).get("actor")
        if isinstance(actor, int) and not isinstance(actor, bool):
            ids.add(actor)
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(
        User.directory_id == directory.id, User.id.in_(ids))).all())


def describe(event: str) -> tuple[str, dict[str, str]]:
    """Return what an event means for admins: an English message and its parameters.

    A stored name the vocabulary does not declare (any more) is shown by its name.
    """
    declared = find_event(event)
    if declared is not None:
        return declared.admin_text, {}
    return "%(event)s", {"event": event}


def family_of(event: str) -> str:
    """Return the family of an event name: the part before the first dot."""
    return event.split(".", 1)[0]


def event_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Return the filter's choices: per family its value, title, and its events' values."""
    choices = []
    for family in FAMILIES.values():
        events = [("=" + event.name if event.name == family.name else event.name,
                   event.admin_text) for event in EVENTS.values() if event.family is family]
        choices.append((family.name, family.title, events))
    return choices


def format_time(at: float) -> str:
    """Return a time in UTC ISO 8601, to the second (2025-03-31T14:05:09Z)."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(value: Any, translate: Callable[[str], str] = str) -> str:
    if isinstance(value, bool):
        text = translate(YES if value else NO)
    elif isinstance(value, list | tuple):
        text = ", ".join(_value(item, translate) for item in value)
    elif isinstance(value, dict):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    elif value is None:
        text = "—"
    else:
        text = str(value)
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL - 1] + "…"


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix or "value": value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, dict):
            flat.update(_flat(item, name))
        else:
            flat[name] = item
    return flat


def changes(before: Any, after: Any) -> str:
    """Return what a settings change changed: `key: old → new`, one per changed key."""
    old, new = _flat(before), _flat(after)
    parts = [f"{key}: {_value(old.get(key))} → {_value(new.get(key))}"
             for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
    return _value("; ".join(parts)) if parts else "—"


def summarise(detail: Mapping[str, Any] | None, names: Mapping[int, str],
              method_title: Callable[[str], str] = str,
              translate: Callable[[str], str] = str) -> list[tuple[str, str]]:
    """Return an event's detail for people: (label, value) pairs, declared details first.

    `names` maps user ids to usernames (for `actor`), `method_title` names a method, and
    `translate` turns this module's English labels into the reader's language.
    """
    detail = dict(detail or {})
    if "before" in detail or "after" in detail:
        detail["changes"] = changes(detail.pop("before", None), detail.pop("after", None))
    items: list[tuple[str, str]] = []
    for key in [*DETAILS, *sorted(str(k) for k in detail if k not in DETAILS)]:
        if key not in detail:
            continue
        value = detail[key]
        if key == "actor" and isinstance(value, int) and not isinstance(value, bool):
            text = names.get(value, f"#{value}")
        elif key == "method" and isinstance(value, str):
            text = method_title(value)
        elif key == "methods" and isinstance(value, list):
            text = _value([method_title(v) if isinstance(v, str) else v for v in value],
                          translate)
        else:
            text = _value(value, translate)
        label = translate(DETAILS[key].label) if key in DETAILS else key[:50]
        items.append((label, text))
    return items


# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

CSV_HEADER = ["id", "time", "event", "description", "user", "client_id", "ip", "user_agent",
              "details", "detail_json"]


def neutralise(cell: str) -> str:
    """Return a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def csv_line(cells: Iterable[Any]) -> str:
    """Return one CSV line (RFC 4180 quoting, CRLF), each cell neutralised."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([neutralise("" if c is None else str(c)) for c in cells])
    return buffer.getvalue()


def csv_cells(event: AuditEvent, description: str, user: str, details: str) -> list[Any]:
    """Return the cells of one event's CSV row, in the order of CSV_HEADER."""
    return [event.id, format_time(event.at), event.event, description, user,
            event.client_id or "", event.ip or "", event.user_agent or "", details,
            json.dumps(event.detail or {}, sort_keys=True, ensure_ascii=False, default=str)]
