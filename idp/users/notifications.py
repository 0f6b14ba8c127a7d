"""Email a person about each security change of their account, in their language.

A notice says what changed, when, from which browser and address, and what to do if it
was not them. It is sent after the change is committed: a notice that cannot be
delivered is logged and never undoes the change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import render_template
from flask_babel import force_locale, format_datetime, gettext, lazy_gettext

from ..delivery import Delivery, Message
from ..delivery.addresses import mask_email, mask_phone
from ..domain.brand import Brand
from ..methods import METHOD_TYPES
from ..methods.device import device_name
from ..storage.models import User
from ..tenants.brand import brand_of

log = logging.getLogger(__name__)

# What each change is called, as the subject and first line of its notice. A method's own
# are declared on it (``SignInMethod.added_notice``, ``removed_notice``).
ADDED = {t.name: t.added_notice for t in METHOD_TYPES if t.added_notice is not None}
REMOVED = {
    **{t.name: t.removed_notice for t in METHOD_TYPES if t.removed_notice is not None},
    "consent": lazy_gettext("You removed an app's access to your details"),
}
CHANGED = {
    "password": lazy_gettext("Your password was changed"),
    "email": lazy_gettext("Your email address was changed"),
    "phone": lazy_gettext("Your phone number was changed"),
    "reset": lazy_gettext("Your password was reset"),
}
# Warnings about something happening to the account that the person did not do.
ALERTS = {
    "guessing": lazy_gettext("Someone is trying to log in to your account"),
}


# What an administrator did to help the person back in (``idp.users.enrol_allowance``).
HELP = {
    "enrol_allowed": lazy_gettext("Your administrator lets you set up a new sign-in method"),
    "enrol_withdrawn": lazy_gettext("You can no longer set up a new sign-in method at your "
                                    "next login"),
    "enrol_used": lazy_gettext("You set up a new sign-in method with your administrator's "
                               "help"),
}


_TITLES = {"added": ADDED, "removed": REMOVED, "changed": CHANGED, "alert": ALERTS,
           "help": HELP}


@dataclass(frozen=True)
class Origin:
    """Where a change was made: the time, the browser's user agent and its IP address."""

    at: float
    user_agent: str | None
    ip: str | None


@dataclass(frozen=True)
class Notice:
    """One change to tell a user about: its kind ("added", "removed", "changed", or "alert"
    for something done to the account by someone else), what it concerns (a method,
    password/email/phone, an app's consent, or "guessing") and an optional detail (a
    passkey's name, the new address, the app's name)."""

    kind: str
    subject: str
    detail: str | None = None

    def __post_init__(self) -> None:
        # Refused here, where the change is reported, not dropped later while sending.
        if self.subject not in _TITLES.get(self.kind, {}):
            raise ValueError(f"no notice text for {self.kind} {self.subject!r}")

    def title(self) -> str:
        return str(_TITLES[self.kind][self.subject])


def _when(at: float) -> str:
    return gettext("%(time)s (UTC)", time=format_datetime(datetime.fromtimestamp(at, UTC),
                                                          "medium"))


def _detail(notice: Notice) -> tuple[str, str] | None:
    if not notice.detail:
        return None
    if notice.kind == "changed" and notice.subject == "email":
        return gettext("New address"), mask_email(notice.detail)
    if notice.kind == "changed" and notice.subject == "phone":
        return gettext("New number"), mask_phone(notice.detail)
    if notice.subject == "consent":
        return gettext("App"), notice.detail
    if notice.subject == "enrol_allowed":
        return gettext("Until"), notice.detail
    if notice.subject == "enrol_used":
        return gettext("Method"), notice.detail
    return gettext("Name"), notice.detail


def _closing(notice: Notice, account_url: str) -> list[str]:
    """Return what the person can do about the notice."""
    if notice.kind == "changed" and notice.subject == "reset":
        return [
            gettext("A new password was chosen after proving it was you, and every session "
                    "and app sign-in of your account was ended."),
            gettext("If this was you, there is nothing more to do."),
            gettext("If this wasn't you, someone else can log in as you: ask your "
                    "administrator for help at once."),
        ]
    if notice.kind == "alert":
        return [
            gettext("Wrong passwords or codes were entered for your account many times, from "
                    "the address above. Logins from there must wait before they may try again; "
                    "your own browser is not held up."),
            gettext("If this was you, there is nothing more to do."),
            gettext("If it wasn't you, someone may be guessing, or may know your password. Log "
                    "in at %(url)s and change your password, or ask your administrator for "
                    "help.", url=account_url),
        ]
    if notice.kind == "help":
        return _help_closing(notice, account_url)
    return [
        gettext("If this was you, there is nothing more to do."),
        gettext("If this wasn't you, someone else may be able to log in as you. Log in at "
                "%(url)s, change your password and remove what you don't recognise, or "
                "ask your administrator for help.", url=account_url),
    ]


