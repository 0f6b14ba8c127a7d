"""The admin's Policies page: a directory's password, failed-attempt, session, token,
remembered-device and self-registration policies, each with its default and what it means.

One form holds them all; only the values that differ from those in effect are checked
against their bounds (``idp.domain.policies``) and saved, and the change is audited with
the values before and after. Text message destinations have their own form on the
Authentication page; this page links to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from werkzeug.datastructures import MultiDict

from ...admin.policies import change_policies
from ...domain.lifetimes import AAL2_IDLE_MINUTES, AAL2_SESSION_HOURS
from ...domain.policies import (
    ACCESS_TOKEN_MINUTES,
    DEVICE_DAYS,
    FAILURE_CEILING,
    FAILURE_LIMIT,
    IDLE_MINUTES,
    LOCKOUT_MINUTES,
    LONGEST_LOCKOUT_HOURS,
    NIST_SINGLE_FACTOR_LENGTH,
    PASSWORD_COMMON_CHECK,
    PASSWORD_MIN_LENGTH,
    POLICIES,
    REFRESH_ABSOLUTE_DAYS,
    REFRESH_TOKEN_DAYS,
    SELF_REGISTRATION,
    SESSION_HOURS,
    Policies,
    Policy,
    Value,
)
from ...tenants.policies import default_policies, directory_policies
from ..account import account
from ..account.gate import signed_in_page

MAX_TYPED = 12  # characters of a typed value read and shown back
KNOWN_FIELDS = frozenset({"csrf_token", *(p.name for p in POLICIES)})

GROUPS = {
    "password": lazy_gettext("Passwords"),
    "attempts": lazy_gettext("Failed attempts"),
    "sessions": lazy_gettext("Sessions"),
    "tokens": lazy_gettext("Tokens for apps"),
    "devices": lazy_gettext("Remembered devices"),
    "registration": lazy_gettext("Self-registration"),
}
#: Each unit's amount in words, by the count to choose the plural by and the value shown.
AMOUNTS: dict[str, Callable[[int, str], str]] = {
    "characters": lambda n, text: ngettext("%(amount)s character", "%(amount)s characters",
                                           n, amount=text),
    "attempts": lambda n, text: ngettext("%(amount)s attempt", "%(amount)s attempts", n,
                                         amount=text),
    "minutes": lambda n, text: ngettext("%(amount)s minute", "%(amount)s minutes", n,
                                        amount=text),
    "hours": lambda n, text: ngettext("%(amount)s hour", "%(amount)s hours", n, amount=text),
    "days": lambda n, text: ngettext("%(amount)s day", "%(amount)s days", n, amount=text),
}
LABELS = {
    PASSWORD_MIN_LENGTH: lazy_gettext("Least password length (characters)"),
    PASSWORD_COMMON_CHECK: lazy_gettext("Refuse common and easily guessed passwords"),
    FAILURE_LIMIT: lazy_gettext("Failed attempts from one browser or address"),
    FAILURE_CEILING: lazy_gettext("Failed attempts from all unknown browsers and addresses"),
    LOCKOUT_MINUTES: lazy_gettext("First lock-out (minutes)"),
    LONGEST_LOCKOUT_HOURS: lazy_gettext("Longest lock-out (hours)"),
    SESSION_HOURS: lazy_gettext("Session lifetime (hours)"),
    IDLE_MINUTES: lazy_gettext("Idle timeout (minutes)"),
    ACCESS_TOKEN_MINUTES: lazy_gettext("Access token lifetime (minutes)"),
    REFRESH_TOKEN_DAYS: lazy_gettext("Refresh token lifetime when unused (days)"),
    REFRESH_ABSOLUTE_DAYS: lazy_gettext("Refresh token absolute lifetime (days)"),
    DEVICE_DAYS: lazy_gettext("Remembered device lifetime (days)"),
    SELF_REGISTRATION: lazy_gettext("Let people create their own account"),
}
MEANINGS = {
    PASSWORD_MIN_LENGTH: lazy_gettext(
        "A new password must have at least this many characters. NIST SP 800-63B asks at "
        "least 8, and %(single)s where the password is the only way to log in.",
        single=NIST_SINGLE_FACTOR_LENGTH),
    PASSWORD_COMMON_CHECK: lazy_gettext(
        "Refuse a new password that attackers try first: a common or leaked password, a word "
        "or name, a keyboard pattern, or one made of the person's own username, email "
        "address or name, or the directory's name."),
    FAILURE_LIMIT: lazy_gettext(
        "Wrong passwords, codes or passkeys for one account from one browser that logged in "
        "as that person before, or else from one address, before it must wait."),
    FAILURE_CEILING: lazy_gettext(
        "Wrong answers for one account from every browser and address that never logged in "
        "as that person, together, before all of them must wait. NIST SP 800-63B allows at "
        "most 100."),
    LOCKOUT_MINUTES: lazy_gettext(
        "How long the first wait lasts; failures this long ago are forgotten. Each further "
        "lock-out in a row doubles the wait."),
    LONGEST_LOCKOUT_HOURS: lazy_gettext("The doubling waits never last longer than this."),
    SESSION_HOURS: lazy_gettext(
        "A login lasts at most this long; then the person must log in again."),
    IDLE_MINUTES: lazy_gettext(
        "A login ends sooner when it goes unused this long."),
    ACCESS_TOKEN_MINUTES: lazy_gettext(
        "How long an app may use an access token (its expires_in); then it uses its refresh "
        "token."),
    REFRESH_TOKEN_DAYS: lazy_gettext(
        "A refresh token an app did not use this long expires. Every use replaces it with a "
        "new one."),
    REFRESH_ABSOLUTE_DAYS: lazy_gettext(
        "However often an app refreshes, the person must log in again this long after they "
        "approved it."),
    DEVICE_DAYS: lazy_gettext(
        "How long a browser a person chose to remember counts as a sign-in method."),
    SELF_REGISTRATION: lazy_gettext(
        "The login page offers \"Create an account\": anyone who proves an email address "
        "with a code sent to it chooses a password and gets an account, with that address "
        "as the username. Like everyone, they must then reach the required level, setting "
        "up a second way to verify if it asks for one."),
}


def amount(unit: str, value: Value) -> str:
    """Return a value with its unit, as people say it: "1 minute", "0.5 minutes" (a
    fraction, from an installation setting, takes the plural)."""
    whole = float(value).is_integer()
    return AMOUNTS[unit](int(value) if whole else 2, shown(value))


def shown(value: Value) -> str:
    """Return a value as the form shows it: whole numbers as such, fractions briefly."""
    if isinstance(value, bool):
        return "yes" if value else ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass
class PoliciesForm:
    """The policies as typed, what is wrong with them, and the values they make."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    candidate: dict[str, Value] = field(default_factory=dict)


