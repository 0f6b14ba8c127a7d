"""Authentication settings of a directory: the required level, the points, the lock-out preview.

Nothing is saved without the server computing the preview again: a level no
combination of enabled methods reaches is refused, and a level only SMS reaches needs
a confirmation bound to the very people it would exclude. How long sessions last is one
of the directory's policies (``idp.web.admin.policies``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from werkzeug.datastructures import MultiDict

from ... import audit
from ...admin.census import many_objects, take_census
from ...admin.destinations import describe, preview_sms_policy, save_sms_policy, saved_notice
from ...clock import now
from ...delivery.addresses import TYPE_LABELS
from ...domain import (
    MAX_LEVEL,
    MAX_POINTS,
    METHOD_INFO,
    METHODS,
    NUMBER_TYPES,
    InvalidSettings,
    LevelSettings,
    SettingsPreview,
    check_reset_level,
    enrol_counts,
    format_duration,
    parse_duration,
    preview_settings,
    reaching_combinations,
    reset_level,
    reset_settings,
)
from ...methods import enrollable_now
from ...services import services
from ...storage import db
from ...storage.models import Client, Directory, User
from ...tenants.directories import level_settings, sms_policy, update_levels
from ..account import account
from ..account.gate import signed_in_page
from ..context import client_ip
from .destinations import ACTIONS as SMS_ACTIONS
from .destinations import SmsForm, read_sms_form, sms_form

LEVEL_FIELD = "required_level"
RESET_FIELD = "reset_level"
CONFIRM_FIELD = "confirm_sms_only"
ACTIONS = ("preview", "save")
SHOWN_NAMES = 50  # names listed per group; the rest are counted
MAX_TYPED = 12  # characters of a typed value shown back in its field


def points_field(method: str) -> str:
    """Return the form field of a method's points."""
    return f"points_{method}"


def counts_for_field(method: str) -> str:
    """Return the form field of how long a method counts (``12h``; empty: the session)."""
    return f"counts_for_{method}"


KNOWN_FIELDS = frozenset({"csrf_token", "action", LEVEL_FIELD, CONFIRM_FIELD, RESET_FIELD,
                          *(points_field(m) for m in METHODS),
                          *(counts_for_field(m) for m in METHODS)})