def _help_closing(notice: Notice, account_url: str) -> list[str]:
    if notice.subject == "enrol_allowed":
        return [
            gettext("At your next login, after your password, you are taken to set up a new "
                    "way to verify, such as an authenticator app or a passkey. This works "
                    "once, until the time above."),
            gettext("If you did not ask your administrator for help, someone may be trying "
                    "to take over your account: tell your administrator at once."),
        ]
    if notice.subject == "enrol_withdrawn":
        return [gettext("Your next login asks for the methods you have, as before. If you "
                        "still cannot log in, ask your administrator for help.")]
    return [
        gettext("You can see and remove your sign-in methods at %(url)s.", url=account_url),
        gettext("If this wasn't you, someone else may be able to log in as you: tell your "
                "administrator at once."),
    ]


def compose_notice(to: str, notice: Notice, origin: Origin, brand: Brand,
                   account_url: str) -> Message:
    """Return the email of a notice (in the current locale)."""
    title = notice.title()
    facts = [(gettext("When"), _when(origin.at)),
             (gettext("Browser"), device_name(origin.user_agent)),
             (gettext("IP address"), origin.ip or gettext("unknown"))]
    detail = _detail(notice)
    if detail:
        facts.insert(0, detail)
    values = {
        "heading": title,
        "lead": gettext("This happened in your %(directory)s account:",
                        directory=brand.name),
        "facts": facts,
        "closing": _closing(notice, account_url),
    }
    return Message(channel="email", to=to, subject=title, sender=brand.sender,
                   text=render_template("messages/notice_email.txt", **values),
                   html=render_template("messages/notice_email.html", **values))


def compose_code(to: str, code: str, minutes: int, brand: Brand) -> Message:
    """Return the email with a code that proves a new address belongs to its owner."""
    subject = gettext("%(code)s is your code to confirm this email address", code=code)
    values = {
        "heading": gettext("Confirm your email address"),
        "lead": gettext("Someone asked to use this address for an account of %(directory)s. "
                        "If that was you, enter this code on the page where you asked:",
                        directory=brand.name),
        "code": code,
        "facts": [],
        "closing": [
            gettext("It expires in %(minutes)s minutes and works once.", minutes=minutes),
            gettext("If it was not you, ignore this email: nothing changes without the code."),
        ],
    }
    return Message(channel="email", to=to, subject=subject, sender=brand.sender,
                   text=render_template("messages/notice_email.txt", **values),
                   html=render_template("messages/notice_email.html", **values))


def notify(delivery: Delivery | None, user: User, notice: Notice, origin: Origin, *,
           locale: str, account_url: str, also_to: str | None = None) -> int:
    """Email the notice to the user's address (and `also_to`); return how many were sent.

    Never raises for a failed delivery: the change it reports is already made.
    """
    recipients = [address for address in dict.fromkeys([user.email, also_to]) if address]
    if delivery is None or not delivery.can_send("email") or not recipients:
        return 0
    sent = 0
    with force_locale(locale):
        for address in recipients:
            try:
                delivery.send(compose_notice(address, notice, origin, brand_of(user.directory),
                                             account_url))
                sent += 1
            except Exception:  # a notice must never undo or fail the change it reports
                log.warning("notice %s/%s to user %s not sent", notice.kind, notice.subject,
                            user.id, exc_info=True)
    return sent


def reset_sms_text(brand: Brand, at: float) -> str:
    """Return the text message telling a person their password was reset (current locale)."""
    return gettext("%(directory)s: your password was reset on %(time)s and every session "
                   "ended. If this wasn't you, contact your administrator at once.",
                   directory=brand.sms_name, time=_when(at))


def notify_reset(delivery: Delivery | None, user: User, origin: Origin, *, locale: str,
                 account_url: str) -> int:
    """Tell the person at every address the account has that their password was reset: a
    notice by email, a short text to the phone number; return how many were sent. Never
    raises for a failed send."""
    notice = Notice("changed", "reset")
    sent = notify(delivery, user, notice, origin, locale=locale, account_url=account_url)
    if delivery is None or not user.phone or not delivery.can_send("sms"):
        return sent
    with force_locale(locale):
        brand = brand_of(user.directory)
        try:
            delivery.send(Message(channel="sms", to=user.phone, sender=brand.sender,
                                  text=reset_sms_text(brand, origin.at)))
            sent += 1
        except Exception:  # a notice must never undo or fail the change it reports
            log.warning("notice %s/%s by SMS to user %s not sent", notice.kind, notice.subject,
                        user.id, exc_info=True)
    return sent