def form_of(policies: Policies) -> PoliciesForm:
    """Return the form filled in with the policies in effect."""
    return PoliciesForm({p.name: shown(policies[p.name]) for p in POLICIES})


def _whole(text: str, policy: Policy) -> int | None:
    if not text or len(text) > 6 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if policy.low <= value <= policy.high else None


def read_form(data: MultiDict, current: Policies) -> PoliciesForm:
    """Check the posted policies field by field; a value as shown now is left as it is."""
    form = PoliciesForm({p.name: "".join(c for c in (data.get(p.name) or "")[:MAX_TYPED]
                                         if c.isprintable()) for p in POLICIES})
    if any(key not in KNOWN_FIELDS for key in data) or any(
            len(data.getlist(name)) > 1 for name in KNOWN_FIELDS):
        form.errors[""] = gettext("The form has fields this page does not know. "
                                  "Reload the page and try again.")
    for policy in POLICIES:
        if policy.is_switch:
            form.candidate[policy.name] = data.get(policy.name) == "yes"
            continue
        text = (data.get(policy.name) or "").strip()
        if text == shown(current[policy.name]):
            form.candidate[policy.name] = current[policy.name]
            continue
        value = _whole(text, policy)
        if value is None:
            form.errors[policy.name] = gettext(
                "Enter a whole number from %(low)s to %(high)s.", low=policy.low,
                high=policy.high)
        else:
            form.candidate[policy.name] = value
    return form


def save_policies(form: PoliciesForm) -> dict[str, Value]:
    """Store the changed policies and audit them; record refusals in the form's errors."""
    changes, errors = change_policies(g.directory, form.candidate, g.account_user)
    form.errors.update(errors)
    return changes


def _page(form: PoliciesForm, status: int = 200):
    current = directory_policies(g.directory)
    defaults = default_policies()
    error = None
    if form.errors:
        error = form.errors.get("") or gettext("Some values are not right. Check the marked "
                                               "fields.")
    return render_template(
        "admin/policies.html", directory=g.directory, user=g.account_user, form=form,
        error=error, policies=POLICIES, groups=GROUPS, labels=LABELS, meanings=MEANINGS,
        defaults={p.name: defaults[p.name] for p in POLICIES}, amount=amount,
        from_setting={p.name for p in POLICIES if p.setting}, shown=shown,
        beyond_aal2=not current.session_lifetimes.within_aal2,
        aal2=(AAL2_SESSION_HOURS, AAL2_IDLE_MINUTES)), status


@account.get("/admin/policies")
@signed_in_page(admin=True)
def admin_policies():
    """Show the directory's policies, each with its default and what it means."""
    return _page(form_of(directory_policies(g.directory)))


@account.post("/admin/policies")
@signed_in_page(admin=True, fresh=True, why="settings")
def admin_policies_save():
    """Save the policies that changed; refuse values out of bounds, field by field."""
    form = read_form(request.form, directory_policies(g.directory))
    if form.errors:
        return _page(form, 400)
    changes = save_policies(form)
    if form.errors:
        return _page(form, 400)
    if not changes:
        flash(gettext("Nothing changed: these are the current policies."))
    else:
        flash(gettext("The policies were saved. They hold at once, also for the sessions "
                      "open now; tokens and remembered devices get the new lifetimes when "
                      "they are next issued."))
    return redirect(url_for("account.admin_policies"), 303)
