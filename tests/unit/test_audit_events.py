"""The vocabulary of audit events: every event recorded is declared once, with its texts.

The provider's source is read (nothing is run): each ``audit.record(...)`` and each call
of a ``record(...)`` wrapper must pass a declaration of ``idp.audit.events``, never a
name, and every detail it records must be declared, with its label, by that event.
``audit.record`` itself refuses anything that is not declared.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from idp import audit
from idp.admin.audit_log import EVENT_NAME
from idp.audit import events

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for p in (ROOT / "idp").rglob("*.py") if "migrations" not in p.parts)
#: The keywords of audit.record that are columns, not details.
COLUMNS = {"user_id", "client_id", "ip", "user_agent"}

#: Every event name the log held before the vocabulary: stored in databases, never renamed.
STORED_NAMES = {
    "login", "login.failed", "login.denied", "method.completed", "method.failed",
    "method.enrolled", "method.removed", "method.renamed", "method.prepared",
    "challenge.sent", "account.locked", "app.activated", "app.approved", "app.denied",
    "app.refused", "app.removed", "app.blocked", "passkey.clone_warning",
    "recovery_codes.issued", "device.remembered", "device.revoked", "session.ended",
    "logout", "code.replayed", "refresh_token.reused", "tokens.revoked",
    "invitation.accepted", "consent.withdrawn", "profile.name_changed",
    "profile.email_changed", "profile.phone_changed", "profile.password_changed",
    "settings.changed", "admin.user_created", "admin.invitation_sent", "admin.user_updated",
    "admin.user_disabled", "admin.user_enabled", "admin.method_removed",
    "admin.sessions_ended", "admin.client_created", "admin.client_updated",
    "admin.client_secret_rotated", "admin.client_disabled", "admin.client_enabled",
    "admin.audit_exported",
}
#: The events a person saw on their profile before the vocabulary (and every admin action
#: about them).
SHOWN_BEFORE = {
    "login", "logout", "login.denied", "method.enrolled", "method.removed", "method.renamed",
    "method.failed", "recovery_codes.issued", "device.remembered", "device.revoked",
    "session.ended", "profile.name_changed", "profile.email_changed", "profile.phone_changed",
    "profile.password_changed", "passkey.clone_warning", "app.activated", "app.removed",
    "app.approved", "app.denied", "app.refused", "consent.withdrawn", "admin.user_created",
    "admin.invitation_sent", "admin.user_updated", "admin.user_disabled",
    "admin.user_enabled", "admin.method_removed", "admin.sessions_ended", "admin.user_unlocked",
    "profile.claims_changed", "registration.completed", "password_reset.completed",
    "admin.reset_link_sent", "login.disabled",
    # An admin's help for lost methods: granted, withdrawn, spent by the person.
    "admin.enrol_allowed", "admin.enrol_withdrawn", "method.enrolled_with_help",
    # A device's sign-in (RFC 8628) the person denied, or could not reach the level of.
    "login.device_denied",
}


# --- Reading the source ----------------------------------------------------------------------

@dataclass
class Findings:
    """What the source records: the declared events it passes, and what is wrong."""

    recorded: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def dotted(node: ast.AST) -> str:
    """Return `a.b.c` for a chain of attributes on a name, or ''."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def declaration(path: str) -> object:
    """Return what `audit.events.X` (or `events.X`) names in the vocabulary, or None."""
    parts = path.split(".")
    if len(parts) < 2 or parts[-2] != "events" or parts[0] not in ("audit", "events"):
        return None
    return getattr(events, parts[-1], None)


def is_declared(value: object) -> bool:
    return isinstance(value, events.Event) and events.EVENTS.get(value.name) is value


def parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def enclosing(node: ast.AST, up: dict[ast.AST, ast.AST]) -> ast.AST:
    """Return the function around a node, or the module."""
    while node in up:
        node = up[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node
    return node


def parameter(scope: ast.AST, name: str) -> ast.arg | None:
    if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    every = [*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs,
             *(a for a in (scope.args.vararg, scope.args.kwarg) if a is not None)]
    return next((a for a in every if a.arg == name), None)


def events_of(node: ast.AST, scope: ast.AST) -> list[events.Event] | None:
    """Return the declared events an expression can be, [] for a wrapper's parameter,
    or None when it is anything else (a name, an f-string, an unknown constant)."""
    if isinstance(node, ast.IfExp):
        body, orelse = events_of(node.body, scope), events_of(node.orelse, scope)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.Subscript):  # a mapping of declared events, such as APP_ANSWERS
        mapping = declaration(dotted(node.value))
        if isinstance(mapping, dict) and mapping and all(map(is_declared, mapping.values())):
            return list(mapping.values())
        return None
    if isinstance(node, ast.Name):
        argument = parameter(scope, node.id)
        if argument is not None:  # a wrapper passing its caller's event on
            annotation = ast.unparse(argument.annotation) if argument.annotation else ""
            return [] if annotation.split(".")[-1] == "Event" else None
        values = [a.value for a in ast.walk(scope) if isinstance(a, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)]
        found = [events_of(value, scope) for value in values]
        if not found or any(f is None for f in found):
            return None
        return [event for f in found for event in f or ()]
    value = declaration(dotted(node))
    return [value] if is_declared(value) else None


def dict_keys(node: ast.AST) -> set[str]:
    """Return the constant keys of the dict literals an expression can be."""
    return {k.value for item in ast.walk(node) if isinstance(item, ast.Dict)
            for k in item.keys if isinstance(k, ast.Constant)}


def detail_keys(node: ast.Call, scope: ast.AST) -> set[str] | None:
    """Return the detail keys a call records (None: passed on from a wrapper's caller).

    A spread dict (``**detail``) counts the keys of the dict literals assigned to it and
    of the items set on it (``detail["login"] = ...``) in the same function.
    """
    keys = {k.arg for k in node.keywords if k.arg is not None} - COLUMNS
    for spread in (k.value for k in node.keywords if k.arg is None):
        if not isinstance(spread, ast.Name):
            keys |= dict_keys(spread)
            continue
        if parameter(scope, spread.id) is not None:
            return None
        for assign in (a for a in ast.walk(scope) if isinstance(a, ast.Assign)):
            for target in assign.targets:
                if isinstance(target, ast.Name) and target.id == spread.id:
                    keys |= dict_keys(assign.value)
                elif isinstance(target, ast.Subscript) and dotted(target.value) == spread.id \
                        and isinstance(target.slice, ast.Constant):
                    keys.add(target.slice.value)
    return keys


def read(paths: Iterable[Path], root: Path = ROOT) -> Findings:
    """Return the events the sources record, and every call that records anything else."""
    found = Findings()
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        up = parents(tree)
        where = str(path.relative_to(root))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = dotted(node.func)
            if name.split(".")[-2:] == ["audit", "record"]:
                argument = node.args[1] if len(node.args) > 1 else None
            elif name == "record":
                argument = node.args[0] if node.args else None
            else:
                continue
            scope = enclosing(node, up)
            declared = events_of(argument, scope) if argument is not None else None
            if declared is None:
                shown = ast.unparse(argument) if argument is not None else "nothing"
                found.problems.append(f"{where}:{node.lineno} records {shown}")
                continue
            found.recorded.update(event.name for event in declared)
            keys = detail_keys(node, scope)
            for event in declared:
                for key in sorted(k for k in keys or () if not event.declares(k)):
                    found.problems.append(
                        f"{where}:{node.lineno} {event.name} records an undeclared detail {key}")
    return found


# --- Every event recorded is declared, and every declaration is used -----------------------

def test_every_event_the_provider_records_is_a_declared_event():
    found = read(SOURCES)
    assert found.problems == []
    assert {"login", "login.failed", "method.completed", "account.locked",
            "profile.phone_changed", "app.refused", "admin.client_enabled"} <= found.recorded


def test_every_declared_event_is_recorded_somewhere():
    assert sorted(set(events.EVENTS) - read(SOURCES).recorded) == []