@dataclass
class SettingsForm:
    """What was typed, what is wrong with it, and the settings it makes when nothing is."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    settings: LevelSettings | None = None
    # The reset level typed (None: the required level); `reset_given`: the form had the field
    # (the admin API's settings leave it as it is).
    reset_level: int | None = None
    reset_given: bool = False


def form_of(settings: LevelSettings, reset_level: int | None = None) -> SettingsForm:
    """Return the form filled in with `settings` and the stored reset level."""
    values = {LEVEL_FIELD: str(settings.required_level),
              RESET_FIELD: "" if reset_level is None else str(reset_level)}
    values.update({points_field(m): str(settings.points_of(m)) for m in METHODS})
    values.update({counts_for_field(m): format_duration(settings.counts_for[m])
                   for m in METHODS})
    return SettingsForm(values, settings=settings, reset_level=reset_level, reset_given=True)


def _read_reset(form: SettingsForm, data: MultiDict) -> None:
    """Check the reset level against the settings read (empty: the required level)."""
    typed = (data.get(RESET_FIELD) or "").strip()
    form.values[RESET_FIELD] = _shown(typed)
    form.reset_given = RESET_FIELD in data
    if not typed:
        return
    form.reset_level = _whole(typed, 1, MAX_LEVEL)
    if form.reset_level is None:
        form.errors[RESET_FIELD] = gettext(
            "Enter the reset level as a whole number from 1 to %(max)s, or leave it empty "
            "to use the required level.", max=MAX_LEVEL)
    elif form.settings is not None:
        try:
            check_reset_level(form.settings, form.reset_level)
        except InvalidSettings:
            form.errors[RESET_FIELD] = gettext(
                "The reset level must be at least the required level, and methods other "
                "than the password must reach it together (at most %(most)s now).",
                most=reset_settings(form.settings).level_of(form.settings.enabled_methods()))


def _whole(text: str | None, low: int, high: int) -> int | None:
    text = (text or "").strip()
    if not text or len(text) > 6 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def _shown(text: str | None) -> str:
    """Return a typed value as it may be shown back: short, printable characters only."""
    return "".join(c for c in (text or "")[:MAX_TYPED] if c.isprintable())


def read_form(data: MultiDict) -> SettingsForm:
    """Check the posted settings field by field; build LevelSettings when all are right."""
    wanted = [LEVEL_FIELD, *(points_field(m) for m in METHODS),
              *(counts_for_field(m) for m in METHODS)]
    form = SettingsForm({name: _shown(data.get(name)) for name in wanted})
    if any(key not in KNOWN_FIELDS for key in data):
        form.errors[""] = gettext("The form has fields this page does not know. "
                                  "Reload the page and try again.")
    for name in KNOWN_FIELDS - {"csrf_token"}:
        if len(data.getlist(name)) > 1:
            form.errors[name if name in form.values else ""] = gettext(
                "A value was given more than once. Reload the page and try again.")
    level = _whole(data.get(LEVEL_FIELD), 1, MAX_LEVEL)
    if level is None:
        form.errors.setdefault(LEVEL_FIELD, gettext(
            "Enter the required level as a whole number from 1 to %(max)s.", max=MAX_LEVEL))
    points = {}
    for method in METHODS:
        value = _whole(data.get(points_field(method)), 0, MAX_POINTS)
        if value is None:
            form.errors.setdefault(points_field(method), gettext(
                "Enter the points as a whole number from 0 to %(max)s.", max=MAX_POINTS))
        points[method] = value
    counts_for: dict[str, int | None] = {}
    for method in METHODS:
        try:
            counts_for[method] = parse_duration(data.get(counts_for_field(method)) or "")
        except InvalidSettings:
            form.errors.setdefault(counts_for_field(method), gettext(
                "Enter how long it counts as a whole number and m, h or d (90m, 12h, 30d), "
                "from a minute to 365 days; or leave it empty for the whole session."))
    if not form.errors and level is not None:
        try:
            form.settings = LevelSettings.from_mapping(level, points, counts_for)
        except InvalidSettings:
            form.errors[""] = gettext("These settings are not valid.")
    _read_reset(form, data)
    if form.errors.get(RESET_FIELD):
        form.settings = None
    return form


def confirmation_token(preview: SettingsPreview) -> str:
    """Return what the SMS-only confirmation box carries: these settings, these people."""
    candidate = preview.candidate
    data = json.dumps([candidate.required_level, [candidate.points_of(m) for m in METHODS],
                       [m.id for m in preview.sms_excluded]])
    return hashlib.sha256(data.encode()).hexdigest()[:32]


def unreachable(preview: SettingsPreview) -> str | None:
    """Return why the candidate level can never be reached, or None when it can."""
    if preview.reachable:
        return None
    return gettext("No combination of the enabled methods reaches level %(level)s, so "
                   "nobody could log in. Lower the level or give the methods more points.",
                   level=preview.candidate.required_level)


def save_refusal(preview: SettingsPreview, confirmation: str | None) -> str | None:
    """Return why these settings may not be saved now, or None."""
    if not preview.reachable:
        return unreachable(preview)
    if preview.needs_confirmation:
        if not confirmation:
            return ngettext(
                "Only a text message code reaches this level. Confirm below that you accept "
                "that the %(num)d person listed cannot log in without a mobile number.",
                "Only a text message code reaches this level. Confirm below that you accept "
                "that the %(num)d people listed cannot log in without a mobile number.",
                len(preview.sms_excluded))
        if not hmac.compare_digest(confirmation.encode()[:64],
                                   confirmation_token(preview).encode()):
            return gettext("The people this would exclude have changed since you checked. "
                           "Check the list again and confirm.")
    return None


def save_levels(directory: Directory, preview: SettingsPreview, actor: User | Client,
                form: SettingsForm | None = None) -> None:
    """Store the candidate settings (and the form's reset level, when it has the field) and
    audit the change (before, after, who, whom it cost); the actor is an admin or a service
    account (the admin API)."""
    before, after = preview.current, preview.candidate
    was = {"required_level": before.required_level, "points": dict(before.points)}
    now_is = {"required_level": after.required_level, "points": dict(after.points)}
    if before.counts_for != after.counts_for:
        was["counts_for"], now_is["counts_for"] = dict(before.counts_for), dict(after.counts_for)
    update_levels(directory, after.required_level, dict(after.points), dict(after.counts_for))
    if form is not None and form.reset_given and form.reset_level != directory.reset_level:
        was["reset_level"], now_is["reset_level"] = directory.reset_level, form.reset_level
        directory.reset_level = form.reset_level
    audit.record(directory.id, audit.events.SETTINGS_CHANGED, now(), ip=client_ip(),
                 user_agent=request.user_agent.string, **audit.actor_of(actor),
                 before=was, after=now_is,
                 users_losing=len(preview.losing), users_locked_out=len(preview.locked_out),
                 sms_only=preview.sms_only, sms_excluded=len(preview.sms_excluded))
    db.session.commit()


def preview_levels(directory: Directory, settings: LevelSettings) -> SettingsPreview:
    """Return what saving `settings` would do to the directory's users (the census)."""
    methods = services().methods
    members = take_census(directory, methods)
    with many_objects():
        return preview_settings(level_settings(directory), settings, members,
                                enrollable_now(methods))


def _page(form: SettingsForm, status: int = 200, preview: SettingsPreview | None = None,
          error: str | None = None, sms: SmsForm | None = None):
    current = level_settings(g.directory)
    sms = sms or sms_form(sms_policy(g.directory))
    if error is None and form.errors:
        error = form.errors.get("") or gettext("Some values are not right. Check the "
                                               "marked fields.")
    methods = services().methods
    return render_template(
        "admin/settings.html", directory=g.directory, user=g.account_user, form=form,
        error=error, preview=preview, current=current,
        current_combinations=reaching_combinations(current, remembered=True),
        titles={m: (methods[m].title if m in methods else m) for m in METHODS},
        method_info=METHOD_INFO, methods=METHODS, max_level=MAX_LEVEL, max_points=MAX_POINTS,
        shown=SHOWN_NAMES, confirm_field=CONFIRM_FIELD, points_field=points_field,
        counts_for_field=counts_for_field, format_duration=format_duration,
        confirmation=confirmation_token(preview) if preview and preview.sms_only else None,
        enrol_counts=enrol_counts, level_field=LEVEL_FIELD, reset_field=RESET_FIELD,
        current_reset=reset_level(current, g.directory.reset_level),
        you_lose=preview is not None and any(
            a.member.id == g.account_user.id for a in preview.losing),
        sms=sms, number_types=NUMBER_TYPES, type_labels=TYPE_LABELS), status


@account.route("/admin/settings", methods=["GET", "POST"])
@signed_in_page(admin=True, fresh=True, why="settings")
def admin_settings():
    """Show the settings; preview candidate settings; save them when nobody is let down."""
    if request.method == "GET":
        return _page(form_of(level_settings(g.directory), g.directory.reset_level))
    form = read_form(request.form)
    action = request.form.get("action") or "preview"
    if action not in ACTIONS:
        form.errors[""] = gettext("Choose Preview or Save.")
    if form.errors or form.settings is None:
        return _page(form, 400)
    if action == "save" and form.settings == level_settings(g.directory) \
            and form.reset_level == g.directory.reset_level:
        flash(gettext("Nothing changed: these are the current settings."))
        return redirect(url_for("account.admin_settings"), 303)
    preview = preview_levels(g.directory, form.settings)
    if action == "preview":
        return _page(form, preview=preview, error=unreachable(preview))
    refusal = save_refusal(preview, request.form.get(CONFIRM_FIELD))
    if refusal is not None:
        return _page(form, 400, preview, refusal)
    save_levels(g.directory, preview, g.account_user, form)
    flash(_saved_notice(preview))
    return redirect(url_for("account.admin_settings"), 303)


@account.post("/admin/settings/sms")
@signed_in_page(admin=True, fresh=True)
def admin_sms_destinations():
    """Preview, save or reset where the directory sends SMS codes."""
    action = request.form.get("action") or "preview"
    sms, candidate = read_sms_form()
    if action not in SMS_ACTIONS:
        sms.errors[""] = gettext("Choose one of the buttons.")
    if sms.errors or candidate is None:
        return _page(form_of(level_settings(g.directory), g.directory.reset_level), 400, sms=sms)
    if candidate == sms_policy(g.directory) and action != "preview":
        flash(gettext("Nothing changed: this is the current policy."))
        return redirect(url_for("account.admin_settings", _anchor="sms"), 303)
    methods = services().methods
    loss = preview_sms_policy(g.directory, candidate, methods)
    if action == "preview":
        sms.loss, sms.said = loss, describe(candidate)
        return _page(form_of(level_settings(g.directory), g.directory.reset_level), sms=sms)
    save_sms_policy(g.directory, candidate, loss, actor=g.account_user, ip=client_ip(),
                    user_agent=request.user_agent.string, now=now())
    db.session.commit()
    flash(saved_notice(loss))
    return redirect(url_for("account.admin_settings", _anchor="sms"), 303)


def _saved_notice(preview: SettingsPreview) -> str:
    notice = gettext("The authentication settings were saved. A login now needs "
                     "%(level)s points.", level=preview.candidate.required_level)
    if preview.losing:
        notice += " " + ngettext(
            "%(num)d user can no longer reach it with the methods they have enrolled.",
            "%(num)d users can no longer reach it with the methods they have enrolled.",
            len(preview.losing))
    return notice


@account.get("/admin/")
@signed_in_page(admin=True)
def admin_home():
    """Open the first admin page."""
    return redirect(url_for("account.admin_settings"))
