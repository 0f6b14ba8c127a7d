"""Personal information: the name and the standard claims the directory asks for, and the
email address or phone number proven by a code.

A new address or number gets a code first; the old one stays until that code is entered
in this browser. The code service's waits and hourly limits apply, another user's
address or number is refused, and the person is told by email (at the old address too).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext, lazy_gettext

from ... import audit
from ...clock import now
from ...delivery import DeliveryFailed, Message
from ...delivery.addresses import ContactError, check_email, mask_email, mask_phone, parse_mobile
from ...delivery.messages import code_sms
from ...domain import CodeRefusal
from ...domain.claims import ClaimsRefused
from ...methods.one_time_codes import CodeRefused, CodeService, DestinationRefused
from ...services import services
from ...storage import db
from ...tenants.asked_claims import asked_claims
from ...tenants.brand import brand_of
from ...tenants.directories import sms_policy
from ...users.claims import save_claims, stored_claims
from ...users.notifications import compose_code
from ...users.profile import (
    ContactChange,
    ProfileError,
    apply_contact,
    change_name,
    check_new_contact,
)
from ..attempts import account_of, attempt_on
from ..claims_form import field_errors, form_fields, form_values, typed_claims
from . import account
from .gate import current_user, signed_in_page
from .profile_common import (
    field,
    limited,
    method_context,
    proof_turns_on,
    reason_text,
    record,
    render,
    send_notice,
    text_field,
)

#: The purpose of the codes that prove a new address or number (``one_time_code.purpose``).
PURPOSE = "change"


def _details_page(status: int = 200, error: str | None = None,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None):
    asked = asked_claims(g.directory)
    return render("account/profile_details.html", status, error=error, errors=errors or {},
                  fields=form_fields(asked),
                  values=form_values(stored_claims(current_user())) if values is None
                  else values)


@account.get("/account/details")
@signed_in_page()
def profile_details():
    """Show the personal information with its forms."""
    return _details_page()


@account.post("/account/details")
@signed_in_page()
def profile_details_save():
    """Save the name and the asked claims (no code needed)."""
    user = current_user()
    names, typed = typed_claims(asked_claims(g.directory))
    try:
        before = change_name(user, text_field("name", 200), now())
        changed = save_claims(user, typed, names, now())
    except ProfileError as exc:
        return _details_page(400, reason_text(exc), values=typed)
    except ClaimsRefused as exc:
        db.session.rollback()
        return _details_page(400, gettext("Some details cannot be saved. Check the fields "
                                          "marked below."), field_errors(exc), typed)
    if before != user.name:
        record(audit.events.PROFILE_NAME_CHANGED)
    if changed:
        record(audit.events.PROFILE_CLAIMS_CHANGED, fields=changed)
    db.session.commit()
    flash(gettext("Your details were saved.") if changed else gettext("Your name was saved."))
    return redirect(url_for("account.profile"))


@dataclass(frozen=True)
class Contact:
    """A kind of contact: its name (in URLs, audit events and notices) and its code channel."""

    name: str
    channel: str

    def parse(self, typed: str) -> str:
        """Return the typed address or number, checked; raise ContactError."""
        if self.name == "email":
            return check_email(typed)
        return parse_mobile(typed, sms_policy(g.directory))

    def mask(self, value: str) -> str:
        return mask_email(value) if self.name == "email" else mask_phone(value)

    def message(self, to: str, code: str, codes: CodeService) -> Message:
        """Return the message that carries a code to the new address or number."""
        if self.name == "email":
            return compose_code(to, code, max(1, int(codes.policy.ttl // 60)),
                                brand_of(g.directory))
        return code_sms(to, brand_of(g.directory), code, codes.policy.ttl,
                        getattr(services().methods[self.channel], "host", "localhost"))


CONTACTS = {"email": Contact("email", "email"), "phone": Contact("phone", "sms")}


def _codes(contact: Contact) -> CodeService:
    codes = getattr(services().methods.get(contact.channel), "codes", None)
    if not isinstance(codes, CodeService):
        abort(404)
    return codes


def _contact_page(contact: Contact, status: int = 200, error: str | None = None):
    codes, ctx = _codes(contact), method_context()
    pending = codes.latest(ctx, contact.channel, PURPOSE)
    live = pending is not None and pending.used_at is None and pending.expires_at > ctx.now
    return render("account/profile_contact.html", status, contact=contact.name, error=error,
                  can_send=codes.can_send(contact.channel),
                  turns_on=proof_turns_on(contact.channel, current_user()),
                  sent_to=contact.mask(pending.destination) if live and pending else None,
                  resend_in=int(codes.wait(ctx, contact.channel) + 0.999))


@account.get("/account/<any(email, phone):name>")
@signed_in_page(fresh=True)
def profile_contact(name: str):
    """Show how to change (or prove) the email address or phone number."""
    return _contact_page(CONTACTS[name])


#: What the profile's contact page says when no code is sent, or a typed one is not
#: accepted; WRONG with tries left is worded with them (``_check_refused``).
REFUSALS = {
    CodeRefusal.TOO_SOON: lazy_gettext("A code was sent moments ago. You can ask for a new "
                                       "one in %(seconds)s seconds."),
    CodeRefusal.DESTINATION_LIMIT: lazy_gettext("Too many codes were sent to %(destination)s "
                                                "in the last hour. Try again later."),
    CodeRefusal.USER_LIMIT: lazy_gettext("Too many codes were asked for in the last hour. "
                                         "Try again later."),
    CodeRefusal.IP_LIMIT: lazy_gettext("Too many codes were asked for in the last hour. "
                                       "Try again later."),
    CodeRefusal.NO_CODE: lazy_gettext("No code was sent in this browser. Ask for a code "
                                      "first."),
    CodeRefusal.EXPIRED: lazy_gettext("This code has expired. Ask for a new code."),
    CodeRefusal.USED: lazy_gettext("This code was already used. Ask for a new code."),
    CodeRefusal.LOCKED: lazy_gettext("Too many wrong codes. Ask for a new code later."),
    CodeRefusal.WRONG: lazy_gettext("Too many wrong codes. Ask for a new code later."),
    CodeRefusal.FORMAT: lazy_gettext("Enter the 6-digit code."),
}


def _send_refused(exc: CodeRefused, contact: Contact, destination: str) -> str:
    return str(REFUSALS[exc.reason]) % {"seconds": int(exc.retry_after + 0.999),
                                        "destination": contact.mask(destination)}


@account.post("/account/<any(email, phone):name>")
@limited
@signed_in_page(fresh=True)
def profile_contact_send(name: str):
    """Send a code to the new address or number."""
    contact, ctx = CONTACTS[name], method_context()
    codes = _codes(contact)
    try:
        value = contact.parse(field("value", 512))
        check_new_contact(current_user(), contact.name, value)
    except ContactError as exc:
        return _contact_page(contact, 400, str(exc))
    except ProfileError as exc:
        return _contact_page(contact, 400, reason_text(exc))
    try:
        codes.send(ctx, contact.channel, PURPOSE, value,
                   lambda code: contact.message(value, code, codes))
    except DestinationRefused as exc:
        return _contact_page(contact, 400, str(exc))
    except CodeRefused as exc:
        body, status = _contact_page(contact, 429, _send_refused(exc, contact, value))
        return body, status, {"Retry-After": str(int(exc.retry_after + 0.999))}
    except DeliveryFailed:
        return _contact_page(contact, 503, gettext("The code could not be sent right now. "
                                                   "Try again in a moment."))
    record(audit.events.CHALLENGE_SENT, method=contact.channel, purpose=PURPOSE)
    db.session.commit()
    flash(gettext("We sent a code to %(destination)s.", destination=contact.mask(value)))
    return redirect(url_for("account.profile_contact", name=name))


@account.get("/account/<any(email, phone):name>/confirm")
@signed_in_page(fresh=True)
def profile_contact_confirm_page(name: str):
    """Show the code form (it is on the change page)."""
    return redirect(url_for("account.profile_contact", name=name))


def _check_refused(exc: CodeRefused, tries_left: int) -> str:
    if exc.reason is CodeRefusal.WRONG and tries_left:
        return gettext("This code is not right. Tries left: %(tries)s.", tries=tries_left)
    return str(REFUSALS[exc.reason])


def _typed_code() -> str | None:
    typed = field("code", 64).replace(" ", "").replace("-", "")
    return typed if len(typed) == 6 and typed.isascii() and typed.isdigit() else None


@account.post("/account/<any(email, phone):name>/confirm")
@limited
@signed_in_page(fresh=True)
def profile_contact_confirm(name: str):
    """Check the code; save the proven address or number and tell the person."""
    contact, user, ctx = CONTACTS[name], current_user(), method_context()
    turns_on = proof_turns_on(contact.channel, user)
    with attempt_on(account_of(user), contact.channel) as attempt:
        try:
            typed = _typed_code()
            if typed is None:
                raise CodeRefused(CodeRefusal.FORMAT)
            row = _codes(contact).check(ctx, contact.channel, PURPOSE, typed)
        except CodeRefused as exc:
            db.session.rollback()
            tries_left = exc.tries_left
            if exc.reason is CodeRefusal.WRONG:  # nothing else was a guess (see CodeService.check)
                attempt.failed()
                tries_left = attempt.tries_left(tries_left)  # the account's limits too
            return _contact_page(contact, 400, _check_refused(exc, tries_left))
        attempt.succeeded()
        try:
            change = apply_contact(user, contact.name, row.destination, ctx.now)
        except ProfileError as exc:
            db.session.rollback()
            return _contact_page(contact, 409, reason_text(exc))
        if change.changed:
            record(audit.events.CONTACT_CHANGED[contact.name], before=change.before,
                   after=change.after)
        if not change.was_proven:
            record(audit.events.METHOD_ENROLLED, method=contact.channel)
        db.session.commit()
    _tell(contact, change)
    if turns_on:
        flash(gettext("Email codes are now one of your sign-in methods. You can remove them "
                      "below; the address stays.") if contact.name == "email"
              else gettext("Text message codes are now one of your sign-in methods. You can "
                           "remove them below; the number stays."))
    return redirect(url_for("account.profile"))


def _tell(contact: Contact, change: ContactChange) -> None:
    """Email the person about a saved change and say it on the next page."""
    email = contact.name == "email"
    if change.changed:
        send_notice("changed", contact.name, change.after,
                    also_to=change.before if email else None)
        flash(gettext("Your email address was changed.") if email
              else gettext("Your phone number was changed."))
    else:
        send_notice("added", contact.channel)
        flash(gettext("Your email address is proven.") if email
              else gettext("Your phone number is proven."))