def test_the_check_finds_names_typos_and_undeclared_details(tmp_path):
    path = tmp_path / "sample.py"
    path.write_text(
        'audit.record(1, "login", now)\n'
        'record(f"profile.{name}_changed")\n'
        'audit.record(1, audit.events.LOGN, now)\n'
        'audit.record(1, audit.events.LOGIN, now, ip="x", colour="red")\n'
        'audit.record(1, audit.events.APP_ANSWERS[status], now, device="d")\n'
        'record(audit.events.SESSION_ENDED, others=True, **({"count": 1} if n else {}))\n'
        'def wrapper(event: audit.Event, **detail):\n'
        '    audit.record(1, event, now, **detail)\n'
        'def chooser(on):\n'
        '    event = audit.events.ADMIN_CLIENT_ENABLED if on else "admin.client_disabled"\n'
        '    audit.record(1, event, now)\n')

    found = read([path], root=tmp_path)

    assert found.problems == [
        "sample.py:1 records 'login'", "sample.py:2 records f'profile.{name}_changed'",
        "sample.py:3 records audit.events.LOGN",
        "sample.py:4 login records an undeclared detail colour",
        "sample.py:11 records event"], found.problems
    assert found.recorded == {"login", "app.approved", "app.denied", "app.refused",
                              "session.ended"}


# --- The declarations ------------------------------------------------------------------------

def test_every_stored_name_is_still_declared_as_it_was():
    assert sorted(STORED_NAMES - set(events.EVENTS)) == []


@pytest.mark.parametrize("event", events.EVENTS.values(), ids=lambda e: e.name)
def test_an_event_is_named_as_stored_in_its_family_and_by_its_constant(event):
    assert EVENT_NAME.match(event.name) and len(event.name) <= 50
    assert event.family is events.FAMILIES[event.name.split(".")[0]]
    assert getattr(events, event.name.upper().replace(".", "_")) is event
    assert event.admin_text


@pytest.mark.parametrize("event", [e for e in events.EVENTS.values() if e.shown],
                         ids=lambda e: e.name)
def test_a_persons_text_names_only_the_parameters_the_profile_fills(event):
    texts = [event.user_text, *(event.user_text_if[1:] if event.user_text_if else ())]
    for text in texts:
        assert set(re.findall(r"%\((\w+)\)s", text)) <= set(events.USER_PARAMETERS), text
        assert "%" not in re.sub(r"%\(\w+\)s", "", text), text


def test_a_person_sees_what_they_saw_before():
    assert set(events.shown_names()) == SHOWN_BEFORE


def test_the_profile_says_which_sessions_ended():
    assert events.SESSION_ENDED.user_text_for({"session": 3}) == "A session was ended"
    assert events.SESSION_ENDED.user_text_for({"others": True, "count": 2}) == \
        "Other sessions ended: %(count)s"
    assert events.CHALLENGE_SENT.user_text_for({}) is None


def test_every_detail_is_declared_once_with_a_label():
    every = [d for e in events.EVENTS.values() for d in e.details]
    assert all(events.DETAILS[d.key] is d for d in every)
    assert all(d.label for d in events.DETAILS.values())


def test_an_event_is_declared_only_once():
    with pytest.raises(ValueError, match="declared twice"):
        events.declare("login", "Logged in")
    assert events.EVENTS["login"] is events.LOGIN


# --- Recording only what is declared -----------------------------------------------------------

@pytest.mark.parametrize("event", [
    "login",  # a declared name, but not its declaration
    "login.faild",
    None,
    replace(events.LOGIN),  # equal to the declaration, yet declared nowhere
    events.Event("login.sso", events.FAMILIES["login"], "Logged in elsewhere"),
    events.METHOD,  # a detail, not an event
], ids=["name", "typo", "none", "copy", "undeclared", "detail"])
def test_recording_an_undeclared_event_fails_before_anything_is_stored(event):
    # No app and no database: refused before the session is touched.
    with pytest.raises(audit.UndeclaredEvent):
        audit.record(1, event, 0.0, user_id=1)


def test_the_events_the_admins_user_page_reads_are_declared():
    from idp.admin.users import LOGIN_EVENTS

    assert sorted(set(LOGIN_EVENTS) - set(events.EVENTS)) == []
